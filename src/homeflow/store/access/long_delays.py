"""The longest delays and internal delays over 48 hours (UEC plan 2025/26), by ward, site,
trust and system: each patient labelled as every list labels them (a patient outside the
viewer's organisations by initials, their actions without words), and a look audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, select

from homeflow.domain import codes
from homeflow.domain.clock import local_date
from homeflow.domain.errors import InvalidInput
from homeflow.domain.long_delays import KIND_TITLES, NO_PATHWAY, Delay, DelayKind, delays
from homeflow.domain.privacy import may_identify
from homeflow.domain.spell import Action
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.access.audit import audit_view
from homeflow.store.access.daily_call import actions_of, actions_seen_by, next_step_org
from homeflow.store.access.people import spells_in_hospital
from homeflow.store.access.scope import (
    PATIENT_COLUMNS,
    PatientLabel,
    Viewer,
    patient_label,
    referrals_of,
)
from homeflow.store.registry import systems_of_places


class DelayLevel(StrEnum):
    WARD = "ward"
    SITE = "site"
    TRUST = "trust"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class DelayRow:
    spell_key: str
    patient: PatientLabel
    place: str  # the ward, site, trust or system the row is listed under
    org_code: str
    site_code: str
    site_name: str
    ward_code: str
    ward_name: str
    discharge_ready_date: date
    days_past: int
    pathway: str | None
    family: str
    reason: str
    hours_internal: float | None
    next_step_org: str
    open_actions: tuple[Action, ...]

    def as_dict(self) -> dict[str, str | int | float]:
        """The row as the CSV and the command line give it (docs/daily-call.md)."""
        return {
            "patient": self.patient.name,
            "nhs_number": self.patient.nhs_number or "",
            "age": "" if self.patient.age is None else self.patient.age,
            "place": self.place,
            "organisation": self.org_code,
            "site": self.site_name,
            "ward": self.ward_name,
            "ready_date": self.discharge_ready_date.isoformat(),
            "days_past": self.days_past,
            "pathway": self.pathway or "",
            "delay_family": self.family,
            "delay_reason": self.reason,
            "hours_internal": "" if self.hours_internal is None else round(self.hours_internal, 1),
            "next_step_owner": self.next_step_org,
            "open_actions": "; ".join(
                f"{'Escalation: ' if a.escalation else ''}{a.description or '(words not shown)'}"
                f" ({a.owner}, due {a.due_date or 'no date'})"
                for a in self.open_actions
            ),
        }


CSV_COLUMNS = (
    "patient", "nhs_number", "age", "place", "organisation", "site", "ward",
    "ready_date", "days_past", "pathway", "delay_family", "delay_reason",
    "hours_internal", "next_step_owner", "open_actions",
)  # fmt: skip


def delay_rows(
    engine: Engine,
    viewer: Viewer,
    kind: DelayKind,
    at: datetime,
    level: DelayLevel,
    place: str | None,
    today: date,
    audited: bool = True,
    pathway: str | None = None,
) -> list[DelayRow]:
    """The patients of list `kind` at `at` (the midnight ending a day, or now), each under
    their place at `level`; only `place`'s when one is named (an unknown one is refused).
    Not `audited` only for counts, which show no one. Only one `pathway`'s (P0-P3, or "not
    recorded") when one is named."""
    known = [p.code for p in codes.discharge_pathways().codes]
    if pathway is not None and pathway not in (*known, NO_PATHWAY):
        raise InvalidInput("pathway", f"{pathway!r} is not {', '.join(known)} or {NO_PATHWAY}")
    found = [
        d
        for d in delays(spells_in_hospital(engine, local_date(at)), at, kind)
        if pathway is None or (d.spell.pathway or NO_PATHWAY) == pathway
    ]
    keys = [d.spell.spell_key for d in found]
    s = t.spells
    among = select(s.c.spell_key).where(s.c.spell_key.in_(keys))
    with db.reading(engine) as conn:
        wards = {r.code: r for r in conn.execute(_WARDS)}
        systems = systems_of_places(conn, "org")
        patients = {
            r.spell_key: r
            for r in conn.execute(
                select(s.c.spell_key, *PATIENT_COLUMNS)
                .outerjoin(t.patients, t.patients.c.patient_id == s.c.patient_id)
                .where(s.c.spell_key.in_(keys))
            )
        }
        actions, _ = actions_of(conn, among)
        waiting, involved = referrals_of(conn, among)
    if place is not None and place not in {_place_of(level, w, systems) for w in wards.values()}:
        raise InvalidInput("place", f"{place!r} is not a {level.value} homeflow holds")
    rows = []
    for d in found:
        ward = wards[d.ward_code]
        where = _place_of(level, ward, systems)
        if place is not None and where != place:
            continue
        key = d.spell.spell_key
        identified = may_identify(viewer.org_code, ward.org_code, involved.get(key, ()))
        spell_actions = tuple(actions.get(key, ()))
        still_open = tuple(a for a in spell_actions if a.status == "open")
        family, reason = _reason_of(d)
        rows.append(
            DelayRow(
                key,
                patient_label(viewer, patients.get(key), identified, today),
                where,
                ward.org_code,
                ward.site_code,
                ward.site_name,
                ward.code,
                ward.name,
                d.discharge_ready_date,
                d.days_past,
                d.spell.pathway,
                family,
                reason,
                d.hours_internal,
                next_step_org(ward.org_code, spell_actions, waiting.get(key, [])),
                actions_seen_by(viewer, still_open, identified),
            )
        )
    if audited and any(r.patient.identified for r in rows):
        audit_view(engine, viewer, f"{KIND_TITLES[kind].lower()} at {at:%d/%m/%Y %H:%M}")
    return rows


_WARDS = select(
    t.wards.c.code,
    t.wards.c.name,
    t.wards.c.site_code,
    t.sites.c.name.label("site_name"),
    t.sites.c.org_code,
).join(t.sites, t.sites.c.code == t.wards.c.site_code)


def _place_of(level: DelayLevel, ward: Any, systems: dict[str, str]) -> str:
    if level is DelayLevel.WARD:
        return str(ward.code)
    if level is DelayLevel.SITE:
        return str(ward.site_code)
    if level is DelayLevel.TRUST:
        return str(ward.org_code)
    return str(systems.get(ward.org_code, ward.org_code))


def _reason_of(d: Delay) -> tuple[str, str]:
    """The current delay reason in words, and its family."""
    if d.reason is None:
        return "Not recorded", "No delay reason recorded"
    if d.reason.reason is not None:
        code = codes.nctr_delay_reasons().get(d.reason.reason)
        return code.family, code.label
    assert d.reason.dtoc_reason is not None
    label = codes.dtoc_reasons().get(d.reason.dtoc_reason).label
    return "DToC", f"{label} ({d.reason.responsible_agency})"
