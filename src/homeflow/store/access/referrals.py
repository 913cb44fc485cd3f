"""The referrals board: open and declined referrals of patients still in hospital."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, select

from homeflow.domain.clock import local_date
from homeflow.domain.privacy import (
    may_identify,
)
from homeflow.domain.spell import SpellStatus
from homeflow.domain.writes import may_answer_referral
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
from homeflow.store.codec import from_db_time
from homeflow.store.registry import organisation_names


@dataclass(frozen=True, slots=True)
class ReferralRow:
    spell_key: str
    referral_id: str
    patient: PatientLabel
    org_code: str
    ward_name: str
    service: str
    provider_org: str | None
    status: str
    made_at: datetime
    days_waiting: int
    trusted_assessment: bool
    decline_reason: str | None
    may_record: bool
    pathway: str | None = None  # the patient's discharge pathway, P0-P3, if given yet
    org_name: str = ""
    provider_name: str = ""


def referrals_board(
    engine: Engine, viewer: Viewer, today: date, service: str | None = None
) -> list[ReferralRow]:
    """Referrals of patients still in hospital that are open, or were declined and need
    another plan; longest waiting first."""
    r, s = t.referrals, t.spells
    board = (
        s.c.status == SpellStatus.ADMITTED.value,
        r.c.status.in_(["made", "accepted", "declined"]),
        *((r.c.service == service,) if service else ()),
    )
    query = (
        select(
            r,
            *PATIENT_COLUMNS,
            t.wards.c.name.label("ward_name"),
            t.sites.c.org_code,
            s.c.pathway,
        )
        .join(s, s.c.spell_key == r.c.spell_key)
        .join(t.wards, t.wards.c.code == s.c.ward_code)
        .join(t.sites, t.sites.c.code == t.wards.c.site_code)
        .outerjoin(t.patients, t.patients.c.patient_id == s.c.patient_id)
        .where(*board)
        .order_by(r.c.made_at)
    )
    among = select(r.c.spell_key).join(s, s.c.spell_key == r.c.spell_key).where(*board)
    with db.reading(engine) as conn:
        found = list(conn.execute(query))
        _waiting, involved = referrals_of(conn, among)
        names = organisation_names(conn)
        rows = []
        for row in found:
            made_at = from_db_time(row.made_at)
            assert made_at is not None
            provider = row.provider_org
            identified = may_identify(
                viewer.org_code, row.org_code, involved.get(row.spell_key, ())
            )
            rows.append(
                ReferralRow(
                    row.spell_key,
                    row.referral_id,
                    patient_label(viewer, row, identified, today),
                    row.org_code,
                    row.ward_name,
                    row.service,
                    provider,
                    row.status,
                    made_at,
                    (today - local_date(made_at)).days,
                    row.trusted_assessment,
                    row.decline_reason if identified else None,
                    may_answer_referral(viewer.org_code, viewer.role, provider, row.org_code),
                    row.pathway,
                    names.get(row.org_code, row.org_code),
                    names.get(provider or "", provider or ""),
                )
            )
    if any(x.patient.identified for x in rows):
        audit_view(engine, viewer, "referrals board")
    return rows
