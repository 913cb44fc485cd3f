"""Rendering pages: the Jinja2 templates in the NHS design system, their filters and reference
lists, and what every page's context carries."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from homeflow.domain import codes
from homeflow.domain import events as ev
from homeflow.domain.clock import SYSTEM_ZONE, ended, format_day, parse_day, today
from homeflow.domain.errors import InvalidInput
from homeflow.domain.privacy import READS_AUDIT
from homeflow.store.users import Session
from homeflow.web.auth import CSRF_FIELD

T = TypeVar("T")

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _reference() -> dict[str, Any]:
    reasons = codes.nctr_delay_reasons()
    return {
        "reason_families": {
            family: [c for c in reasons.codes if c.family == family]
            for family in reasons.families()
        },
        "reasons": reasons,
        "dtoc_reasons": codes.dtoc_reasons(),
        "agencies": codes.responsible_agencies(),
        "mh_delay_reasons": codes.mh_delay_reasons(),
        "mh_attributable_to": codes.mh_attributable_to(),
        "pathways": codes.discharge_pathways(),
        "criteria": codes.criteria_to_reside(),
        "services": list(ev.ReferralService),
        "review_outcomes": list(ev.ReviewOutcome),
        "action_statuses": list(ev.ActionStatus),
    }


def when(instant: datetime | None) -> str:
    """An instant as people read it here: local time, dd/mm/yyyy hh:mm."""
    return "" if instant is None else instant.astimezone(SYSTEM_ZONE).strftime("%d/%m/%Y %H:%M")


def typed_day(value: date | str | None) -> str:
    """What a day field shows: a stored day (or one carried ISO) as dd/mm/yyyy, what the user
    typed as they typed it."""
    if value is None or value == "":
        return ""
    if isinstance(value, date):
        return format_day(value)
    try:
        return format_day(date.fromisoformat(value))
    except ValueError:
        return value


# Words for the short names the record uses, where the name alone is not the word.
WORDS = {
    "edd": "expected discharge date",
    "chc": "CHC",
    "nhs": "NHS",
    "ods": "ODS",
    "dtoc": "DToC",
    "nctr": "no criteria to reside",
    "mdt": "MDT",
    "gp": "GP",
    "ascof": "ASCOF",
    "pct": "%",
    "mh": "mental health",
}


def label(name: object) -> str:
    """A name the record uses ('edd-set', 'red_reason', 'chc') as words: 'Expected discharge
    date set', 'Red reason', 'CHC'."""
    text = " ".join(WORDS.get(w.lower(), w.lower()) for w in re.split(r"[-_\s]+", str(name)) if w)
    return text[:1].upper() + text[1:]


def shown(value: object) -> str:
    """A value from the record as a person reads it: yes or no, a day dd/mm/yyyy, an instant
    in local time, a list joined."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, date):
        return format_day(value)
    if isinstance(value, list | tuple):
        return ", ".join(shown(v) for v in value)
    text = str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return typed_day(text)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:.]+([+-]\d{2}:\d{2}|Z)", text):
        return when(datetime.fromisoformat(text))
    return text


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 patient', '2 patients': a count with its noun (`many` where it is not one + s)."""
    return f"{count:,} {one if count == 1 else many or one + 's'}"


templates.env.globals.update(_reference())
templates.env.filters["label"] = label
templates.env.filters["shown"] = shown
templates.env.filters["plural"] = plural
templates.env.filters["count"] = lambda value: f"{value:,.0f}".replace("-", "−")
templates.env.filters["pounds"] = lambda value: ("−£" if value < 0 else "£") + f"{abs(value):,.0f}"
templates.env.filters["when"] = when
templates.env.filters["day"] = format_day
templates.env.filters["typed_day"] = typed_day


def day_or_yesterday(field: str, text: str) -> date:
    """A day typed dd/mm/yyyy that has ended, or yesterday (the last whole day) when left
    empty: a return, census or measure is never of a day still going on."""
    now = today()
    return ended(field, parse_day(field, text), now) if text else now - timedelta(days=1)


def day_so_far(field: str, text: str) -> date:
    """A day typed dd/mm/yyyy for a picture as at that day: today (so far) at the latest,
    today when left empty; never a day to come."""
    now = today()
    day = parse_day(field, text) if text else now
    if day > now:
        raise InvalidInput(
            field, f"{format_day(day)} has not come yet: the latest is today, so far"
        )
    return day


def ended_day(field: str, text: str) -> date:
    """A day typed dd/mm/yyyy that has ended (a period's first day, a day compared with)."""
    return ended(field, parse_day(field, text), today())


def ended_span(start: str, end: str) -> tuple[date, date]:
    """A period typed as its first and last days (the chart point behind a figure page), both
    ended, the first not after the last."""
    first, last = ended_day("start", start), ended_day("end", end)
    if first > last:
        raise InvalidInput("start", "must not be after the last day")
    return first, last


def render(
    request: Request,
    name: str,
    session: Session | None,
    context: Mapping[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        name,
        {
            "user": session.user if session else None,
            "csrf": session.csrf_token if session else None,
            "csrf_field": CSRF_FIELD,
            "today": today(),
            "reads_audit": session is not None and session.user.role in READS_AUDIT,
            **context,
        },
        status_code=status_code,
    )


# Long lists come in pages: quick to load and to read out on a call.
PAGE_SIZE = 50


def paged(rows: list[T], page: int) -> tuple[list[T], int, int]:
    """The rows on `page` (clamped to those that exist), the page and the number of pages."""
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    return rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], page, pages
