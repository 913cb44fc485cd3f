"""The care transfer hub beyond its open referrals: NHS Continuing Healthcare cases from the
positive checklist to the decision, and housing and personal health budget requests with
their decisions, for patients in hospital or gone from it. Scoped and audited as every page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, Select, or_, select

from homeflow.domain import events as ev
from homeflow.domain.clock import local_date, start_of_day
from homeflow.domain.hub import DECIDED_SERVICES, ChcCase, Request
from homeflow.domain.privacy import may_identify
from homeflow.domain.spell import SpellStatus
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.access.audit import audit_view
from homeflow.store.access.scope import (
    PATIENT_COLUMNS,
    PatientLabel,
    Viewer,
    patient_label,
    referrals_of,
)
from homeflow.store.codec import event_from_row, from_db_time, stored_local_date, to_db_time
from homeflow.store.registry import organisation_names


@dataclass(frozen=True, slots=True)
class Place:
    """Where the patient is: the hospital and ward, or the day they left."""

    site_name: str
    ward_name: str
    left_on: date | None


@dataclass(frozen=True, slots=True)
class ChcRow:
    case: ChcCase
    patient: PatientLabel
    place: Place


@dataclass(frozen=True, slots=True)
class RequestRow:
    request: Request
    patient: PatientLabel
    place: Place
    provider: str  # the organisation's name
    decline_reason: str | None


def _spell_columns() -> tuple[Any, ...]:
    s = t.spells
    return (
        s.c.spell_key,
        s.c.status.label("spell_status"),  # a referral has a status of its own
        s.c.discharged_at,
        t.sites.c.org_code,
        t.sites.c.name.label("site_name"),
        t.wards.c.name.label("ward_name"),
        *PATIENT_COLUMNS,
    )


def _with_places(query: Select[Any]) -> Select[Any]:
    s = t.spells
    return (
        query.join(t.wards, t.wards.c.code == s.c.ward_code)
        .join(t.sites, t.sites.c.code == t.wards.c.site_code)
        .outerjoin(t.patients, t.patients.c.patient_id == s.c.patient_id)
    )


def _place(row: Any) -> Place:
    left = from_db_time(row.discharged_at)
    gone = row.spell_status == SpellStatus.DISCHARGED.value
    return Place(row.site_name, row.ward_name, local_date(left) if gone and left else None)


def chc_cases(
    engine: Engine, viewer: Viewer, today: date, since: date, listed: bool = True
) -> list[ChcRow]:
    """Every positive checklist received since `since`, and any older still undecided,
    longest since the checklist first. A look at the list is audited; counting them
    (`listed` false, the hub's figures) shows no one."""
    s = t.spells
    wanted = (
        s.c.chc_checklist == ev.ChecklistOutcome.POSITIVE.value,
        s.c.status != SpellStatus.CANCELLED.value,
        or_(
            s.c.chc_decision_date.is_(None), s.c.chc_checklist_at >= to_db_time(start_of_day(since))
        ),
    )
    columns = (
        *_spell_columns(),
        s.c.chc_checklist_at,
        s.c.chc_assessment_date,
        s.c.chc_assessment_setting,
        s.c.chc_decision_date,
    )
    query = _with_places(select(*columns)).where(*wanted).order_by(s.c.chc_checklist_at)
    among = select(s.c.spell_key).where(*wanted)
    with db.reading(engine) as conn:
        found = list(conn.execute(query))
        _waiting, involved = referrals_of(conn, among)
        eligible = _eligibility(conn, among)
    rows = []
    for row in found:
        case = ChcCase(
            row.spell_key,
            stored_local_date(row.chc_checklist_at),
            row.chc_assessment_date,
            None
            if row.chc_assessment_setting is None
            else row.chc_assessment_setting == ev.CareSetting.ACUTE.value,
            row.chc_decision_date,
            eligible.get(row.spell_key) if row.chc_decision_date else None,
        )
        identified = may_identify(viewer.org_code, row.org_code, involved.get(row.spell_key, ()))
        rows.append(ChcRow(case, patient_label(viewer, row, identified, today), _place(row)))
    if listed and any(r.patient.identified for r in rows):
        audit_view(engine, viewer, "care transfer hub: NHS Continuing Healthcare")
    return rows


def _eligibility(conn: Connection, among: Select[Any]) -> dict[str, bool | None]:
    """Each spell's latest eligibility decision, from its decision support tool records (the
    projection keeps the decision's date, not its outcome)."""
    e = t.events
    found: dict[str, bool | None] = {}
    for row in conn.execute(
        select(e)
        .where(e.c.type == ev.ChcAssessmentRecorded.TYPE, e.c.spell_key.in_(among))
        .order_by(e.c.occurred_at, e.c.seq)
    ):
        payload = event_from_row(row).payload
        assert isinstance(payload, ev.ChcAssessmentRecorded)
        found[row.spell_key] = payload.eligible
    return found


def decided_requests(
    engine: Engine, viewer: Viewer, today: date, since: date, service: str, listed: bool = True
) -> list[RequestRow]:
    """Requests to `service` (housing, a personal health budget) made since `since`, and any
    older still awaiting a decision, oldest first; audited as `chc_cases` is."""
    if service not in DECIDED_SERVICES:
        raise ValueError(f"{service!r} is not followed to a decision")
    r, s = t.referrals, t.spells
    wanted = (
        r.c.service == service,
        s.c.status != SpellStatus.CANCELLED.value,
        or_(r.c.made_at >= to_db_time(start_of_day(since)), r.c.status == "made"),
    )
    query = (
        _with_places(
            select(r, *_spell_columns()).select_from(r).join(s, s.c.spell_key == r.c.spell_key)
        )
        .where(*wanted)
        .order_by(r.c.made_at)
    )
    among = select(r.c.spell_key).join(s, s.c.spell_key == r.c.spell_key).where(*wanted)
    with db.reading(engine) as conn:
        found = list(conn.execute(query))
        _waiting, involved = referrals_of(conn, among)
        names = organisation_names(conn)
    rows = []
    for row in found:
        decided_at = from_db_time(row.accepted_at or row.declined_at)
        request = Request(
            row.spell_key,
            row.service,
            stored_local_date(row.made_at),
            local_date(decided_at) if decided_at else None,
            None if decided_at is None else row.accepted_at is not None,
        )
        identified = may_identify(viewer.org_code, row.org_code, involved.get(row.spell_key, ()))
        rows.append(
            RequestRow(
                request,
                patient_label(viewer, row, identified, today),
                _place(row),
                names.get(row.provider_org or "", row.provider_org or "–"),
                row.decline_reason if identified else None,
            )
        )
    if listed and any(x.patient.identified for x in rows):
        audit_view(engine, viewer, f"care transfer hub: {service} requests")
    return rows
