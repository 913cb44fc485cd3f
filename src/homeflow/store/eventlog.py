"""The event log: append-only, idempotent, and the only way anything changes.

`append` stores each new event once (a key already stored is a duplicate, not an error),
refuses events that would make an impossible sequence, and refolds the projections of
every spell and patient the batch touched, all in one transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Engine, Select, bindparam, func, select, text

from homeflow.domain import clock, mh_delays
from homeflow.domain import events as ev
from homeflow.domain.clock import FUTURE_TOLERANCE, local_date, start_of_day
from homeflow.domain.organisations import WardType
from homeflow.domain.spell import SpellFold, SpellState, fold_spell
from homeflow.store import bed_projections
from homeflow.store import projections as proj
from homeflow.store import schema as t
from homeflow.store.codec import event_from_row, event_to_row
from homeflow.store.db import insert_rows
from homeflow.store.garbage import without_cycle_collection
from homeflow.store.log_head import last_event
from homeflow.store.log_partitions import archived_among
from homeflow.store.spell_tables import write_spells


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
    def __init__(self, engine: Engine, future_tolerance: timedelta = FUTURE_TOLERANCE) -> None:
        self.engine = engine
        self.cache = SpellCache()
        self.future_tolerance = future_tolerance

    def append(self, new_events: Iterable[ev.Event], beds: bool = True) -> AppendResult:
        with self.engine.begin() as conn:
            lock_writers(conn)
            return append_in(
                conn,
                list(new_events),
                self.cache,
                future_tolerance=self.future_tolerance,
                beds=beds,
            )

    def bulk_append(
        self,
        new_events: Sequence[ev.Event],
        spells_per_batch: int = 2000,
        on_batch: Callable[[int], None] | None = None,
    ) -> AppendResult:
        """Append a large load in batches of whole spells, so each spell is folded once.

        The beds are folded once, with the last batch (each batch names nearly every bed, and
        refolded its whole history); until then any catch-up fills them from the whole log.

        `on_batch` hears how many events each batch held (for a progress bar).
        """
        by_spell: dict[str | None, list[ev.Event]] = {}
        for event in new_events:
            by_spell.setdefault(event.spell_key, []).append(event)
        groups = list(by_spell.values())
        total = AppendResult()
        with without_cycle_collection():
            for i in range(0, len(groups), spells_per_batch):
                batch = [e for group in groups[i : i + spells_per_batch] for e in group]
                result = self.append(batch, beds=i + spells_per_batch >= len(groups))
                self.refresh_statistics()
                total.applied += result.applied
                total.duplicates += result.duplicates
                total.rejected += result.rejected
                if on_batch is not None:
                    on_batch(len(batch))
        return total

    def refresh_statistics(self) -> None:
        refresh_statistics(self.engine)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.events)).scalar_one())


def refresh_statistics(engine: Engine) -> None:
    """Let PostgreSQL's planner see a bulk load at once (autovacuum lags behind), so the
    duplicate check keeps using the key index instead of scanning the log."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE events"))


def lock_writers(conn: Connection) -> None:
    # One writer at a time: the duplicate check, the sequence check and the projection
    # update must see the same log. SQLite gets this from BEGIN IMMEDIATE.
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(7264001)"))


@dataclass
class StoredSpell:
    """A spell's events as stored, each with its place in the log, and their fold."""

    events: list[tuple[int, ev.Event]]
    fold: SpellFold
    # The state its projection rows hold, and the projections' mark when they were written.
    projected: tuple[SpellState | None, int] | None = None

    @property
    def state(self) -> SpellState:
        return self.fold.state()


class SpellCache:
    """Spells a long-lived writer (the MLLP listener, a bulk import) has read and folded, kept
    between its transactions so that a spell is read from the log and folded once, not again
    with every message.

    It is only trusted while this writer is the log's only writer: each transaction first
    compares the log's last event with the last one this cache saw, and forgets everything if
    another writer appended since or the log was emptied and refilled.
    """

    def __init__(self, limit: int = 50_000) -> None:
        self.spells: dict[str, StoredSpell] = {}
        self.head: tuple[int, str] | None = None
        self.limit = limit  # spells; a full cache forgets its older half, so memory stays flat

    def states(self) -> dict[str, SpellState]:
        """Each spell held, as folded now."""
        return {key: stored.state for key, stored in self.spells.items()}

    def check(self, conn: Connection) -> None:
        head = last_event(conn)
        if head != self.head:
            self.spells.clear()
            self.head = head

    def load(self, conn: Connection, spell_keys: Iterable[str]) -> None:
        """Make sure these spells are here, each with everything stored for it."""
        wanted = list(spell_keys)
        missing = [key for key in wanted if key not in self.spells]
        if not missing:
            return
        if len(self.spells) + len(missing) > self.limit:
            # Forget the older half, the spells read or appended to longest ago (a feed moves
            # forward in time: most of them have been discharged), but none wanted now.
            keep = set(wanted)
            for key in list(islice(self.spells, len(self.spells) // 2)):
                if key not in keep:
                    del self.spells[key]
        for key, stored in proj.load_stored_events(conn, missing).items():
            self.spells[key] = StoredSpell(stored, folded(key, None, [e for _, e in stored]))

    def appended(
        self,
        conn: Connection,
        folds: dict[str, SpellFold],
        accepted: dict[str, list[ev.Event]],
    ) -> None:
        """Record the events this writer has just inserted, in their places in the log."""
        placed = conn.execute(_EVENTS_AFTER, {"after": self.head[0] if self.head else 0}).all()
        if not placed:
            return
        seq_of = {key: seq for key, seq in placed}
        for spell_key, fold in folds.items():
            # Moved to the end: the cache forgets from the front, the spells quiet longest.
            stored = self.spells.pop(spell_key, None) or StoredSpell([], fold)
            stored.events.extend((seq_of[event.key], event) for event in accepted[spell_key])
            stored.fold = fold
            self.spells[spell_key] = stored
        last_key, last_seq = placed[-1]
        self.head = (last_seq, last_key)


_EVENTS_AFTER = (
    select(t.events.c.key, t.events.c.seq)
    .where(t.events.c.seq > bindparam("after"))
    .order_by(t.events.c.seq)
)


@lru_cache
def _stored_keys(dialect: str) -> Select[Any]:
    # Built once: every message a feed sends is checked against the stored keys (those of a
    # detached partition too: an archived event resent is a duplicate).
    return select(t.event_keys.c.key).where(proj.one_of(dialect, t.event_keys.c.key))


def append_in(
    conn: Connection,
    batch: Sequence[ev.Event],
    cache: SpellCache | None = None,
    project: bool = True,
    future_tolerance: timedelta = FUTURE_TOLERANCE,
    beds: bool = True,
) -> AppendResult:
    """Store the new events of `batch` that make no impossible sequence and did not happen
    more than `future_tolerance` after now.

    With `project` (the default) the projections are brought up to date in the same
    transaction; a writer that answers before projecting (the listener) calls `catch_up` later;
    without `beds` the beds are left behind (a bulk load's batches but the last).
    """
    cache = cache if cache is not None else SpellCache()
    cache.check(conn)
    result = AppendResult()
    fresh: dict[str, ev.Event] = {}
    for event in batch:
        if event.key in fresh:
            result.duplicates.append(event.key)
        else:
            fresh[event.key] = event
    stored_keys = _stored_keys(conn.dialect.name)
    for part in proj.chunks(list(fresh)):
        for (key,) in conn.execute(stored_keys, {"keys": list(part)}):
            result.duplicates.append(key)
            del fresh[key]

    _refuse_the_future(fresh, result, future_tolerance)
    by_spell: dict[str, list[ev.Event]] = {}
    for event in fresh.values():
        if event.spell_key is not None:
            by_spell.setdefault(event.spell_key, []).append(event)
    for spell_key, partition in archived_among(conn, by_spell).items():
        for event in by_spell.pop(spell_key):
            reason = f"the spell's earlier events are archived ({partition} is detached)"
            result.rejected.append(Rejection(event.key, "spell", reason))
    cache.load(conn, by_spell)
    new_folds: dict[str, SpellFold] = {}
    accepted_by_spell: dict[str, list[ev.Event]] = {}
    ward_types: dict[str, str] | None = None
    for spell_key, incoming in by_spell.items():
        if any(isinstance(e.payload, ev.MhDelayRecorded) for e in incoming):
            if ward_types is None:
                ward_types = dict(conn.execute(select(t.wards.c.code, t.wards.c.type)).all())
            incoming = _on_mental_health_wards(
                spell_key, cache.spells.get(spell_key), incoming, ward_types, result
            )
        accepted, fold = _accept(spell_key, cache.spells.get(spell_key), incoming, result)
        if accepted:
            new_folds[spell_key] = fold
            accepted_by_spell[spell_key] = accepted

    rejected = {r.key for r in result.rejected}
    rows = [event_to_row(e) for e in fresh.values() if e.key not in rejected]
    insert_rows(conn, t.events, rows)
    result.applied.extend(r["key"] for r in rows)
    if rows:
        cache.appended(conn, new_folds, accepted_by_spell)
    if project:
        catch_up(conn, cache, beds)
    return result


def _refuse_the_future(
    fresh: dict[str, ev.Event], result: AppendResult, tolerance: timedelta
) -> None:
    """Take out of `fresh` and refuse each event that happened later than now (beyond the
    tolerance): a wrong clock would otherwise put the live picture ahead of the ward."""
    latest = clock.now() + tolerance
    for key, event in list(fresh.items()):
        if event.occurred_at > latest:
            ahead = event.occurred_at - latest + tolerance
            result.rejected.append(
                Rejection(
                    key,
                    "occurred_at",
                    f"{event.occurred_at.isoformat()} is {_duration(ahead)} ahead of the clock "
                    f"(at most {_duration(tolerance)} is accepted): an event cannot happen "
                    "in the future",
                )
            )
            del fresh[key]


def _duration(span: timedelta) -> str:
    minutes = span.total_seconds() / 60
    if minutes < 120:
        return f"{minutes:.0f} minutes" if minutes >= 1 else f"{span.total_seconds():.0f} seconds"
    return f"{minutes / 60:,.1f} hours"


def catch_up(conn: Connection, cache: SpellCache | None = None, beds: bool = True) -> None:
    """Bring the projections up to the end of the log.

    Every spell and patient with events past the projections' mark is refolded. A spell's
    projected state is always the fold of its events up to the mark, so the daily census moves
    by exactly the difference between that and its fold now.
    """
    mark = proj.projected_through(conn)
    head = last_event(conn)
    if head is None or head[0] <= mark:
        if head is not None and beds:
            bed_projections.keep_up(conn, head[0])  # left behind by a load cut short
        return
    last = head[0]
    cache = cache if cache is not None else SpellCache()
    cache.check(conn)
    touched = conn.execute(_TOUCHED_AFTER, {"mark": mark}).all()
    spell_keys = sorted({spell_key for spell_key, _ in touched if spell_key is not None})
    cache.load(conn, spell_keys)
    through = proj.census_through(conn)
    states: list[SpellState] = []
    previous: dict[str, SpellState | None] = {}
    delta: proj.CensusDelta = Counter()
    recent: dict[str, ev.Event] = {}
    for spell_key in spell_keys:
        stored = cache.spells[spell_key]
        if stored.projected is not None and stored.projected[1] == mark:
            old = stored.projected[0]
        else:
            before = [event for seq, event in stored.events if seq <= mark]
            old = fold_spell(spell_key, before) if before else None
        states.append(stored.state)
        previous[spell_key] = old
        unprojected = [event for seq, event in stored.events if seq > mark]
        recent.update((event.key, event) for event in unprojected)
        delta.update(
            proj.census_delta(
                old,
                stored.state,
                through,
                earliest_census_day(unprojected, [event for _, event in stored.events]),
            )
        )
    write_spells(conn, states, previous)
    proj.apply_census_delta(conn, delta)
    for state in states:
        cache.spells[state.spell_key].projected = (state, last)
    patient_ids = {patient_id for _, patient_id in touched if patient_id is not None}
    for row in conn.execute(_MERGES_AFTER, {"mark": mark}):
        payload = event_from_row(row).payload
        assert isinstance(payload, ev.PatientsMerged)
        patient_ids.add(payload.merged_patient_id)
    proj.refresh_patients(conn, patient_ids, recent)
    if beds:
        changed = {state.spell_key: (previous[state.spell_key], state) for state in states}
        bed_projections.keep(conn, mark, last, changed)
    proj.set_projected_through(conn, last)


# The spells and patients that events past the mark touch. Listed distinct in Python, not
# SQL: SQLite plans DISTINCT as a scan of a whole index rather than the range of the log.
_TOUCHED_AFTER = select(t.events.c.spell_key, t.events.c.patient_id).where(
    t.events.c.seq > bindparam("mark")
)
_MERGES_AFTER = select(t.events).where(
    t.events.c.seq > bindparam("mark"), t.events.c.type == ev.PatientsMerged.TYPE
)


# Events whose effect on the census can reach back before the day they happened.
_REACH_BACK = (ev.Admitted, ev.AdmissionCancelled, ev.TransferCancelled, ev.DischargeCancelled)


_CANCELLATIONS = (ev.AdmissionCancelled, ev.TransferCancelled, ev.DischargeCancelled)


def earliest_census_day(
    incoming: Sequence[ev.Event], spell_events: Sequence[ev.Event]
) -> date | None:
    """The first day whose census these events can change; None: any day of the spell.

    A cancellation undoes the latest transfer or discharge before it, so in a spell that has
    one, a transfer arriving late can change which one it undoes, and days before its own."""
    if any(isinstance(event.payload, _CANCELLATIONS) for event in spell_events):
        return None
    days = []
    for event in incoming:
        payload = event.payload
        if isinstance(payload, _REACH_BACK):
            return None
        day = local_date(event.occurred_at)
        # A day's census is the snapshot at the midnight ending it: an event at that very
        # midnight changes the day before's snapshot too.
        if event.occurred_at == start_of_day(day):
            day -= timedelta(days=1)
        days.append(day)
        if isinstance(payload, ev.CriteriaToResideAssessed):
            # An assessment may set the open delay's ready date, or revise an earlier one
            # later or sooner: every day from the earliest ready date the spell has had.
            days.extend(_ready_dates(spell_events))
    return min(days) if days else None


def _ready_dates(spell_events: Sequence[ev.Event]) -> Iterator[date]:
    for event in spell_events:
        payload = event.payload
        if isinstance(payload, ev.CriteriaToResideAssessed) and payload.discharge_ready_date:
            yield payload.discharge_ready_date


def folded(spell_key: str, stored: StoredSpell | None, more: list[ev.Event]) -> SpellFold:
    """The stored spell's fold extended by `more`, refolding all when one sorts before the
    last (only then are the stored events gathered: a spell's history can be long)."""
    extended = stored.fold.extended(more) if stored is not None else None
    if extended is None:
        before = [e for _, e in stored.events] if stored is not None else []
        extended = SpellFold(spell_key).extended(before + more)
        assert extended is not None  # an empty fold takes events in any order
    return extended


def _on_mental_health_wards(
    spell_key: str,
    stored: StoredSpell | None,
    incoming: list[ev.Event],
    ward_types: dict[str, str],
    result: AppendResult,
) -> list[ev.Event]:
    """The incoming events less mental health delayed discharge periods of a stay that was on
    a ward of another kind when the period started (refused, naming the ward). A period of a
    spell whose admission has not arrived, or on a ward the registry does not hold, is kept:
    the returns count only those that started on a mental-health ward."""
    others = [e for e in incoming if not isinstance(e.payload, ev.MhDelayRecorded)]
    stays = [(s.ward_code, s.start) for s in folded(spell_key, stored, others).state().ward_stays]
    kept = []
    for event in incoming:
        p = event.payload
        if isinstance(p, ev.MhDelayRecorded):
            ward = mh_delays.ward_at_start(stays, p.start_date)
            kind = ward_types.get(ward or "")
            if kind is not None and kind != WardType.MENTAL_HEALTH:
                reason = f"the patient was on {ward}, not a mental-health ward, on that day"
                result.rejected.append(Rejection(event.key, "ward", reason))
                continue
        kept.append(event)
    return kept


def _accept(
    spell_key: str, stored: StoredSpell | None, incoming: list[ev.Event], result: AppendResult
) -> tuple[list[ev.Event], SpellFold]:
    """Keep the incoming events that make no new impossible sequence."""
    known = {(a.event_key, a.reason) for a in stored.fold.anomalies()} if stored else set()
    accepted = sorted(incoming, key=lambda e: e.fold_order)
    while True:
        fold = folded(spell_key, stored, accepted)
        fresh = [a for a in fold.anomalies() if (a.event_key, a.reason) not in known]
        if not fresh:
            return accepted, fold
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
            return [], fold
