"""The daily system call: every delayed patient, who owns the next step, escalations."""

from __future__ import annotations

from collections.abc import Collection, Iterable
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
from homeflow.domain.writes import may_change_action, may_record_actions
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.access.audit import audit_view
from homeflow.store.access.scope import (
    PATIENT_COLUMNS,
    PatientLabel,
    PendingReferral,
    Viewer,
    patient_label,
    referrals_of,
)
from homeflow.store.codec import from_db_time
from homeflow.store.registry import systems_of_places
from homeflow.store.spell_parts import per_spell_since


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
    may_act: bool  # the viewer may add actions and escalations (`writes.may_record_actions`)
    may_change: frozenset[str]  # the actions (ids) the viewer may mark done


@dataclass(frozen=True, slots=True)
class _Delayed:
    """A delayed patient as every viewer's daily call starts from (before scoping)."""

    found: Any  # the spell, patient and place columns
    involved: frozenset[str]
    treating_system: str
    family: str
    reason: str
    next_step_org: str
    days_delayed: int
    actions: tuple[Action, ...]
    flags: tuple[str, ...]
    recorder_orgs: dict[str, str]  # each action's recorder's organisation


def daily_call(
    engine: Engine, viewer: Viewer, today: date, rules: EscalationRules
) -> list[DailyCallRow]:
    """Every patient without criteria to reside, across the system, most delayed first."""
    rows = [_row(viewer, d, today) for d in _delayed_patients(engine, today, rules)]
    if any(row.patient.identified for row in rows):
        audit_view(engine, viewer, "daily call")
    return rows


def _row(viewer: Viewer, d: _Delayed, today: date) -> DailyCallRow:
    """A delayed patient as this viewer sees them: no name and no free text about the
    patient (actions' words, what an overdue action was) outside their care, but for the
    actions their organisation owns or they recorded themselves (the system's coordinator
    chairing the call sees what they asked for)."""
    label = patient_label(
        viewer, d.found, may_identify(viewer.org_code, d.found.org_code, d.involved), today
    )
    actions, flags = actions_seen_by(viewer, d.actions, label.identified), d.flags
    if not label.identified:
        flags = tuple(flag.split(":")[0] for flag in flags)
    may_act = may_record_actions(
        viewer.org_code, viewer.role, d.found.org_code, d.involved, d.treating_system
    )
    may_change = frozenset(
        a.action_id
        for a in d.actions
        if may_change_action(
            viewer.org_code, viewer.role, a.owner_org, d.recorder_orgs.get(a.action_id)
        )
    )
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
        may_act,
        may_change,
    )


def actions_seen_by(
    viewer: Viewer, actions: tuple[Action, ...], identified: bool
) -> tuple[Action, ...]:
    """A patient's actions as this viewer sees them: outside the patient's care, without the
    words of those neither their organisation owns nor they recorded."""
    if identified:
        return actions
    return tuple(
        a if viewer.org_code == a.owner_org or viewer.email == a.recorded_by
        else replace(a, description="")
        for a in actions
    )  # fmt: skip


def _delayed_patients(engine: Engine, today: date, rules: EscalationRules) -> list[_Delayed]:
    """Every delayed patient, before scoping, most delayed first within each reason and next
    step: each spell's row kept across changes to the log, only the spells (and the patients)
    new events touched read again (store/spell_parts.per_spell_since)."""
    with db.reading(engine) as conn:
        systems = systems_of_places(conn, "org")
        # The registry and users' organisations are not events: a change to them reads it whole.
        places = select(t.wards.c.code, t.wards.c.name, t.sites.c.name, t.sites.c.org_code)
        places = places.join(t.sites, t.sites.c.code == t.wards.c.site_code)
        registry = tuple(tuple(r) for r in conn.execute(places.order_by(t.wards.c.code)))
        users = select(t.users.c.email, t.users.c.org_code).order_by(t.users.c.email)
        orgs = tuple(tuple(r) for r in conn.execute(users))
        key = (today, rules, tuple(sorted(systems.items())), registry, orgs)
        found = per_spell_since(
            conn,
            "daily call",
            key,
            lambda keys: _delayed_in(conn, today, rules, systems, keys),
            by_patient=True,
        )
    return sorted(
        found.values(),
        key=lambda d: (d.family, d.next_step_org, -d.days_delayed, d.found.spell_key),
    )


def _delayed_in(
    conn: Connection,
    today: date,
    rules: EscalationRules,
    systems: dict[str, str],
    keys: Collection[str] | None,
) -> dict[str, _Delayed]:
    """The delayed patients among the spells `keys` (None: every spell), by spell."""
    s = t.spells
    delayed = [s.c.status == SpellStatus.ADMITTED.value, s.c.discharge_ready_date <= today]
    if keys is not None:
        delayed.append(s.c.spell_key.in_(sorted(keys)))
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
    actions, recorder_orgs = actions_of(conn, among)
    referrals, involved = referrals_of(conn, among)
    result = {}
    for r in found:
        spell_actions = tuple(actions.get(r.spell_key, ()))
        days = days_delayed_since(r.discharge_ready_date, today)
        family, reason = delay_reason_of(r)
        result[r.spell_key] = _Delayed(
            r,
            frozenset(involved.get(r.spell_key, ())),
            systems.get(r.org_code, r.org_code),
            family,
            reason,
            next_step_org(r.org_code, spell_actions, referrals.get(r.spell_key, [])),
            days,
            spell_actions,
            tuple(escalation_flags(days, spell_actions, today, rules)),
            recorder_orgs.get(r.spell_key, {}),
        )
    return result


def delay_reason_of(spell: Any) -> tuple[str, str]:
    """A spell row's delay reason in words, and its family (a DToC reason's is "DToC")."""
    if spell.delay_reason:
        code = codes.nctr_delay_reasons().get(spell.delay_reason)
        return code.family, code.label
    if spell.dtoc_reason:
        label = codes.dtoc_reasons().get(spell.dtoc_reason).label
        return "DToC", f"{label} ({spell.responsible_agency})"
    return "Not recorded", "No delay reason recorded"


def next_step_org(
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


def actions_of(
    conn: Connection, among: Select[tuple[str]]
) -> tuple[dict[str, list[Action]], dict[str, dict[str, str]]]:
    """Each spell's actions, and the organisation of whoever last recorded each one."""
    a, u = t.actions, t.users
    found: dict[str, list[Action]] = {}
    orgs: dict[str, dict[str, str]] = {}
    for r in conn.execute(
        select(a, u.c.org_code.label("recorder_org"))
        .outerjoin(u, u.c.email == a.c.recorded_by)
        .where(a.c.spell_key.in_(among))
        .order_by(a.c.recorded_at, a.c.action_id)
    ):
        if r.recorder_org:
            orgs.setdefault(r.spell_key, {})[r.action_id] = r.recorder_org
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
                r.escalation,
            )
        )
    return found, orgs
