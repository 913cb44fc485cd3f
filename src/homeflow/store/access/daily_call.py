"""The daily system call: every delayed patient, who owns the next step, escalations."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, Select, select

from homeflow.domain import codes
from homeflow.domain.escalation import EscalationRules, escalation_flags
from homeflow.domain.flow import days_delayed_since
from homeflow.domain.privacy import (
    may_identify,
)
from homeflow.domain.spell import Action, SpellStatus
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.access.audit import audit_view
from homeflow.store.access.caches import per_log_version
from homeflow.store.access.scope import (
    PATIENT_COLUMNS,
    PatientLabel,
    PendingReferral,
    Viewer,
    patient_label,
    referrals_of,
)
from homeflow.store.codec import from_db_time


@dataclass(frozen=True, slots=True)
class DailyCallRow:
    spell_key: str
    patient: PatientLabel
    org_code: str
    site_name: str
    ward_name: str
    family: str
    reason: str
    next_step_org: str
    discharge_ready_date: date
    days_delayed: int
    pathway: str | None
    actions: tuple[Action, ...]
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Delayed:
    """A delayed patient as every viewer's daily call starts from (before scoping)."""

    found: Any  # the spell, patient and place columns
    involved: frozenset[str]
    family: str
    reason: str
    next_step_org: str
    days_delayed: int
    actions: tuple[Action, ...]
    flags: tuple[str, ...]


def daily_call(
    engine: Engine, viewer: Viewer, today: date, rules: EscalationRules
) -> list[DailyCallRow]:
    """Every patient without criteria to reside, across the system, most delayed first."""
    delayed = per_log_version(
        engine, "daily call", (today, rules), lambda: _delayed_patients(engine, today, rules)
    )
    rows = [_row(viewer, d, today) for d in delayed]
    if any(row.patient.identified for row in rows):
        audit_view(engine, viewer, "daily call")
    return rows


def _row(viewer: Viewer, d: _Delayed, today: date) -> DailyCallRow:
    """A delayed patient as this viewer sees them: no name and no free text about the
    patient (actions' words, what an overdue action was) outside their care."""
    label = patient_label(
        viewer, d.found, may_identify(viewer.org_code, d.found.org_code, d.involved), today
    )
    actions, flags = d.actions, d.flags
    if not label.identified:
        actions = tuple(replace(a, description="") for a in actions)
        flags = tuple(flag.split(":")[0] for flag in flags)
    return DailyCallRow(
        d.found.spell_key,
        label,
        d.found.org_code,
        d.found.site_name,
        d.found.ward_name,
        d.family,
        d.reason,
        d.next_step_org,
        d.found.discharge_ready_date,
        d.days_delayed,
        d.found.pathway,
        actions,
        flags,
    )


def _delayed_patients(engine: Engine, today: date, rules: EscalationRules) -> list[_Delayed]:
    with db.reading(engine) as conn:
        return _delayed_in(conn, today, rules)


def _delayed_in(conn: Connection, today: date, rules: EscalationRules) -> list[_Delayed]:
    s = t.spells
    reasons = codes.nctr_delay_reasons()
    dtoc = codes.dtoc_reasons()
    delayed = (s.c.status == SpellStatus.ADMITTED.value, s.c.discharge_ready_date <= today)
    among = select(s.c.spell_key).where(*delayed)
    found = conn.execute(
        select(
            s.c.spell_key,
            s.c.discharge_ready_date,
            s.c.delay_reason,
            s.c.dtoc_reason,
            s.c.responsible_agency,
            s.c.pathway,
            *PATIENT_COLUMNS,
            t.wards.c.name.label("ward_name"),
            t.sites.c.name.label("site_name"),
            t.sites.c.org_code,
        )
        .join(t.wards, t.wards.c.code == s.c.ward_code)
        .join(t.sites, t.sites.c.code == t.wards.c.site_code)
        .outerjoin(t.patients, t.patients.c.patient_id == s.c.patient_id)
        .where(*delayed)
    ).all()
    actions = _actions(conn, among)
    referrals, involved = referrals_of(conn, among)
    result = []
    for r in found:
        spell_actions = tuple(actions.get(r.spell_key, ()))
        days = days_delayed_since(r.discharge_ready_date, today)
        family, reason = "Not recorded", "No delay reason recorded"
        if r.delay_reason:
            code = reasons.get(r.delay_reason)
            family, reason = code.family, code.label
        elif r.dtoc_reason:
            family, reason = "DToC", f"{dtoc.get(r.dtoc_reason).label} ({r.responsible_agency})"
        result.append(
            _Delayed(
                r,
                frozenset(involved.get(r.spell_key, ())),
                family,
                reason,
                _next_step_org(r.org_code, spell_actions, referrals.get(r.spell_key, [])),
                days,
                spell_actions,
                tuple(escalation_flags(days, spell_actions, today, rules)),
            )
        )
    result.sort(key=lambda d: (d.family, d.next_step_org, -d.days_delayed))
    return result


def _next_step_org(
    treating_org: str, actions: Iterable[Action], referrals: list[PendingReferral]
) -> str:
    """The next step belongs to whoever owns the earliest open action, else the provider
    a referral is waiting on, else the treating trust."""
    open_actions = sorted(
        (a for a in actions if a.status == "open" and a.owner_org),
        key=lambda a: (a.due_date or date.max, a.recorded_at),
    )
    if open_actions:
        return open_actions[0].owner_org or treating_org
    waiting = [r.provider_org for r in referrals if r.provider_org]
    return waiting[0] if waiting else treating_org


def _actions(conn: Connection, among: Select[tuple[str]]) -> dict[str, list[Action]]:
    a = t.actions
    found: dict[str, list[Action]] = {}
    for r in conn.execute(select(a).where(a.c.spell_key.in_(among)).order_by(a.c.recorded_at)):
        recorded_at = from_db_time(r.recorded_at)
        assert recorded_at is not None
        found.setdefault(r.spell_key, []).append(
            Action(
                r.action_id,
                r.description,
                r.owner,
                r.owner_org,
                r.due_date,
                r.status,
                recorded_at,
                r.recorded_by,
            )
        )
    return found
