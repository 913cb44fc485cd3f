"""Days as a ward sees them: local calendar dates in the system's time zone; and the present
moment, read in one place.

Events carry timezone-aware instants; a "day" (midnight census, before noon, weekend) is
a local calendar day in the health system's zone, England's by default.

The rules never read the clock: they are given `today` or `now`. The edges (pages, commands,
stores, feeds, the demo) ask `now()` and `today()` here, so that a test or a demonstration can
pin the present: `HOMEFLOW_NOW` for a process and the processes it starts, `pinned()` in one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from homeflow.domain.errors import InvalidInput

SYSTEM_ZONE = ZoneInfo("Europe/London")


def require_aware(field: str, value: datetime) -> datetime:
    if value.tzinfo is UTC:  # nearly every instant, checked in every event
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(field, "a time must carry its time zone")
    return value


def local_date(instant: datetime) -> date:
    return instant.astimezone(SYSTEM_ZONE).date()


def local_time(instant: datetime) -> time:
    return instant.astimezone(SYSTEM_ZONE).time()


NOW_VARIABLE = "HOMEFLOW_NOW"
_PINNED: list[datetime] = []  # the instants pinned by `pinned()`, innermost last


def now() -> datetime:
    """The present instant, in UTC: where the clock is pinned (`pinned()`, else HOMEFLOW_NOW),
    else the wall clock. A pinned clock stands still."""
    if _PINNED:
        return _PINNED[-1]
    text = os.environ.get(NOW_VARIABLE)
    return _instant(text) if text else datetime.now(UTC)


def today() -> date:
    """Today in the system's zone (Europe/London): after 23:00 UTC in summer, tomorrow's date."""
    return local_date(now())


@lru_cache(maxsize=4)  # read at every call, parsed once
def _instant(text: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            NOW_VARIABLE, f"{text!r} is not an instant (YYYY-MM-DDTHH:MM:SSZ)"
        ) from None
    return require_aware(NOW_VARIABLE, instant).astimezone(UTC)


@contextmanager
def pinned(instant: datetime) -> Iterator[datetime]:
    """The clock stands at `instant` until the block ends, in every thread of this process,
    whatever HOMEFLOW_NOW says."""
    _PINNED.append(require_aware("instant", instant).astimezone(UTC))
    try:
        yield _PINNED[-1]
    finally:
        _PINNED.pop()


def start_of_day(day: date) -> datetime:
    """The instant a local day begins, in UTC."""
    return datetime.combine(day, time(0), SYSTEM_ZONE).astimezone(UTC)


def midnight_after(day: date) -> datetime:
    """The census instant for `day`: the midnight at its end."""
    return start_of_day(day + timedelta(days=1))


# How far ahead of the clock an event may be and still be stored: a sender's clock may run a
# little fast, but nothing has happened in the future (a setting, event_log.future_tolerance).
FUTURE_TOLERANCE = timedelta(minutes=5)


# Days homeflow accepts from outside: enough for birth dates and plans, and far enough from
# date.min and date.max that arithmetic on them never overflows.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2100, 12, 31)


def check_day(field: str, day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(field, f"{day.isoformat()} is not between {FIRST_DAY} and {LAST_DAY}")
    return day


def parse_date(field: str, value: str) -> date:
    """A day written YYYY-MM-DD, or an error naming the field: every input path reads days so."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(field, f"{value!r} is not a date (YYYY-MM-DD)") from None
    return check_day(field, day)


def parse_day(field: str, value: str) -> date:
    """A day as a person types it: dd/mm/yyyy (d/m/yyyy too), or YYYY-MM-DD as addresses
    and files carry it; an error naming the field otherwise."""
    text = value.strip()
    if "/" not in text:
        try:
            return check_day(field, date.fromisoformat(text))
        except ValueError:
            pass
    else:
        try:
            return check_day(field, datetime.strptime(text, "%d/%m/%Y").date())
        except ValueError:
            pass
    raise InvalidInput(field, f"{value!r} is not a date (dd/mm/yyyy)")


def ended(field: str, day: date, today: date) -> date:
    """`day`, refused unless it has ended: a return, census or measure of a day is about a day
    whose midnight has passed, so today and later are not yet there to count."""
    if day >= today:
        last = format_day(today - timedelta(days=1))
        raise InvalidInput(
            field, f"{format_day(day)} has not ended yet: the last whole day is {last}"
        )
    return day


def ended_month(field: str, text: str, today: date) -> tuple[int, int]:
    """A month written mm/yyyy, as people here write it, or YYYY-MM, as NHS England's files
    and the command line do; refused unless it has ended (its last day has, as `ended` asks of
    a day): a month's measures count what ended in it, so a month still going on is not there
    to count. Gives (year, month)."""
    try:
        if "/" in text:
            number_text, year_text = text.split("/")
        else:
            year_text, number_text = text.split("-")
        if len(year_text) != 4 or not 1 <= len(number_text) <= 2:
            raise ValueError(text)
        year, number = int(year_text), int(number_text)
        first = check_day(field, date(year, number, 1))
    except (ValueError, InvalidInput):
        raise InvalidInput(field, f"{text!r} is not a month (mm/yyyy)") from None
    after = (first + timedelta(days=31)).replace(day=1)
    try:
        ended(field, after - timedelta(days=1), today)
    except InvalidInput:
        last = last_whole_month(today)
        raise InvalidInput(
            field, f"{text} has not ended yet: the last whole month is {format_month(*last)}"
        ) from None
    return year, number


def last_whole_month(today: date) -> tuple[int, int]:
    """The latest month that has ended by `today`, as (year, month)."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.year, last.month


def format_month(year: int, number: int) -> str:
    """A month as people here write it: mm/yyyy."""
    return f"{number:02d}/{year:04d}"


def format_day(day: date) -> str:
    """A day as people here write it: dd/mm/yyyy."""
    return day.strftime("%d/%m/%Y")
