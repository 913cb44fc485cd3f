"""A patient's spell page: the folded state and its timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select

from homeflow.domain.payloads import payload_to_dict
from homeflow.domain.spell import SpellState
from homeflow.domain.writes import may_record_actions, may_record_care
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.access.audit import audit_view
from homeflow.store.access.scope import (
    PATIENT_COLUMNS,
    PatientLabel,
    Viewer,
    fold_scoped,
    patient_label,
)
from homeflow.store.codec import event_from_row


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    occurred_at: datetime
    received_at: datetime
    what: str
    details: dict[str, Any]
    source: str
    recorded_by: str | None


@dataclass(frozen=True, slots=True)
class SpellView:
    state: SpellState
    patient: PatientLabel
    ward_name: str | None
    ward_type: str | None
    timeline: list[TimelineEntry]
    may_record: bool
    may_record_actions: bool


def spell_view(engine: Engine, viewer: Viewer, spell_key: str, today: date) -> SpellView:
    with db.reading(engine) as conn:
        state, treating_org = fold_scoped(conn, viewer, spell_key)
        patient = conn.execute(
            select(*PATIENT_COLUMNS).where(t.patients.c.patient_id == state.patient_id)
        ).one_or_none()
        ward = None
        if state.current_stay is not None:
            ward = conn.execute(
                select(t.wards.c.name, t.wards.c.type).where(
                    t.wards.c.code == state.current_stay.ward_code
                )
            ).one_or_none()
        found = [
            event_from_row(r)
            for r in conn.execute(select(t.events).where(t.events.c.spell_key == spell_key))
        ]
    audit_view(engine, viewer, "spell page", spell_key)
    timeline = [
        TimelineEntry(
            e.occurred_at,
            e.received_at,
            e.type.replace("-", " "),
            payload_to_dict(e.payload),
            e.source,
            e.recorded_by,
        )
        for e in sorted(found, key=lambda e: e.fold_order, reverse=True)
    ]
    return SpellView(
        state,
        patient_label(viewer, patient, True, today),
        ward.name if ward else None,
        ward.type if ward else None,
        timeline,
        may_record=may_record_care(viewer.org_code, viewer.role, treating_org),
        may_record_actions=may_record_actions(
            viewer.org_code,
            viewer.role,
            treating_org,
            {r.provider_org for r in state.referrals if r.provider_org},
            None,  # only those involved open the page
        ),
    )
