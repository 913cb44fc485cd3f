"""The stranded and super-stranded review list: each patient in hospital 7+ days with what has
been done (the last review: when, by whom, its outcome) and what is outstanding (the delay
reason, the expected discharge date, the open actions)."""

from __future__ import annotations

from dataclasses import dataclass, replace
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
from homeflow.domain.spell import Action, SpellStatus
from homeflow.domain.writes import may_record_care
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.access.audit import audit_view
from homeflow.store.access.daily_call import actions_of, delay_reason_of
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
    delay_reason: str | None  # in words, for a patient without criteria to reside
    expected_discharge_date: date | None
    open_actions: tuple[Action, ...]  # their words only for those in the patient's care
    last_recorded_by: str | None = None

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
                    s.c.expected_discharge_date,
                    s.c.delay_reason,
                    s.c.dtoc_reason,
                    s.c.responsible_agency,
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
        actions, _recorders = actions_of(conn, among)
        _waiting, involved = referrals_of(conn, among)
        rows = []
        for r in found:
            los = (today - stored_local_date(r.admitted_at)).days
            if not stranded_after(los):
                continue
            review = latest.get(r.spell_key)
            identified = may_identify(viewer.org_code, r.org_code, involved.get(r.spell_key, ()))
            nctr = r.discharge_ready_date is not None and r.discharge_ready_date <= today
            open_actions = tuple(
                a if identified else replace(a, description="")
                for a in actions.get(r.spell_key, ())
                if a.status == "open"
            )
            rows.append(
                StrandedRow(
                    r.spell_key,
                    patient_label(viewer, r, identified, today),
                    r.org_code,
                    r.ward_name,
                    los,
                    super_stranded_after(los),
                    nctr,
                    from_db_time(review.reviewed_at) if review is not None else None,
                    review.reviewer if review is not None and identified else None,
                    review.outcome if review is not None else None,
                    review.actions if review is not None and identified else None,
                    may_record_care(viewer.org_code, viewer.role, r.org_code),
                    delay_reason_of(r)[1] if nctr else None,
                    r.expected_discharge_date,
                    open_actions,
                    review.recorded_by if review is not None and identified else None,
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
