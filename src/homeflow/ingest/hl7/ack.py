"""HL7 acknowledgements: AA applied or duplicate, AE application error, AR rejected."""

from __future__ import annotations

import re
from datetime import datetime
from itertools import count

from homeflow.domain import clock
from homeflow.domain.clock import SYSTEM_ZONE
from homeflow.ingest.hl7.parser import SEGMENT_SPLIT, Message, parse
from homeflow.ingest.hl7.writer import escape

_FIELD = re.compile(r"^([A-Z][A-Z0-9]{2})-(\d+)$")
# Control characters, the MLLP frame's \x0b and \x1c and the segment end \r among them: one
# echoed from a message into its ACK would end the frame early and break the sender's stream.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ack_numbers = count(1)


def ack(
    raw: str | None,
    code: str,
    field: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> str:
    """An ACK for a message (its MSH when it can be read), with MSA-3 and ERR on errors."""
    message: Message | None = None
    if raw is not None:
        try:
            message = parse(SEGMENT_SPLIT.split(raw.strip(), maxsplit=1)[0])  # the MSH is enough
        except ValueError:
            message = None

    def value(segment: str, field_number: int, component: int = 1) -> str:
        return message.value(segment, field_number, component) if message else ""

    stamp = (now or clock.now()).astimezone(SYSTEM_ZONE).strftime("%Y%m%d%H%M%S%z")
    trigger = value("MSH", 9, 2)
    version = value("MSH", 12) or "2.4"
    segments = [
        f"MSH|^~\\&|HOMEFLOW|{echo(value('MSH', 6))}|{echo(value('MSH', 3))}|{echo(value('MSH', 4))}|"
        f"{stamp}||ACK^{echo(trigger)}^ACK|HF{stamp[:14]}{next(_ack_numbers):06d}|P|{echo(version)}",
        f"MSA|{code}|{echo(value('MSH', 10))}"
        + (f"|{echo(_text(field, reason))}" if reason else ""),
    ]
    if code != "AA":
        location = ""
        if field and (match := _FIELD.match(field)):
            location = f"{match.group(1)}^1^{match.group(2)}"
        error_code = (
            "207^Application internal error^HL70357"
            if code == "AE"
            else "102^Data type error^HL70357"
        )
        segments.append(f"ERR|{location}|{location}|{error_code}|E||||{echo(_text(field, reason))}")
    return "\r".join(segments) + "\r"


def echo(text: str) -> str:
    """Text from a message as one field of the ACK: HL7 escape sequences for the encoding
    characters, control characters (MLLP's framing bytes, segment ends) left out."""
    return escape(_CONTROL.sub("", text))


def _text(field: str | None, reason: str | None) -> str:
    return f"{field}: {reason}" if field else (reason or "")
