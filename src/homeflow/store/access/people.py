"""The patients behind a figure: each count on the overview, the census and the returns opens
to the list of the spells it counts, each linked to the events that put it there. Labelled as
every list is (a patient outside the viewer's organisations by initials) and audited."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, select

from homeflow.domain.clock import local_date
from homeflow.domain.flow import (
    census_members,
    delay_reason_at,
    discharge_ready_date_at,
    snapshot_at,
    ward_stay_at,
)
from homeflow.domain.privacy import may_identify
from homeflow.domain.ready_date import discharge_ready_date
from homeflow.domain.spell import SpellState, fold_spell
from homeflow.store import db
from homeflow.store import projections as proj
from homeflow.store import schema as t
from homeflow.store.access.audit import audit_view
from homeflow.store.access.scope import (
    PATIENT_COLUMNS,
    NotFound,
    PatientLabel,
    Viewer,
    patient_label,
    referrals_of,
)
from homeflow.store.spell_parts import spells_in_hospital_on


@dataclass(frozen=True, slots=True)
class Person:
    spell_key: str
    patient: PatientLabel
    ward_code: str
    admitted_on: date
    discharged_on: date | None
    discharge_ready_date: date | None
    delay_reason: str | None
    pathway: str | None
    adds: int  # what this patient adds to the figure: 1, or their delayed bed-days


@dataclass(frozen=True, slots=True)
class People:
    title: str
    day: date
    figure: int  # the figure the list opens from: the sum of what each person adds
    rows: list[Person]


def people(
    engine: Engine,
    viewer: Viewer,
    title: str,
    day: date,
    members: Sequence[tuple[SpellState, int]],
    today: date,
) -> People:
    """The figure `title` on `day` as a list: one row per counted spell."""
    keys = [state.spell_key for state, _ in members]
    s = t.spells
    with db.reading(engine) as conn:
        found = {
            r.spell_key: r
            for r in conn.execute(
                select(s.c.spell_key, *PATIENT_COLUMNS, t.sites.c.org_code)
                .outerjoin(t.sites, t.sites.c.code == s.c.site_code)
                .outerjoin(t.patients, t.patients.c.patient_id == s.c.patient_id)
                .where(s.c.spell_key.in_(keys))
            )
        }
        _waiting, involved = referrals_of(
            conn, select(s.c.spell_key).where(s.c.spell_key.in_(keys))
        )
    midnight = snapshot_at(day)
    rows = []
    for state, adds in members:
        r = found[state.spell_key]
        identified = may_identify(viewer.org_code, r.org_code, involved.get(state.spell_key, ()))
        stay = ward_stay_at(state, midnight) or state.ward_stays[-1]
        reason = delay_reason_at(state, midnight)
        ready = discharge_ready_date_at(state, midnight)
        if state.discharged_at is not None and state.discharged_at <= midnight:
            ready = discharge_ready_date(state)  # gone by then: the stay's, as recorded
        assert state.admitted_at is not None
        rows.append(
            Person(
                state.spell_key,
                patient_label(viewer, r, identified, today),
                stay.ward_code,
                local_date(state.admitted_at),
                local_date(state.discharged_at) if state.discharged_at else None,
                ready,
                (reason.reason or reason.dtoc_reason) if reason else None,
                state.pathway,
                adds,
            )
        )
    rows.sort(key=lambda p: (p.ward_code, p.admitted_on, p.spell_key))
    if any(row.patient.identified for row in rows):
        audit_view(engine, viewer, f"patients behind {title} on {day:%d/%m/%Y}")
    return People(title, day, sum(row.adds for row in rows), rows)


def census_spells(
    engine: Engine, day: date, measure: str, ward_codes: Collection[str]
) -> list[SpellState]:
    """The spells a census figure counts on these wards that day."""
    return census_members(spells_in_hospital(engine, day), day, set(ward_codes), measure)


def spells_in_hospital(engine: Engine, day: date) -> list[SpellState]:
    """Every spell in hospital at some time on `day`, folded: a day's figures are opened one
    after another, so each spell is folded once and again only when new events touch it."""
    with db.reading(engine) as conn:
        return spells_in_hospital_on(conn, day)


def wards_of(
    engine: Engine,
    ward: str | None = None,
    site: str | None = None,
    ward_type: str | None = None,
    org: str | None = None,
) -> tuple[list[str], str]:
    """The wards a figure covers (a ward; a site, or one type of its wards; a trust; or the
    whole system) and how to name them."""
    w = t.wards
    query = select(w.c.code, w.c.name, t.sites.c.name.label("site_name")).join(
        t.sites, t.sites.c.code == w.c.site_code
    )
    if ward:
        query = query.where(w.c.code == ward)
    if site:
        query = query.where(w.c.site_code == site)
    if ward_type:
        query = query.where(w.c.type == ward_type)
    if org:
        query = query.where(t.sites.c.org_code == org)
    with db.reading(engine) as conn:
        found = conn.execute(query).all()
    if not found:
        raise NotFound("no ward matches " + ", ".join(x for x in (ward, site, ward_type, org) if x))
    if ward:
        name = found[0].name
    elif site:
        name = found[0].site_name + (f" – {ward_type}" if ward_type else "")
    else:
        name = org or "the system"
    return [r.code for r in found], name


def spells_by_key(engine: Engine, keys: Collection[str]) -> list[SpellState]:
    """These spells, each folded from its events."""
    with db.reading(engine) as conn:
        found = proj.load_spell_events(conn, list(keys))
    return [fold_spell(key, events) for key, events in found.items()]
