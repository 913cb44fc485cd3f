"""The monthly mental health delayed discharge figures (delayed bed-days of patients clinically
ready for discharge, by provider or by local authority of residence) and the patients behind
each, for the command line and the page."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import Engine

from homeflow.domain import clock, codes
from homeflow.domain.errors import InvalidInput
from homeflow.domain.mh_delays import Places
from homeflow.domain.spell import SpellState
from homeflow.reports.dtoc import month_days
from homeflow.reports.mh_delays import (
    By,
    MhDelayRow,
    latest_period,
    mh_delay_members,
    mh_delay_rows,
)
from homeflow.store.access.caches import per_log_version
from homeflow.store.access.people import People, people
from homeflow.store.access.scope import Viewer
from homeflow.store.mh_delays import mh_delay_data


def ended_month(field: str, text: str, today: date) -> tuple[date, date]:
    """The first and last day of a month (mm/yyyy or YYYY-MM) that has ended (`clock.ended_month`)."""
    days = month_days(*clock.ended_month(field, text, today))
    return days[0], days[-1]


def by_named(field: str, text: str) -> By:
    try:
        return By(text)
    except ValueError:
        raise InvalidInput(field, f"{text!r} is not provider or council") from None


def mh_delays(engine: Engine, first: date, last: date, by: By) -> list[MhDelayRow]:
    """Each provider's (or council's) delayed days in the month."""
    spells, places = _data(engine, first, last)
    return mh_delay_rows(first, last, spells, by, places)


def mh_delay_people(
    engine: Engine, viewer: Viewer, first: date, last: date, by: By, code: str, today: date
) -> People:
    """The patients behind one figure, each with their delayed days in the month."""
    spells, places = _data(engine, first, last)
    members = mh_delay_members(first, last, spells, by, places).get(code, [])
    name = places.names.get(code, code)
    title = f"mental health delayed days {first:%B %Y} – {name}"
    found = people(engine, viewer, title, last, members, today)
    # Beside each patient, their delayed discharge period: ready since its start, its reason.
    shown = {spell.spell_key: latest_period(spell, first, last) for spell, _ in members}
    reasons = codes.mh_delay_reasons()
    rows = [
        replace(
            row,
            discharge_ready_date=period.start_date,
            delay_reason=reasons.get(period.reason).label,
        )
        if (period := shown.get(row.spell_key)) is not None
        else row
        for row in found.rows
    ]
    return replace(found, rows=rows)


def _data(engine: Engine, first: date, last: date) -> tuple[list[SpellState], Places]:
    # A month's figures are opened one after another: read its stays once per log version.
    return per_log_version(
        engine, "mh delays", (first, last), lambda: mh_delay_data(engine, first, last)
    )
