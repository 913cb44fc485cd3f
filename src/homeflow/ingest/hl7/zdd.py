"""ZDD: a mental health delayed discharge period on an ADT^A08, homeflow's own Z-segment (no
national HL7 v2 message carries one; docs/feeds.md defines it).

    ZDD|1|period id|start date|end date|reason|attributable to

ZDD-1 is the segment's set id (1), ZDD-2 the sender's identifier of the period (as MHSDS's
MHS518 record id: the same id again corrects or ends the period), ZDD-3 and ZDD-4 its start and
end dates (YYYYMMDD; no end date while the patient is still delayed), ZDD-5 the MHSDS v6 reason
code and ZDD-6 whom the delay is attributable to (04 NHS, 05 social care, 06 both). The spell is
PV1-19's visit number, as in every spell message.
"""

from __future__ import annotations

from datetime import date

from homeflow.domain import events as ev
from homeflow.domain.errors import InvalidInput
from homeflow.ingest.hl7.parser import Message

SEGMENT = "ZDD"


def carries_period(message: Message) -> bool:
    return message.segment(SEGMENT) is not None


def delay_period(message: Message) -> ev.MhDelayRecorded:
    """The period ZDD describes, or an error naming ZDD-n."""
    if len(message.all(SEGMENT)) > 1:
        raise InvalidInput("ZDD", "send one period a message")
    period_id = message.value(SEGMENT, 2).strip()
    if not period_id:
        raise InvalidInput("ZDD-2", "the period's identifier is missing")
    start = _date("ZDD-3", message.value(SEGMENT, 3))
    if start is None:
        raise InvalidInput("ZDD-3", "the period's start date is missing")
    end = _date("ZDD-4", message.value(SEGMENT, 4))
    try:
        return ev.MhDelayRecorded(
            period_id,
            start,
            message.value(SEGMENT, 5).strip(),
            message.value(SEGMENT, 6).strip(),
            end,
        )
    except InvalidInput as problem:
        fields = {"reason": "ZDD-5", "attributable_to": "ZDD-6", "end_date": "ZDD-4"}
        raise InvalidInput(fields.get(problem.field, "ZDD"), problem.reason) from None


def _date(field: str, text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise InvalidInput(field, f"{text!r} is not a date (YYYYMMDD)") from None
