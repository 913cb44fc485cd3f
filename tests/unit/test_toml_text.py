"""read_toml: tomllib's answer within bounds, InvalidInput naming the line otherwise, and
never any other exception (issue 27: an 80 KB dotted key took 29 s; a 4,301-digit integer
gave a 500)."""

from __future__ import annotations

import contextlib
import math
import tomllib
from datetime import date
from typing import Any

import pytest
import tomlkit
from hypothesis import example, given, settings
from hypothesis import strategies as st

from homeflow.domain.errors import InvalidInput
from homeflow.domain.toml_text import MAX_BYTES, MAX_DEPTH, MAX_KEY_PARTS, MAX_KEYS, read_toml

# Pieces TOML is made of, so that random text often comes close to TOML.
_PIECES = st.sampled_from(
    [
        "a", "b", ".", " ", "=", "\n", "[", "]", "{", "}", ",", '"', "'", '"""', "'''", "#",
        "\\", "1", "-", "_", "0x", "e", "+", ":", "T", "2026-01-02", "inf", "nan", "true",
        "\\u00e9", "\t", "\r",
    ]
)  # fmt: skip
_TOMLISH = st.lists(st.one_of(_PIECES, st.text(max_size=3)), max_size=60).map("".join)


def _tomllib_answer(text: str) -> dict[str, Any] | None:
    try:
        return tomllib.loads(text)
    except Exception:  # any failure of tomllib's is what read_toml's answer is held to
        return None


def _same(found: Any, expected: Any) -> bool:
    """Equal, a NaN equal to a NaN (TOML's `nan` reads as one, and NaN != NaN)."""
    if isinstance(found, float) and isinstance(expected, float):
        return found == expected or (math.isnan(found) and math.isnan(expected))
    if isinstance(found, dict) and isinstance(expected, dict):
        return found.keys() == expected.keys() and all(
            _same(v, expected[k]) for k, v in found.items()
        )
    if isinstance(found, list) and isinstance(expected, list):
        return len(found) == len(expected) and all(map(_same, found, expected))
    return type(found) is type(expected) and bool(found == expected)


def test_nan_is_the_same_as_nan_and_nothing_else() -> None:
    assert _same({"a": [math.nan]}, {"a": [float("nan")]})
    assert not _same({"a": math.nan}, {"a": 1.0})
    assert not _same({"a": 1}, {"a": 1.0})  # TOML's integer is not its float
    assert _same({"a": 1, "b": 2}, {"b": 2, "a": 1})  # a table's keys in any order
    assert not _same({"a": 1}, {"a": 1, "b": 2})
    assert not _same([1], [1, 2])


@settings(max_examples=1500, deadline=None)
@given(st.one_of(_TOMLISH, st.text(max_size=80)))
@example("a=nan")  # found by a run: NaN is not equal to itself
def test_any_text_reads_as_tomllib_reads_it_or_is_refused(text: str) -> None:
    try:
        found = read_toml(text, "scenario")
    except InvalidInput as refused:
        assert refused.field == "scenario"
        return
    assert _same(found, _tomllib_answer(text)), (found, _tomllib_answer(text))


_SCALARS = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.booleans(),
    st.dates(min_value=date(1900, 1, 1)),
)
_KEYS = st.text(min_size=1, max_size=8)
_DOCS = st.dictionaries(
    _KEYS,
    st.recursive(
        _SCALARS,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
        max_leaves=20,
    ),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(_DOCS)
def test_toml_within_the_bounds_is_read_whole(doc: dict[str, Any]) -> None:
    text = tomlkit.dumps(doc)
    assert read_toml(text, "model") == tomllib.loads(text)


_DOTTED = ".".join(["a"] * 40_000) + " = 1\n"  # issue 27's 80 KB file


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (_DOTTED, 1, f"a key of more than {MAX_KEY_PARTS} parts"),
        ('name = "x"\n\n[' + ".".join(["t"] * 500) + "]\n", 3, "a key of more than"),
        ("x = 1\nt = { " + " . ".join(['"a"'] * 500) + " = 1 }\n", 2, "a key of more than"),
        ("a = 1\nb = " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), 2, "nested more than"),
        ("a = " + "{ b = " * 1000 + "1" + " }" * 1000, 1, "nested more than"),
        ("# c\ndemand = " + "9" * 4_301 + "\n", 2, "a number of more than 100 characters"),
        ("demand = 9223372036854775808\n", 1, "outside the 64-bit whole numbers"),
        ("demand = -0x8000000000000001\n", 1, "outside the 64-bit whole numbers"),
        ("demand = 1e999\n", 1, "too large a number"),
        ("".join(f"k{i} = {i}\n" for i in range(MAX_KEYS + 1)), MAX_KEYS + 1, "keys"),
    ],
    ids=["issue-80KB-dotted", "header", "inline-quoted", "arrays", "inline", "int-4301",
         "int64", "hex", "float", "keys"],
)  # fmt: skip
def test_what_would_be_slow_or_not_fit_is_refused_naming_the_line(
    text: str, line: int, reason: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_toml(text, "scenario")
    assert refused.value.field == "scenario"
    assert refused.value.reason.startswith(f"line {line}: ")
    assert reason in refused.value.reason


def test_a_file_over_the_size_is_refused_before_it_is_read() -> None:
    with pytest.raises(InvalidInput, match=f"at most {MAX_BYTES:,}"):
        read_toml("# é\n" * (MAX_BYTES // 4), "scenario")
    with pytest.raises(InvalidInput, match="at most 100"):
        read_toml("a = 1\n" * 20, "mapping", max_bytes=100)


def test_what_is_not_a_bound_reads_as_before() -> None:
    text = 'a."b c".d = 1.5e3\nt = 1979-05-27T07:32:00.999-07:00\ns = """x\n[y]"""\n'
    assert read_toml(text, "model") == tomllib.loads(text)
    # Dots in strings and comments are not key parts.
    text = "s = '" + "." * 1000 + "' # " + "." * 1000 + "\n"
    assert read_toml(text, "model") == {"s": "." * 1000}


# Scenario and model files: any TOML with their keys and values of any type reads as a
# scenario or is refused with InvalidInput naming the field (issue 27: never a 500).
_ANY = st.recursive(
    _SCALARS | st.sampled_from(["P1", "beds", "exponential", "ward", 1e308, -1e308, 0]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["name", "family", "mean", "per_day", "from", "set", "P1", "to"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
_SCENARIO_KEYS = ["name", "demand", "demand_by_service", "capacity", "length_of_stay",
                  "pathway_mix", "route", "service"]  # fmt: skip
_MODEL_KEYS = ["name", "start", "warmup_days", "service"]


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(_SCENARIO_KEYS + _MODEL_KEYS), _ANY, max_size=5))
def test_any_scenario_or_model_file_reads_or_is_refused(doc: dict[str, Any]) -> None:
    from homeflow.sim.model import parse_model
    from homeflow.sim.scenarios import parse_scenario

    text = tomlkit.dumps(doc)
    for parse in (parse_scenario, parse_model):
        with contextlib.suppress(InvalidInput):
            parse(text)
