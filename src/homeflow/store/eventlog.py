"""The event log: append-only, idempotent, and the only way anything changes.

`append` stores each new event once (a key already stored is a duplicate, not an error),
refuses events that would make an impossible sequence, and refolds the projections of
every spell and patient the batch touched, all in one transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, Engine, func, insert, select, text

from homeflow.domain import events as ev
from homeflow.domain.clock import local_date
from homeflow.domain.patient import fold_patients, merged_into
from homeflow.domain.spell import SpellState, fold_spell
from homeflow.store import projections as proj
from homeflow.store import schema as t
from homeflow.store.codec import event_from_row, event_to_row


@dataclass(frozen=True, slots=True)
class Rejection:
    key: str
    field: str
    reason: str


@dataclass
class AppendResult:
    applied: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


class EventLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def append(self, new_events: Iterable[ev.Event]) -> AppendResult:
        with self.engine.begin() as conn:
            lock_writers(conn)
            return append_in(conn, list(new_events))

    def bulk_append(
        self,
        new_events: Sequence[ev.Event],
        spells_per_batch: int = 2000,
        on_batch: Callable[[int], None] | None = None,
    ) -> AppendResult:
        """Append a large load in batches of whole spells, so each spell is folded once.

        `on_batch` hears how many events each batch held (for a progress bar).
        """
        by_spell: dict[str | None, list[ev.Event]] = {}
        for event in new_events:
            by_spell.setdefault(event.spell_key, []).append(event)
        groups = list(by_spell.values())
        total = AppendResult()
        for i in range(0, len(groups), spells_per_batch):
            batch = [e for group in groups[i : i + spells_per_batch] for e in group]
            result = self.append(batch)
            self.refresh_statistics()
            total.applied += result.applied
            total.duplicates += result.duplicates
            total.rejected += result.rejected
            if on_batch is not None:
                on_batch(len(batch))
        return total

    def refresh_statistics(self) -> None:
        """Let PostgreSQL's planner see a bulk load at once (autovacuum lags behind), so the
        duplicate check keeps using the key index instead of scanning the log."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.begin() as conn:
                conn.execute(text("ANALYZE events"))

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.events)).scalar_one())


def lock_writers(conn: Connection) -> None:
    # One writer at a time: the duplicate check, the sequence check and the projection
    # update must see the same log. SQLite gets this from BEGIN IMMEDIATE.
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(7264001)"))


def append_in(conn: Connection, batch: Sequence[ev.Event]) -> AppendResult:
    result = AppendResult()
    fresh: dict[str, ev.Event] = {}
    for event in batch:
        if event.key in fresh:
            result.duplicates.append(event.key)
        else:
            fresh[event.key] = event
    for part in proj.chunks(list(fresh)):
        for (key,) in conn.execute(
            select(t.events.c.key).where(proj.one_of(conn, t.events.c.key, part))
        ):
            result.duplicates.append(key)
            del fresh[key]

    by_spell: dict[str, list[ev.Event]] = {}
    patient_ids: set[str] = set()
    for event in fresh.values():
        if event.spell_key is not None:
            by_spell.setdefault(event.spell_key, []).append(event)
        if (patient_id := getattr(event.payload, "patient_id", None)) is not None:
            patient_ids.add(patient_id)
        if isinstance(event.payload, ev.PatientsMerged):
            patient_ids.add(event.payload.merged_patient_id)

    stored = proj.load_spell_events(conn, by_spell)
    through = proj.census_through(conn)
    new_states: list[SpellState] = []
    previous: dict[str, SpellState | None] = {}
    delta: proj.CensusDelta = Counter()
    for spell_key, incoming in by_spell.items():
        before = stored.get(spell_key, [])
        old = fold_spell(spell_key, before) if before else None
        accepted, state = _accept(spell_key, before, incoming, old, result)
        if not accepted:
            continue
        new_states.append(state)
        previous[spell_key] = old
        delta.update(proj.census_delta(old, state, through, earliest_census_day(accepted)))

    rejected = {r.key for r in result.rejected}
    rows = [event_to_row(e) for e in fresh.values() if e.key not in rejected]
    for part in proj.chunks(rows, 5000):
        conn.execute(insert(t.events), list(part))
    result.applied.extend(r["key"] for r in rows)
    proj.write_spells(conn, new_states, previous)
    proj.apply_census_delta(conn, delta)
    proj.refresh_patients(conn, patient_ids)
    return result


# Events whose effect on the census can reach back before the day they happened.
_REACH_BACK = (ev.Admitted, ev.AdmissionCancelled, ev.TransferCancelled, ev.DischargeCancelled)


def earliest_census_day(incoming: Sequence[ev.Event]) -> date | None:
    """The first day whose census these events can change; None: any day of the spell."""
    days = []
    for event in incoming:
        payload = event.payload
        if isinstance(payload, _REACH_BACK):
            return None
        days.append(local_date(event.occurred_at))
        if isinstance(payload, ev.CriteriaToResideAssessed) and payload.discharge_ready_date:
            days.append(payload.discharge_ready_date)
    return min(days) if days else None


def _accept(
    spell_key: str,
    before: list[ev.Event],
    incoming: list[ev.Event],
    old: SpellState | None,
    result: AppendResult,
) -> tuple[list[ev.Event], SpellState]:
    """Keep the incoming events that make no new impossible sequence."""
    known = {(a.event_key, a.reason) for a in old.anomalies} if old else set()
    accepted = sorted(incoming, key=lambda e: e.fold_order)
    while True:
        state = fold_spell(spell_key, before + accepted)
        fresh = [a for a in state.anomalies if (a.event_key, a.reason) not in known]
        if not fresh:
            return accepted, state
        # Blame the incoming event the anomaly names; if it names a stored event (a late
        # admission makes an earlier one "second"), refuse the latest incoming event instead.
        keys = {e.key for e in accepted}
        named = next((a for a in fresh if a.event_key in keys), None)
        if named is not None:
            result.rejected.append(Rejection(named.event_key, named.field, named.reason))
            culprit = named.event_key
        else:
            culprit = accepted[-1].key
            result.rejected.append(Rejection(culprit, fresh[0].field, fresh[0].reason))
        accepted = [e for e in accepted if e.key != culprit]
        if not accepted:
            return [], state


def rebuild(engine: Engine, through: date | None = None) -> int:
    """Drop every projection and refold it from the log; returns the number of spells."""
    with engine.begin() as conn:
        lock_writers(conn)
        held = proj.census_through(conn)
        proj.drop_projections(conn)
        by_spell: dict[str, list[ev.Event]] = {}
        patient_events: list[ev.Event] = []
        for row in conn.execute(select(t.events).order_by(t.events.c.seq)):
            event = event_from_row(row)
            if event.spell_key is not None:
                by_spell.setdefault(event.spell_key, []).append(event)
            if row.patient_id is not None:
                patient_events.append(event)
        states = [fold_spell(key, found) for key, found in by_spell.items()]
        proj.write_spells(conn, states)
        proj.write_patients(conn, fold_patients(patient_events), merged_into(patient_events))
        target = through or held
        if target is None and states:
            latest = max((s.last_event_at for s in states if s.last_event_at), default=None)
            target = local_date(latest) if latest else None
        if target is not None:
            proj.write_census(conn, states, target)
        return len(states)
