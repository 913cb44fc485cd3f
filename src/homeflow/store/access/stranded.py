"""The stranded and super-stranded review list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Select, select

from homeflow.domain import clock
from homeflow.domain.clock import start_of_day
from homeflow.domain.flow import (
    last_admission_day_stranded_on,
    stranded_after,
    super_stranded_after,
)
from homeflow.domain.privacy import (
    may_identify,
)
from homeflow.domain.spell import SpellStatus
from homeflow.domain.writes import may_record_care
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
from homeflow.store.codec import from_db_time, stored_local_date, to_db_time


@dataclass(frozen=True, slots=True)
class StrandedRow:
    spell_key: str
    patient: PatientLabel
    org_code: str
    ward_name: str
    length_of_stay: int
    super_stranded: bool
    nctr: bool
    last_review_at: datetime | None
    last_reviewer: str | None
    last_outcome: str | None
    last_actions: str | None
    may_record: bool

    @property
    def reviewed_this_week(self) -> bool:
        return self.last_review_at is not None and (
            clock.now() - self.last_review_at < timedelta(days=7)
        )


def stranded_list(engine: Engine, viewer: Viewer, today: date) -> list[StrandedRow]:
    """Patients in hospital 7+ days (21+ are super-stranded), longest first."""
    s = t.spells
    admitted_before = to_db_time(
        start_of_day(last_admission_day_stranded_on(today) + timedelta(days=1))
    )
    long_stay = (s.c.status == SpellStatus.ADMITTED.value, s.c.admitted_at < admitted_before)
    among = select(s.c.spell_key).where(*long_stay)
    with db.reading(engine) as conn:
        found = list(
            conn.execute(
                select(
                    s.c.spell_key,
                    s.c.admitted_at,
                    s.c.discharge_ready_date,
                    *PATIENT_COLUMNS,
                    t.wards.c.name.label("ward_name"),
                    t.sites.c.org_code,
                )
                .join(t.wards, t.wards.c.code == s.c.ward_code)
                .join(t.sites, t.sites.c.code == t.wards.c.site_code)
                .outerjoin(t.patients, t.patients.c.patient_id == s.c.patient_id)
                .where(*long_stay)
            )
        )
        latest = _latest_reviews(conn, among)
        _waiting, involved = referrals_of(conn, among)
        rows = []
        for r in found:
            los = (today - stored_local_date(r.admitted_at)).days
            if not stranded_after(los):
                continue
            review = latest.get(r.spell_key)
            identified = may_identify(viewer.org_code, r.org_code, involved.get(r.spell_key, ()))
            rows.append(
                StrandedRow(
                    r.spell_key,
                    patient_label(viewer, r, identified, today),
                    r.org_code,
                    r.ward_name,
                    los,
                    super_stranded_after(los),
                    r.discharge_ready_date is not None and r.discharge_ready_date <= today,
                    from_db_time(review.reviewed_at) if review is not None else None,
                    review.reviewer if review is not None and identified else None,
                    review.outcome if review is not None else None,
                    review.actions if review is not None and identified else None,
                    may_record_care(viewer.org_code, viewer.role, r.org_code),
                )
            )
    if any(row.patient.identified for row in rows):
        audit_view(engine, viewer, "stranded list")
    rows.sort(key=lambda row: -row.length_of_stay)
    return rows


def _latest_reviews(conn: Connection, among: Select[tuple[str]]) -> dict[str, Any]:
    r = t.stranded_reviews
    latest: dict[str, Any] = {}
    for row in conn.execute(select(r).where(r.c.spell_key.in_(among)).order_by(r.c.seq)):
        latest[row.spell_key] = row
    return latest
