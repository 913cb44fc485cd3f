"""Code lists and NHS numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeflow.domain import codes
from homeflow.domain.errors import InvalidInput
from homeflow.domain.organisations import (
    is_valid_nhs_number,
    nhs_number_check_digit,
    normalise_nhs_number,
)


def test_the_sitrep_delay_reasons_are_the_37_in_five_families() -> None:
    reasons = codes.nctr_delay_reasons()
    assert len(reasons.codes) == 37
    assert reasons.families() == (
        "Capacity",
        "Care transfer hub process",
        "Hospital process",
        "Interface process",
        "Wellbeing concerns",
    )
    assert reasons.get("HP06").label == "Awaiting therapy review of need for supported discharge"


@pytest.mark.parametrize(
    ("text", "numbers"), [("", set()), ("2", {2}), ("1 or 3", {1, 3}), ("1-3", {1, 2, 3})]
)
def test_pathways_of_a_delay_reason(text: str, numbers: set[int]) -> None:
    assert codes.pathway_numbers(text) == numbers


def test_an_unknown_code_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        codes.discharge_pathways().check("pathway", "P9")
    assert caught.value.field == "pathway" and "P9" in caught.value.reason


def test_a_published_nhs_number_is_valid() -> None:
    # 943 476 5919 is NHS Digital's published example of a valid number.
    assert is_valid_nhs_number("943 476 5919")
    assert normalise_nhs_number("943-476-5919") == "9434765919"


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(0, 9), st.integers(1, 9))
def test_changing_any_one_digit_breaks_a_valid_nhs_number(
    first: str, position: int, shift: int
) -> None:
    check = nhs_number_check_digit(first)
    if check is None:
        assert not any(is_valid_nhs_number(first + str(d)) for d in range(10))
        return
    number = first + str(check)
    assert is_valid_nhs_number(number)
    digits = list(number)
    digits[position] = str((int(digits[position]) + shift) % 10)
    assert not is_valid_nhs_number("".join(digits))


@pytest.mark.parametrize("bad", ["943476591", "94347659190", "94347659X9", "9434765918"])
def test_bad_nhs_numbers_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalise_nhs_number(bad)
    assert caught.value.field == "nhs_number"
