"""The ward whiteboard: a row per bed, folded from the events, with its inline forms."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import Engine, select

from homeflow.domain import forms
from homeflow.domain.clock import local_date
from homeflow.domain.errors import InvalidInput
from homeflow.domain.flow import stranded_after
from homeflow.domain.organisations import numbered_beds
from homeflow.domain.privacy import (
    may_identify,
)
from homeflow.domain.spell import SpellState, SpellStatus
from homeflow.domain.writes import may_record_care
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.access.audit import audit_view
from homeflow.store.access.caches import folded_spells
from homeflow.store.access.scope import (
    PATIENT_COLUMNS,
    NotFound,
    PatientLabel,
    PendingReferral,
    Viewer,
    patient_label,
)
from homeflow.store.beds import dated_beds


@dataclass(frozen=True, slots=True)
class BedRow:
    spell_key: str
    bed: str | None
    patient: PatientLabel
    length_of_stay: int
    expected_discharge_date: date | None
    clinical_criteria: str
    senior_review_today: bool
    meets_criteria: bool | None
    discharge_ready_date: date | None
    delay_reason: str | None
    dtoc_reason: str | None
    responsible_agency: str | None
    pathway: str | None
    referrals: tuple[PendingReferral, ...]
    colour_today: str | None
    red_reason_today: str | None  # why today is red: what the patient waited for
    specialty: str | None  # the team the patient is under
    may_record: bool
    seen: dict[str, str]  # what each inline form shows, to detect a conflicting change

    @property
    def is_nctr(self) -> bool:
        return self.discharge_ready_date is not None

    @property
    def is_stranded(self) -> bool:
        return stranded_after(self.length_of_stay)


@dataclass(frozen=True, slots=True)
class Whiteboard:
    ward_code: str
    ward_name: str
    ward_type: str
    site_name: str
    org_code: str
    specialty: str
    beds: int
    occupied: int
    rows: list[BedRow]
    # The ward's beds nobody is in (none when a filter is on, or when the feed's bed labels
    # are not the ward's numbered beds, 01 to its number of beds: then only `free` is known).
    empty_beds: list[str]
    # The specialties the registry's wards are named by: a patient's specialty from a feed in
    # another vocabulary (a code such as "300") cannot be compared, so is never an outlier.
    specialties: frozenset[str] = frozenset()
    site_code: str = ""

    @property
    def free(self) -> int:
        return max(self.beds - self.occupied, 0)

    def is_outlying(self, row: BedRow) -> bool:
        """A patient under another team than the ward's (on an assessment unit, everyone is
        under its own team until they move)."""
        return row.specialty in self.specialties and row.specialty != self.specialty

    def lines(self) -> list[tuple[str, BedRow | None]]:
        """The board bed by bed: each patient by their bed, each empty bed, then anyone on
        the ward without a bed."""
        by_bed: list[tuple[str, BedRow | None]] = [(r.bed, r) for r in self.rows if r.bed]
        by_bed += [(bed, None) for bed in self.empty_beds]
        by_bed.sort(key=lambda line: (_bed_order(line[0]), line[1] is None))
        return by_bed + [("", r) for r in self.rows if not r.bed]


def _bed_order(label: str) -> tuple[int, str]:
    digits = "".join(ch for ch in label if ch.isdigit())
    return (int(digits) if digits else 1 << 30, label)


WHITEBOARD_FILTERS = ("nctr", "stranded", "edd-due")
WHITEBOARD_FORMS = forms.shown_on(forms.WHITEBOARD)


def whiteboard(
    engine: Engine, viewer: Viewer, ward_code: str, today: date, only: str | None = None
) -> Whiteboard:
    if only is not None and only not in WHITEBOARD_FILTERS:
        raise InvalidInput("only", f"{only!r} is not one of {', '.join(WHITEBOARD_FILTERS)}")
    s = t.spells
    with db.reading(engine) as conn:
        ward = conn.execute(
            select(t.wards, t.sites.c.name.label("site_name"), t.sites.c.org_code)
            .join(t.sites, t.sites.c.code == t.wards.c.site_code)
            .where(t.wards.c.code == ward_code)
        ).one_or_none()
        if ward is None:
            raise NotFound(f"ward {ward_code}")
        patients = {
            r.spell_key: r
            for r in conn.execute(
                select(s.c.spell_key, s.c.event_count, *PATIENT_COLUMNS)
                .outerjoin(t.patients, t.patients.c.patient_id == s.c.patient_id)
                .where(s.c.status == SpellStatus.ADMITTED.value, s.c.ward_code == ward_code)
            )
        }
        # The whiteboard is folded from the events, so each inline form carries exactly the
        # values `record_change` will compare against.
        states = folded_spells(conn, {key: r.event_count for key, r in patients.items()})
        beds = dated_beds(conn).beds_on(ward_code, today, ward.beds)
        specialties = frozenset(conn.execute(select(t.wards.c.specialty).distinct()).scalars())
        rows = []
        for state in states:
            involved = {r.provider_org for r in state.referrals if r.provider_org}
            identified = may_identify(viewer.org_code, ward.org_code, involved)
            row = _bed_row(
                viewer,
                state,
                patient_label(viewer, patients[state.spell_key], identified, today),
                today,
            )
            row = replace(
                row, may_record=may_record_care(viewer.org_code, viewer.role, ward.org_code)
            )
            if _passes(row, only, today):
                rows.append(row)
    if any(row.patient.identified for row in rows):
        audit_view(engine, viewer, f"whiteboard {ward_code}")
    rows.sort(key=lambda row: (row.bed or "", row.spell_key))
    labels = numbered_beds(beds)
    taken = {state.current_stay.bed for state in states if state.current_stay}
    empty: list[str] = []
    if only is None and taken <= {*labels, None}:
        empty = [label for label in labels if label not in taken]
    return Whiteboard(
        ward.code,
        ward.name,
        ward.type,
        ward.site_name,
        ward.org_code,
        ward.specialty,
        beds,
        len(states),
        rows,
        empty,
        specialties,
        ward.site_code,
    )


def _bed_row(viewer: Viewer, state: SpellState, patient: PatientLabel, today: date) -> BedRow:
    stay = state.current_stay
    reason = state.current_delay_reason
    assert state.admitted_at is not None
    ready = state.discharge_ready_date
    rating = next((r for r in state.day_ratings if r.day == today), None)
    return BedRow(
        spell_key=state.spell_key,
        bed=stay.bed if stay else None,
        patient=patient,
        length_of_stay=(today - local_date(state.admitted_at)).days,
        expected_discharge_date=state.expected_discharge_date,
        # Free text about the patient only for those caring for them.
        clinical_criteria=state.clinical_criteria if patient.identified else "",
        senior_review_today=state.last_senior_review_at is not None
        and local_date(state.last_senior_review_at) == today,
        meets_criteria=state.meets_criteria,
        discharge_ready_date=ready if ready is not None and ready <= today else None,
        delay_reason=reason.reason if reason else None,
        dtoc_reason=reason.dtoc_reason if reason else None,
        responsible_agency=reason.responsible_agency if reason else None,
        pathway=state.pathway,
        referrals=tuple(
            PendingReferral(r.referral_id, r.service, r.provider_org, r.status, r.made_at)
            for r in state.referrals
            if r.is_open
        ),
        colour_today=rating.colour if rating else None,
        # The reason is free text about the patient, like the clinical criteria.
        red_reason_today=rating.red_reason if rating and patient.identified else None,
        specialty=state.specialty,
        may_record=False,
        seen={
            form: forms.FORMS[form].reads(state, {"day": today.isoformat()})
            for form in WHITEBOARD_FORMS
        },
    )


def _passes(row: BedRow, only: str | None, today: date) -> bool:
    if only == "nctr":
        return row.is_nctr
    if only == "stranded":
        return row.is_stranded
    if only == "edd-due":
        # A passed EDD is overdue, not off the list: the patient is still here.
        edd = row.expected_discharge_date
        return edd is not None and edd <= today + timedelta(days=1)
    return True
