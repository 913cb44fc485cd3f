"""Each bed's state on a site at an instant (store/bed_state.py), with the trusts' setting for
whether a vacated bed waits for cleaning (config.beds_cleaned_after_discharge): for the
`homeflow beds state` command, the site's beds page and the coordination view."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Engine

from homeflow.config import beds_cleaned_after_discharge
from homeflow.domain import clock
from homeflow.domain.bed_state import REASON_WORDS, STATUS_WORDS, BedMeasures, measures
from homeflow.domain.clock import SYSTEM_ZONE
from homeflow.domain.errors import InvalidInput
from homeflow.store import db
from homeflow.store.bed_state import BedRow, beds_at, site_histories
from homeflow.store.registry import site_names

STATE_COLUMNS = ("ward", "bed", "status", "since", "reason")


def site_beds(engine: Engine, site_code: str, at: datetime, field: str = "site") -> list[BedRow]:
    """A row per bed of the site at `at`; a site homeflow does not know is refused naming
    `field`."""
    with db.reading(engine) as conn:
        if site_code not in site_names(conn):
            raise InvalidInput(field, f"{site_code!r} is not a site homeflow knows")
        return beds_at(conn, site_code, at, beds_cleaned_after_discharge())


def read_instant(field: str, text: str, now: datetime) -> datetime:
    """An instant typed YYYY-MM-DD or YYYY-MM-DDTHH:MM, in local time (Europe/London) unless
    it gives its offset; a day alone is its end, or now if the day is today. An instant still
    to come is refused: the state of beds is known only up to now."""
    text = text.strip()
    try:
        read = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            field, f"{text!r} is not a time (YYYY-MM-DD or YYYY-MM-DDTHH:MM)"
        ) from None
    a_day = len(text) == len("YYYY-MM-DD")
    if a_day:
        read = datetime.combine(read.date(), time(23, 59, 59))
    at = read.replace(tzinfo=SYSTEM_ZONE) if read.tzinfo is None else read
    if a_day and read.date() == clock.local_date(now):
        return min(at, now)
    if at > now:
        raise InvalidInput(field, f"{text} has not come yet")
    return at


def _when(instant: datetime | None) -> str:
    return "" if instant is None else instant.astimezone(SYSTEM_ZONE).strftime("%d/%m/%Y %H:%M")


def state_rows(rows: list[BedRow]) -> list[dict[str, Any]]:
    """A row per bed in words: ward, bed, status, since (dd/mm/yyyy hh:mm) and reason."""
    return [
        {
            "ward": row.ward,
            "bed": row.bed,
            "status": STATUS_WORDS[row.status],
            "since": _when(row.since),
            "reason": REASON_WORDS[row.reason] if row.reason else "",
        }
        for row in rows
    ]


def site_measures(engine: Engine, site_code: str, first: date, last: date) -> BedMeasures:
    """The site's turnarounds made clean and closed bed-hours from the start of `first` to the
    end of `last` (local days)."""
    start, end = clock.start_of_day(first), clock.midnight_after(last)
    with db.reading(engine) as conn:
        if site_code not in site_names(conn):
            raise InvalidInput("site", f"{site_code!r} is not a site homeflow knows")
        found, _, _ = site_histories(conn, site_code, end, beds_cleaned_after_discharge())
    return measures(found.values(), start, end)
