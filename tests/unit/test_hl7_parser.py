"""Our HL7 parser against python-hl7, the field's reference parser (differential tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hl7
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homeflow.domain.errors import InvalidInput
from homeflow.ingest.hl7 import mllp
from homeflow.ingest.hl7.parser import Encoding, decompose, parse, unescape

CORPUS = Path(__file__).parent / "hl7"


def reference_tree(field: Any) -> list[list[list[str]]]:
    """python-hl7's containers as repetitions → components → sub-components."""

    def depth(value: Any, level: int) -> Any:
        if isinstance(value, str):
            wrapped: Any = value
            for _ in range(3 - level):
                wrapped = [wrapped]
            return wrapped
        return [depth(v, level + 1) for v in value]

    if len(field) == 1 and isinstance(field[0], str):
        return [[[field[0]]]]
    return depth(field, 0)


def assert_agrees(text: str) -> None:
    ours = parse(text)
    theirs = hl7.parse(text)
    assert [s.name for s in ours.segments] == [str(s[0]) for s in theirs]
    for mine, ref in zip(ours.segments, theirs, strict=True):
        assert len(mine.fields) == len(ref), mine.name
        for n, raw in enumerate(mine.fields):
            if mine.name == "MSH" and n < 3:
                assert raw == str(ref[n])
                continue
            assert raw == str(ref[n])
            tree = decompose(raw, ours.encoding)
            assert tree == reference_tree(ref[n]), (mine.name, n, raw)
            for rep in tree:
                for comp in rep:
                    for sub in comp:
                        assert unescape(sub, ours.encoding) == theirs.unescape(sub)


def corpus_messages() -> list[str]:
    found = []
    for path in sorted(CORPUS.glob("*.hl7")):
        for message in mllp.split_file(path.read_bytes()):
            found.append(message.decode("utf-8"))
    return found


@pytest.mark.parametrize("text", corpus_messages())
def test_every_corpus_message_parses_as_python_hl7_does(text: str) -> None:
    assert_agrees(text)


ENCODINGS = st.permutations(list("|^~\\&#*$!@")).map(lambda p: "".join(p[:5]))
WORDS = ("", "A", "xy", "0129", "B C", "z.-/", "CAx 9", "12/01", "y-0")


@st.composite
def messages(draw: st.DrawFn) -> str:
    """A message in any encoding whose fields are words, escapes and the component,
    sub-component and repetition separators in any order (empty parts and separators side by
    side included), drawn a token at a time: one draw per token keeps 300 examples to about a
    second, where drawing each level's lists and each character took five."""
    chars = draw(ENCODINGS)
    enc = Encoding(chars[0], chars[1], chars[2], chars[3], chars[4])
    escapes = [
        f"{enc.escape}{code}{enc.escape}" for code in ("F", "S", "T", "R", "E", "X41", ".br")
    ]
    separators = [enc.component, enc.subcomponent, enc.repetition]
    tokens = st.sampled_from([*WORDS, *escapes, *separators])
    field = st.lists(tokens, max_size=12).map("".join)
    names = st.sampled_from(["PID", "PV1", "EVN", "ZU1", "NK1", "PV2", "AL1"])
    segments = draw(
        st.lists(st.tuples(names, st.lists(field, min_size=1, max_size=8)), min_size=1, max_size=5)
    )
    msh = (
        f"MSH{enc.field}{enc.component}{enc.repetition}{enc.escape}{enc.subcomponent}"
        + enc.field.join(
            [
                "",
                "APP",
                "FAC",
                "HF",
                "QDE",
                "20260101120000",
                "",
                f"ADT{enc.component}A01",
                "MSG1",
                "P",
                "2.4",
            ]
        )
    )
    body = [name + enc.field + enc.field.join(fields) for name, fields in segments]
    return "\r".join([msh, *body])


@given(messages())
@settings(max_examples=300)
def test_generated_messages_parse_as_python_hl7_does(text: str) -> None:
    assert_agrees(text)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("PID|1||123", "MSH"),
        ("MSH|^~", "MSH-2"),
        ("MSH|^^\\&|A", "MSH-2"),
        ("MSH|^~\\&|A\rP I|x", "segment"),
    ],
)
def test_malformed_messages_name_what_is_wrong(text: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(text)
    assert caught.value.field == field


def test_segment_separators_may_be_cr_lf_or_crlf() -> None:
    base = [
        "MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.4",
        "PID|1||9434765919^^^NHS^NH",
        "PV1|1|I|W^^1^S",
    ]
    parsed = [parse(sep.join(base)) for sep in ("\r", "\n", "\r\n")]
    assert parsed[0] == parsed[1] == parsed[2]
    assert parsed[0].value("PV1", 3, 4) == "S"


def test_mllp_deframer_handles_split_and_joined_frames() -> None:
    deframer = mllp.Deframer(max_size=100)
    stream = mllp.frame(b"MSH|one") + mllp.frame(b"MSH|two")
    got = deframer.feed(stream[:5]) + deframer.feed(stream[5:12]) + deframer.feed(stream[12:])
    assert got == [b"MSH|one", b"MSH|two"]
    with pytest.raises(mllp.FramingError):
        mllp.Deframer(max_size=10).feed(mllp.frame(b"MSH|" + b"x" * 20))
    with pytest.raises(mllp.FramingError):
        mllp.Deframer().feed(b"garbage" + mllp.frame(b"MSH|x"))


def test_files_may_hold_batches_framed_or_not() -> None:
    one = b"MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.4\rPID|1"
    two = b"MSH|^~\\&|A|B|C|D|20260101||ADT^A03|2|P|2.4\rPID|1"
    batch = b"FHS|^~\\&\rBHS|^~\\&\r" + one + b"\r\n" + two + b"\nBTS|2\rFTS|1"
    assert mllp.split_file(batch) == [one, two]
    assert mllp.split_file(mllp.frame(one) + mllp.frame(two)) == [one, two]


def test_hex_and_separator_escapes() -> None:
    enc = Encoding()
    assert unescape("A\\F\\B\\S\\C\\T\\D\\R\\E\\E\\", enc) == "A|B^C&D~E\\"
    assert unescape("\\X4142\\", enc) == "AB"
