"""A lean HL7 v2 parser.

Backfilling a year of ADT is bound by parsing speed: python-hl7 builds a container per
component of every field (about 1,700 messages a second here), while splitting on the
separators and decomposing only the fields a mapper reads runs two orders of magnitude
faster. Structure and unescaping agree with python-hl7, the field's reference parser, by
differential tests (tests/test_hl7_parser.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from homeflow.domain.errors import InvalidInput

SEGMENT_SPLIT = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Encoding:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"


@dataclass(frozen=True, slots=True)
class Segment:
    """A segment's raw fields: fields[0] is the segment id and, for MSH, fields[1] is the
    field separator, so that segment.fields[n] is always SEG-n, as HL7 numbers them."""

    fields: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.fields[0]


@dataclass(frozen=True, slots=True)
class Message:
    segments: tuple[Segment, ...]
    encoding: Encoding
    # The first segment of each name: a mapper reads a dozen fields, each looked up by name.
    first: dict[str, Segment]

    def segment(self, name: str) -> Segment | None:
        return self.first.get(name)

    def all(self, name: str) -> list[Segment]:
        return [seg for seg in self.segments if seg.fields[0] == name]

    def raw(self, name: str, field: int) -> str:
        seg = self.first.get(name)
        if seg is None or field >= len(seg.fields):
            return ""
        return seg.fields[field]

    def value(
        self, name: str, field: int, component: int = 1, subcomponent: int = 1, repetition: int = 0
    ) -> str:
        """SEG-field.component.subcomponent of one repetition (1-based like HL7), unescaped."""
        seg = self.first.get(name)
        if seg is None or field >= len(seg.fields):
            return ""
        text = seg.fields[field]
        if not text:
            return ""
        return component_of(text, self.encoding, component, subcomponent, repetition)

    def repetitions(self, name: str, field: int) -> list[str]:
        text = self.raw(name, field)
        return text.split(self.encoding.repetition) if text else []


def component_of(
    text: str, enc: Encoding, component: int = 1, subcomponent: int = 1, repetition: int = 0
) -> str:
    # A mapper reads a dozen fields of every message, most holding one plain value: split
    # only on the separators a field contains. The three levels are written out rather than
    # looped over: this runs about twenty times a message, and a loop lowered the "parse and
    # map" rate of bench/bench_hl7.py measurably.
    if enc.repetition in text:
        pieces = text.split(enc.repetition)
        if repetition >= len(pieces):
            return ""
        text = pieces[repetition]
    elif repetition:
        return ""
    if enc.component in text:
        pieces = text.split(enc.component)
        if component > len(pieces):
            return ""
        text = pieces[component - 1]
    elif component != 1:
        return ""
    if enc.subcomponent in text:
        pieces = text.split(enc.subcomponent)
        if subcomponent > len(pieces):
            return ""
        text = pieces[subcomponent - 1]
    elif subcomponent != 1:
        return ""
    return unescape(text, enc) if enc.escape in text else text


def parse(text: str) -> Message:
    """Split a message into segments and raw fields; encoding characters come from MSH-1/2."""
    text = text.strip()
    if not text.startswith("MSH"):
        raise InvalidInput("MSH", "a message must start with an MSH segment")
    if len(text) < 8:
        raise InvalidInput("MSH-2", "the encoding characters are missing")
    field_sep = text[3]
    chars = text[4:8]
    if field_sep.isalnum() or len(set(chars + field_sep)) != 5 or any(c in "\r\n" for c in chars):
        raise InvalidInput(
            "MSH-2", f"{field_sep + chars!r} are not five distinct encoding characters"
        )
    enc = _encoding(field_sep + chars)
    segments = []
    first: dict[str, Segment] = {}
    lines = SEGMENT_SPLIT.split(text) if "\n" in text else text.split("\r")
    for line in lines:
        if not line:
            continue
        parts = line.split(field_sep)
        if parts[0] == "MSH":
            parts.insert(1, field_sep)
        if len(parts[0]) != 3 or not parts[0].isalnum():
            raise InvalidInput("segment", f"{parts[0][:10]!r} is not a segment name")
        segment = Segment(tuple(parts))
        segments.append(segment)
        first.setdefault(parts[0], segment)
    return Message(tuple(segments), enc, first)


@lru_cache(maxsize=64)
def _encoding(characters: str) -> Encoding:
    # A feed uses one set of encoding characters: built once, not with every message.
    return Encoding(*characters)


def decompose(text: str, enc: Encoding) -> list[list[list[str]]]:
    """A field as repetitions → components → sub-components, still escaped."""
    return [
        [comp.split(enc.subcomponent) for comp in rep.split(enc.component)]
        for rep in text.split(enc.repetition)
    ]


_FORMATTING = {
    ".br": "\r",
    ".sp": "\r",
    ".fi": "",
    ".nf": "",
    ".in": "    ",
    ".ti": "    ",
    ".sk": " ",
    ".ce": "\r",
    "H": "_",
    "N": "_",
}


def unescape(text: str, enc: Encoding) -> str:
    """Resolve escape sequences: separators (F S T R E), hex (Xhh), formatting (.br …)."""
    esc = enc.escape
    if esc not in text:
        return text
    named = {
        "F": enc.field,
        "S": enc.component,
        "T": enc.subcomponent,
        "R": enc.repetition,
        "E": esc,
    }
    out: list[str] = []
    pieces = text.split(esc)
    # Even pieces are text; odd pieces are escape sequences (an unclosed last one is dropped).
    closed = len(pieces) % 2 == 1
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            out.append(piece)
            continue
        if i == len(pieces) - 1 and not closed:
            break
        if not piece:
            continue
        if piece in named:
            out.append(named[piece])
        elif piece in _FORMATTING:
            out.append(_FORMATTING[piece])
        elif piece[:3] in _FORMATTING and piece[0] == ".":
            out.append(_FORMATTING[piece[:3]] * _int_or_zero(piece[3:]))
        elif piece[0] == "X":
            out.append(_hex(piece[1:]))
    return "".join(out)


def _int_or_zero(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


def _hex(digits: str) -> str:
    chars = []
    for offset in range(0, len(digits), 2):
        try:
            chars.append(chr(int(digits[offset : offset + 2], 16)))
        except ValueError:
            break
    return "".join(chars)
