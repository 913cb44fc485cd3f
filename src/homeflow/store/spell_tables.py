"""The tables a spell's folded state is written to (spells, ward stays, delay episodes and
reasons, referrals, red/green days, actions, stranded reviews, bed occupancy): one row-maker a
table, and only the tables whose part of the state changed rewritten."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    delete,
)

from homeflow.domain.organisations import visit_number_of
from homeflow.domain.spell import SpellState, SpellStatus, WardStay
from homeflow.store import schema as t
from homeflow.store.codec import to_db_time
from homeflow.store.db import insert_rows
from homeflow.store.projections import chunks, one_of


def write_spells(
    conn: Connection,
    states: Sequence[SpellState],
    previous: Mapping[str, SpellState | None] | None = None,
) -> None:
    """Replace the projection rows of these spells with their new state.

    Given the states they replace, only the tables whose part of the state changed are
    rewritten: a transfer touches the spell, its stays and its bed, not its referrals or ratings.
    """
    stale: dict[str, list[str]] = {table.name: [] for table, _, _ in SPELL_TABLES}
    rows: dict[str, list[dict[str, Any]]] = {table.name: [] for table, _, _ in SPELL_TABLES}
    for s in states:
        before = previous.get(s.spell_key) if previous is not None else None
        for table, part_of, rows_of in SPELL_TABLES:
            if before is not None and part_of(before) == part_of(s):
                continue
            if previous is None or before is not None:
                stale[table.name].append(s.spell_key)
            rows[table.name].extend(rows_of(s))
    for table, _, _ in SPELL_TABLES:
        stale_rows = delete(table).where(one_of(conn.dialect.name, table.c.spell_key))
        for part in chunks(stale[table.name]):
            conn.execute(stale_rows, {"keys": list(part)})
        insert_rows(conn, table, rows[table.name])


def _spell_rows(s: SpellState) -> list[dict[str, Any]]:
    stay = s.current_stay
    reason = s.current_delay_reason
    on_leave = bool(s.leave) and s.leave[-1].end is None
    return [
        {
            "spell_key": s.spell_key,
            "visit_number": visit_number_of(s.spell_key),
            "status": s.status.value,
            "patient_id": s.patient_id,
            "site_code": s.site_code,
            "ward_code": stay.ward_code if stay else None,
            "bed": stay.bed if stay else None,
            "admitted_at": to_db_time(s.admitted_at),
            "admission_method": s.admission_method,
            "specialty": s.specialty,
            "discharged_at": to_db_time(s.discharged_at),
            "discharge_destination": s.discharge_destination,
            "died": s.died,
            "on_leave": on_leave and s.status is SpellStatus.ADMITTED,
            "expected_discharge_date": s.expected_discharge_date,
            "clinical_criteria": s.clinical_criteria,
            "last_senior_review_at": to_db_time(s.last_senior_review_at),
            "meets_criteria": s.meets_criteria,
            "discharge_ready_date": s.discharge_ready_date,
            "delay_reason": reason.reason if reason else None,
            "dtoc_reason": reason.dtoc_reason if reason else None,
            "responsible_agency": reason.responsible_agency if reason else None,
            "pathway": s.pathway,
            "chc_checklist": s.chc_checklist,
            "chc_checklist_at": to_db_time(s.chc_checklist_at),
            "chc_assessment_date": s.chc_assessment_date,
            "chc_assessment_setting": s.chc_assessment_setting,
            "chc_decision_date": s.chc_decision_date,
            "event_count": s.event_count,
            "last_event_at": to_db_time(s.last_event_at),
        }
    ]


def _ward_stay_rows(s: SpellState) -> list[dict[str, Any]]:
    return [
        {
            "spell_key": s.spell_key,
            "seq": i,
            "ward_code": w.ward_code,
            "bed": w.bed,
            "start_at": to_db_time(w.start),
            "end_at": to_db_time(w.end),
        }
        for i, w in enumerate(s.ward_stays)
    ]


def _delay_episode_rows(s: SpellState) -> list[dict[str, Any]]:
    return [
        {
            "spell_key": s.spell_key,
            "seq": i,
            "discharge_ready_date": d.discharge_ready_date,
            "recorded_at": to_db_time(d.recorded_at),
            "end_at": to_db_time(d.end),
            "ended_by": d.ended_by,
        }
        for i, d in enumerate(s.delay_episodes)
    ]


def _delay_reason_rows(s: SpellState) -> list[dict[str, Any]]:
    return [
        {
            "spell_key": s.spell_key,
            "seq": i,
            "start_at": to_db_time(r.start),
            "end_at": to_db_time(r.end),
            "reason": r.reason,
            "dtoc_reason": r.dtoc_reason,
            "responsible_agency": r.responsible_agency,
        }
        for i, r in enumerate(s.delay_reasons)
    ]


def _referral_rows(s: SpellState) -> list[dict[str, Any]]:
    return [
        {
            "spell_key": s.spell_key,
            "referral_id": r.referral_id,
            "service": r.service,
            "provider_org": r.provider_org,
            "status": r.status,
            "made_at": to_db_time(r.made_at),
            "accepted_at": to_db_time(r.accepted_at),
            "trusted_assessment": r.trusted_assessment,
            "declined_at": to_db_time(r.declined_at),
            "decline_reason": r.decline_reason,
            "completed_at": to_db_time(r.completed_at),
        }
        for r in s.referrals
    ]


def _day_rating_rows(s: SpellState) -> list[dict[str, Any]]:
    return [
        {"spell_key": s.spell_key, "day": r.day, "colour": r.colour, "red_reason": r.red_reason}
        for r in s.day_ratings
    ]


def _action_rows(s: SpellState) -> list[dict[str, Any]]:
    return [
        {
            "spell_key": s.spell_key,
            "action_id": a.action_id,
            "description": a.description,
            "owner": a.owner,
            "owner_org": a.owner_org,
            "due_date": a.due_date,
            "status": a.status,
            "recorded_at": to_db_time(a.recorded_at),
            "recorded_by": a.recorded_by,
            "escalation": a.escalation,
        }
        for a in s.actions
    ]


def _stranded_review_rows(s: SpellState) -> list[dict[str, Any]]:
    return [
        {
            "spell_key": s.spell_key,
            "seq": i,
            "reviewed_at": to_db_time(r.reviewed_at),
            "reviewer": r.reviewer,
            "outcome": r.outcome,
            "actions": r.actions,
            "recorded_by": r.recorded_by,
        }
        for i, r in enumerate(s.stranded_reviews)
    ]


def _bed(s: SpellState) -> WardStay | None:
    return s.current_stay if s.status is SpellStatus.ADMITTED else None


def _bed_occupancy_rows(s: SpellState) -> list[dict[str, Any]]:
    stay = _bed(s)
    if stay is None:
        return []
    return [
        {
            "spell_key": s.spell_key,
            "ward_code": stay.ward_code,
            "bed": stay.bed,
            "since": to_db_time(stay.start),
        }
    ]


# Each table a spell projects to: the part of its state the rows are made from (unchanged
# part, unchanged rows), and the rows. The spell's own row holds nearly every fact, so it is
# written whenever the spell is.
SPELL_TABLES: tuple[
    tuple[Table, Callable[[SpellState], object], Callable[[SpellState], list[dict[str, Any]]]],
    ...,
] = (
    (t.spells, lambda s: s, _spell_rows),
    (t.ward_stays, lambda s: s.ward_stays, _ward_stay_rows),
    (t.delay_episodes, lambda s: s.delay_episodes, _delay_episode_rows),
    (t.delay_reason_periods, lambda s: s.delay_reasons, _delay_reason_rows),
    (t.referrals, lambda s: s.referrals, _referral_rows),
    (t.day_ratings, lambda s: s.day_ratings, _day_rating_rows),
    (t.actions, lambda s: s.actions, _action_rows),
    (t.stranded_reviews, lambda s: s.stranded_reviews, _stranded_review_rows),
    (t.bed_occupancy, _bed, _bed_occupancy_rows),
)
