"""Who is looking, who is involved in a patient's care, and what of the patient they may
see: the organisation scoping every page applies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, select

from homeflow.domain.privacy import (
    Role,
    age_on,
    format_nhs_number,
    initials,
    may_identify,
)
from homeflow.domain.spell import SpellState, fold_spell
from homeflow.store import projections as proj
from homeflow.store import schema as t
from homeflow.store.codec import from_db_time


@dataclass(frozen=True, slots=True)
class Viewer:
    email: str
    org_code: str
    role: Role
    client: str  # where the request came from, for the audit log


class Forbidden(Exception):
    """The viewer's organisation is not involved in this patient's care, or their role
    does not allow the change."""


class NotFound(Exception):
    pass


class Unchanged(Exception):
    """The change asks for what the record already says: nothing to store."""


class Conflict(Exception):
    """Someone else changed the same thing since the form was opened."""

    def __init__(
        self, what: str, now_reads: str, changed_by: str | None, changed_at: datetime | None
    ) -> None:
        super().__init__(f"{what} was changed by {changed_by or 'someone else'}")
        self.what = what
        self.now_reads = now_reads
        self.changed_by = changed_by
        self.changed_at = changed_at


@dataclass(frozen=True, slots=True)
class PatientLabel:
    name: str  # full name, or initials for someone outside the patient's care
    nhs_number: str | None
    age: int | None
    identified: bool


def org_of_site(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(select(t.sites.c.code, t.sites.c.org_code)).all())


def referrals_of(
    conn: Connection, among: Select[tuple[str]]
) -> tuple[dict[str, list[PendingReferral]], dict[str, set[str]]]:
    """The open referrals of the spells `among` selects, and the providers each spell has
    been referred to (who are involved in the patient's care)."""
    r = t.referrals
    waiting: dict[str, list[PendingReferral]] = {}
    involved: dict[str, set[str]] = {}
    for row in conn.execute(
        select(
            r.c.spell_key, r.c.referral_id, r.c.service, r.c.provider_org, r.c.status, r.c.made_at
        )
        .where(r.c.spell_key.in_(among))
        .order_by(r.c.made_at, r.c.referral_id)
    ):
        if row.provider_org:
            involved.setdefault(row.spell_key, set()).add(row.provider_org)
        if row.status in ("made", "accepted"):
            made_at = from_db_time(row.made_at)
            assert made_at is not None
            waiting.setdefault(row.spell_key, []).append(
                PendingReferral(row.referral_id, row.service, row.provider_org, row.status, made_at)
            )
    return waiting, involved


def patient_label(viewer: Viewer, patient: Any, identified: bool, today: date) -> PatientLabel:
    if patient is None or patient.family_name is None:
        return PatientLabel("unknown", None, None, identified)
    age = age_on(patient.birth_date, today)
    if not identified:
        return PatientLabel(initials(patient.given_name, patient.family_name), None, age, False)
    nhs = format_nhs_number(patient.nhs_number) if patient.nhs_number else None
    name = f"{patient.family_name.upper()}, {patient.given_name}"
    return PatientLabel(name, nhs, age, True)


PATIENT_COLUMNS = (
    t.patients.c.family_name,
    t.patients.c.given_name,
    t.patients.c.nhs_number,
    t.patients.c.birth_date,
)


@dataclass(frozen=True, slots=True)
class PendingReferral:
    referral_id: str
    service: str
    provider_org: str | None
    status: str
    made_at: datetime


def fold_unscoped(conn: Connection, spell_key: str) -> tuple[SpellState, str | None]:
    """The spell folded from its events and the trust treating it, whoever is asking: for a
    rule that says itself who may (`writes.may_record_actions`)."""
    found = proj.load_spell_events(conn, [spell_key]).get(spell_key)
    if not found:
        raise NotFound(f"spell {spell_key}")
    state = fold_spell(spell_key, found)
    return state, org_of_site(conn).get(state.site_code or "")


def fold_scoped(conn: Connection, viewer: Viewer, spell_key: str) -> tuple[SpellState, str | None]:
    """The spell folded from its events, if the viewer's organisation is involved."""
    state, treating_org = fold_unscoped(conn, spell_key)
    involved = {r.provider_org for r in state.referrals if r.provider_org}
    if not may_identify(viewer.org_code, treating_org, involved):
        raise Forbidden("this patient is not in the care of your organisation")
    return state, treating_org
