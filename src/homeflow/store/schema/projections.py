"""The projections: every table `homeflow rebuild` drops and refolds from the log."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from homeflow.store.schema.base import metadata

spells = Table(
    "spells",
    metadata,
    Column("spell_key", String(60), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("patient_id", String(60), nullable=True),
    Column("site_code", String(12), nullable=True),
    Column("ward_code", String(20), nullable=True),
    Column("bed", String(20), nullable=True),
    Column("admitted_at", DateTime, nullable=True),
    Column("admission_method", String(20), nullable=True),
    Column("specialty", String(60), nullable=True),
    Column("discharged_at", DateTime, nullable=True),
    Column("discharge_destination", String(60), nullable=True),
    Column("died", Boolean, nullable=False, default=False),
    Column("on_leave", Boolean, nullable=False, default=False),
    Column("expected_discharge_date", Date, nullable=True),
    Column("clinical_criteria", Text, nullable=False, default=""),
    Column("last_senior_review_at", DateTime, nullable=True),
    Column("meets_criteria", Boolean, nullable=True),
    Column("discharge_ready_date", Date, nullable=True),
    Column("delay_reason", String(10), nullable=True),
    Column("dtoc_reason", String(10), nullable=True),
    Column("responsible_agency", String(10), nullable=True),
    Column("pathway", String(4), nullable=True),
    Column("chc_checklist", String(10), nullable=True),
    Column("chc_checklist_at", DateTime, nullable=True),
    Column("chc_assessment_date", Date, nullable=True),
    Column("chc_assessment_setting", String(10), nullable=True),
    Column("chc_decision_date", Date, nullable=True),
    Column("event_count", Integer, nullable=False),
    Column("last_event_at", DateTime, nullable=True),
    # The key's visit number in upper case, which the patient search looks up (migration 0021).
    Column("visit_number", String(60), nullable=False),
    Index("ix_spells_status_ward", "status", "ward_code"),
    # Who was in hospital on a day: the admitted, and those discharged since (a year's
    # discharges outnumber the patients in by 40 to 1, so they need their own index).
    Index("ix_spells_discharged_at", "discharged_at"),
    # A patient's stays, for the bed requests they may have placed.
    Index("ix_spells_patient_id", "patient_id"),
    Index("ix_spells_visit_number", "visit_number"),
)

ward_stays = Table(
    "ward_stays",
    metadata,
    Column("spell_key", String(60), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("ward_code", String(20), nullable=False),
    Column("bed", String(20), nullable=True),
    Column("start_at", DateTime, nullable=False),
    Column("end_at", DateTime, nullable=True),
    # A bed's stays and a site's, for the bed state.
    Index("ix_ward_stays_ward_bed", "ward_code", "bed"),
)

delay_episodes = Table(
    "delay_episodes",
    metadata,
    Column("spell_key", String(60), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("discharge_ready_date", Date, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("end_at", DateTime, nullable=True),
    Column("ended_by", String(20), nullable=True),
)

delay_reason_periods = Table(
    "delay_reason_periods",
    metadata,
    Column("spell_key", String(60), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("start_at", DateTime, nullable=False),
    Column("end_at", DateTime, nullable=True),
    Column("reason", String(10), nullable=True),
    Column("dtoc_reason", String(10), nullable=True),
    Column("responsible_agency", String(10), nullable=True),
)

referrals = Table(
    "referrals",
    metadata,
    Column("spell_key", String(60), primary_key=True),
    Column("referral_id", String(60), primary_key=True),
    Column("service", String(30), nullable=False),
    Column("provider_org", String(12), nullable=True),
    Column("status", String(12), nullable=False),
    Column("made_at", DateTime, nullable=False),
    Column("accepted_at", DateTime, nullable=True),
    Column("trusted_assessment", Boolean, nullable=False),
    Column("declined_at", DateTime, nullable=True),
    Column("decline_reason", Text, nullable=True),
    Column("completed_at", DateTime, nullable=True),
)

day_ratings = Table(
    "day_ratings",
    metadata,
    Column("spell_key", String(60), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("colour", String(6), nullable=False),
    Column("red_reason", Text, nullable=True),
)

actions = Table(
    "actions",
    metadata,
    Column("spell_key", String(60), primary_key=True),
    Column("action_id", String(60), primary_key=True),
    Column("description", Text, nullable=False),
    Column("owner", String(200), nullable=False),
    Column("owner_org", String(12), nullable=True),
    Column("due_date", Date, nullable=True),
    Column("status", String(10), nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("recorded_by", String(200), nullable=True),
    Column("escalation", Boolean, nullable=False, default=False),
)

stranded_reviews = Table(
    "stranded_reviews",
    metadata,
    Column("spell_key", String(60), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("reviewed_at", DateTime, nullable=False),
    Column("reviewer", String(200), nullable=True),
    Column("outcome", String(30), nullable=False),
    Column("actions", Text, nullable=False),
    Column("recorded_by", String(200), nullable=True),
)

bed_occupancy = Table(
    "bed_occupancy",
    metadata,
    Column("spell_key", String(60), primary_key=True),
    Column("ward_code", String(20), nullable=False),
    Column("bed", String(20), nullable=True),
    Column("since", DateTime, nullable=False),
    Index("ix_bed_occupancy_ward", "ward_code"),
)

patients = Table(
    "patients",
    metadata,
    Column("patient_id", String(60), primary_key=True),
    Column("nhs_number", String(10), nullable=True),
    Column("local_id", String(60), nullable=True),
    Column("family_name", String(120), nullable=False),
    Column("given_name", String(120), nullable=False),
    Column("birth_date", Date, nullable=True),
    Column("sex", String(10), nullable=True),
    Column("merged_into", String(60), nullable=True),
    Column("local_authority", String(9), nullable=True),
    # The patient search looks an NHS number up exactly (migration 0020).
    Index("ix_patients_nhs_number", "nhs_number"),
)

# Where a name search's word may begin in each patient's names (domain.patient_search
# .name_parts), so a word is a range of the primary key, not a scan of every patient's names
# (migration 0021). Compared byte by byte ("C") on PostgreSQL, as SQLite compares, so that a
# word's range holds exactly the parts that begin with it.
_NAME_PART = Text().with_variant(Text(collation="C"), "postgresql")
patient_name_parts = Table(
    "patient_name_parts",
    metadata,
    Column("part", _NAME_PART, primary_key=True),
    Column("patient_id", String(60), primary_key=True),
    Index("ix_patient_name_parts_patient_id", "patient_id"),
)


daily_census = Table(
    "daily_census",
    metadata,
    Column("day", Date, primary_key=True),
    Column("ward_code", String(20), primary_key=True),
    Column("occupied", Integer, nullable=False),
    Column("nctr", Integer, nullable=False),
    Column("stranded", Integer, nullable=False),
    Column("super_stranded", Integer, nullable=False),
    Column("admissions", Integer, nullable=False),
    Column("discharges", Integer, nullable=False),
    Column("discharges_before_noon", Integer, nullable=False),
)

# How far the daily census is materialised; later days are added when first asked for.
projection_marks = Table(
    "projection_marks",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("day", Date, nullable=True),
    # "events_through": the last event (by seq) the projections include.
    Column("seq", Integer, nullable=True),
)

# The bed status and attribute events, by bed: the log's payloads read once, so that a bed's
# or a site's history is an indexed query (store/bed_projections.py).
bed_events = Table(
    "bed_events",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("type", String(40), nullable=False),
    Column("ward_code", String(200), nullable=False),
    Column("bed", String(20), nullable=False),
    Column("occurred_at", DateTime, nullable=False),
    Column("status", String(20), nullable=True),
    Column("reason", String(30), nullable=True),
    Column("from_day", Date, nullable=True),
    Column("side_room", Boolean, nullable=True),
    Column("bay_sex", String(10), nullable=True),
    Index("ix_bed_events_ward_bed", "ward_code", "bed"),
    Index("ix_bed_events_ward_occurred_at", "ward_code", "occurred_at"),
)

# Each bed's state now (the fold of all its stays and events): once as a trust whose vacated
# beds are free at once reads it, once as one whose beds wait for cleaning.
bed_states = Table(
    "bed_states",
    metadata,
    Column("ward_code", String(200), primary_key=True),
    Column("bed", String(20), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("since", DateTime, nullable=True),
    Column("reason", String(30), nullable=True),
    Column("cleaning_status", String(20), nullable=False),
    Column("cleaning_since", DateTime, nullable=True),
    Column("cleaning_reason", String(30), nullable=True),
    Column("side_room", Boolean, nullable=False),
    Column("bay_sex", String(10), nullable=False),
    # The latest instant of a stay or status event the fold read, and the latest day attributes
    # start: a site whose beds have none after an instant reads then as it reads now.
    Column("last_at", DateTime, nullable=True),
    Column("last_from_day", Date, nullable=True),
    Index("ix_bed_states_last_at", "ward_code", "last_at"),
)

# Which bed request each bed request record (made, allocated, cancelled) is about.
bed_request_records = Table(
    "bed_request_records",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("request_id", String(100), nullable=False),
    Index("ix_bed_request_records_request_id", "request_id"),
)

# Each bed request in its latest state, folded with its patient's admissions and transfers.
bed_requests = Table(
    "bed_requests",
    metadata,
    Column("request_id", String(100), primary_key=True),
    Column("site_code", String(100), nullable=False),
    Column("patient_id", String(100), nullable=False),
    Column("status", String(12), nullable=False),
    Column("decided_at", DateTime, nullable=False),
    Column("request", Text, nullable=False),  # the latest record of the request, as JSON
    Column("allocated_ward", String(100), nullable=True),
    Column("allocated_bed", String(100), nullable=True),
    Column("allocated_at", DateTime, nullable=True),
    Column("placed_ward", String(200), nullable=True),
    Column("placed_bed", String(100), nullable=True),
    Column("placed_at", DateTime, nullable=True),
    Column("cancelled_at", DateTime, nullable=True),
    Index("ix_bed_requests_site_status", "site_code", "status"),
    Index("ix_bed_requests_patient_id", "patient_id"),
)

PROJECTIONS = (
    spells,
    ward_stays,
    delay_episodes,
    delay_reason_periods,
    referrals,
    day_ratings,
    actions,
    stranded_reviews,
    bed_occupancy,
    patients,
    patient_name_parts,
    daily_census,
    bed_events,
    bed_states,
    bed_request_records,
    bed_requests,
    projection_marks,
)
