"""Changing a ward's beds from a day (winter escalation beds opened, a ward closed for
refurbishment): an admin of the ward's trust or of its system records it, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from homeflow.domain.beds import WardBedsChanged
from homeflow.store import db
from homeflow.store.access import Viewer
from homeflow.store.access.beds import record_beds_change
from homeflow.store.beds import dated_beds
from homeflow.store.registry import site_names, ward_registry


@dataclass(frozen=True, slots=True)
class WardBeds:
    code: str
    name: str
    site_code: str
    site_name: str
    org_code: str
    registered: int  # the registry's beds
    today: WardBedsChanged | None  # the change in force today
    later: list[WardBedsChanged]  # changes from a later day


def wards_with_beds(engine: Engine, today: date) -> list[WardBeds]:
    with db.reading(engine) as conn:
        wards = ward_registry(conn)
        sites = site_names(conn)
        dated = dated_beds(conn)
    return [
        WardBeds(
            w.code,
            w.name,
            w.site_code,
            sites.get(w.site_code, w.site_code),
            w.org_code,
            w.beds,
            dated.change_on(w.code, today),
            dated.changes_after(w.code, today),
        )
        for w in wards
    ]


def change_beds(engine: Engine, viewer: Viewer, change: WardBedsChanged) -> None:
    """Record a dated change to a ward's beds."""
    record_beds_change(engine, viewer, change)
