"""The bed projections the catch-up keeps (each bed's state now, each bed request's) on each
engine: whatever order the events arrive in and however they are batched, they hold what a
rebuild from the log holds, the beds read from them as the fold of the site's history reads
them, and the requests as the fold of every record with every placement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from homeflow.domain import bed_requests as br
from homeflow.domain import events as ev
from homeflow.domain.bed_state import BedAttributesSet, BedStatus, BedStatusSet, ClosureReason
from homeflow.domain.organisations import Organisation, OrganisationType, Site, Ward, WardType
from homeflow.domain.spell import SpellStatus, fold_spell
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.bed_projections import BEDS_THROUGH, beds_through
from homeflow.store.bed_requests import site_requests
from homeflow.store.bed_state import beds_at, folded_beds_at
from homeflow.store.codec import event_from_row
from homeflow.store.eventlog import EventLog, catch_up
from homeflow.store.log_head import last_event
from homeflow.store.rebuild import rebuild
from homeflow.store.registry import save_registry
from tests.conftest import empty_all, projections
from tests.streams import T0, WARDS, arrival_order, spell_stream

BED_TABLES = ("bed_events", "bed_states", "bed_request_records", "bed_requests")
NOW = datetime(2026, 6, 1, tzinfo=UTC)  # after every event drawn


def _registry(engine: Engine) -> None:
    with engine.begin() as conn:
        save_registry(
            conn,
            [Organisation("RX1", "Trust", OrganisationType.ACUTE)],
            [Site("SITE", "Site", "RX1")],
            [Ward(w, w, "SITE", 3, "General medicine", WardType.ACUTE) for w in WARDS],
        )


@st.composite
def bed_log(draw: st.DrawFn) -> list[ev.Event]:
    """Two spells' stays in beds of the site, bed status and attribute events on the same
    beds, and bed requests of the spells' patients made, given beds and cancelled."""
    made = [e for n in range(2) for e in draw(spell_stream(f"S{n}"))]

    def at() -> datetime:
        return T0 + timedelta(hours=draw(st.integers(0, 200)), minutes=draw(st.integers(0, 2)))

    def add(payload: ev.Payload) -> None:
        when = at()
        made.append(ev.Event(f"B{len(made)}", "test", when, when, None, payload))

    beds = st.tuples(st.sampled_from(WARDS), st.sampled_from(["01", "02", "03"]))
    for _ in range(draw(st.integers(0, 8))):
        ward, bed = draw(beds)
        status = draw(st.sampled_from(list(BedStatus)))
        reason = (
            draw(st.sampled_from([None, *ClosureReason])) if status is BedStatus.CLOSED else None
        )
        add(BedStatusSet(ward, bed, status, reason))
    for _ in range(draw(st.integers(0, 2))):
        ward, bed = draw(beds)
        day = at().date()
        add(
            BedAttributesSet(
                ward, bed, day, draw(st.booleans()), draw(st.sampled_from(["", "male"]))
            )
        )
    for n in range(draw(st.integers(0, 4))):
        request = f"R{draw(st.integers(0, 2))}"
        kind = draw(st.sampled_from(["made", "made", "allocated", "cancelled"]))
        if kind == "made":
            patient = f"P-S{draw(st.integers(0, 1))}"
            add(br.BedRequested(request, "RX1", "SITE", patient, f"specialty {n}"))
        elif kind == "allocated":
            ward, bed = draw(beds)
            add(br.BedAllocated(request, "RX1", ward, bed))
        else:
            add(br.BedRequestCancelled(request, draw(st.sampled_from(["RX1", "RX2"]))))
    return made


def _requests_folded_afresh(engine: Engine) -> list[br.BedRequest]:
    """Every record of every request folded with every admission and transfer of the
    patients' spells (not cancelled), straight from the log."""
    with engine.connect() as conn:
        logged = [event_from_row(r) for r in conn.execute(select(t.events))]
        sites = dict(conn.execute(select(t.wards.c.code, t.wards.c.site_code)).all())
    records = [
        br.Recorded(e.occurred_at, e.key, e.payload)
        for e in logged
        if isinstance(e.payload, br.BedRequested | br.BedAllocated | br.BedRequestCancelled)
    ]
    placements = []
    for key in {e.spell_key for e in logged if e.spell_key is not None}:
        spell = [e for e in logged if e.spell_key == key]
        state = fold_spell(key, spell)
        if state.status is SpellStatus.CANCELLED or state.patient_id is None:
            continue
        for e in spell:
            if isinstance(e.payload, ev.Admitted | ev.Transferred) and e.payload.ward_code in sites:
                site, ward, bed = sites[e.payload.ward_code], e.payload.ward_code, e.payload.bed
                placements.append(br.Placement(state.patient_id, site, ward, bed, e.occurred_at))
    found = br.fold_requests(records, placements).values()
    return sorted(found, key=lambda r: (r.decided_at, r.request_id))


def _bed_tables(engine: Engine) -> dict[str, object]:
    return {name: rows for name, rows in projections(engine).items() if name in BED_TABLES}


@given(st.data())
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_kept_beds_and_requests_are_the_fold_of_the_log_in_any_arrival_order(
    engine: Engine, data: st.DataObject
) -> None:
    empty_all(engine)
    _registry(engine)
    logged = data.draw(bed_log())
    arrived = arrival_order(data.draw, logged)
    cut = data.draw(st.integers(0, len(arrived)))
    log = EventLog(engine)
    for part in (arrived[:cut], arrived[cut:]):
        log.append(part)
    kept = _bed_tables(engine)
    with db.reading(engine) as conn:
        for cleaned in (frozenset(), frozenset({"RX1"})):
            assert beds_at(conn, "SITE", NOW, cleaned) == folded_beds_at(conn, "SITE", NOW, cleaned)
        requests = site_requests(conn, "SITE")
    assert requests == _requests_folded_afresh(engine)
    rebuild(engine)
    assert _bed_tables(engine) == kept


@given(st.data())
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_a_bulk_load_folds_the_beds_once_and_a_load_cut_short_is_caught_up(
    engine: Engine, data: st.DataObject
) -> None:
    """A bulk load (the demo's) folds the beds with its last batch only, to what a rebuild
    holds; a load stopped before its last batch leaves them behind the log, and the next
    catch-up, with nothing new to project, fills them."""
    empty_all(engine)
    _registry(engine)
    logged = data.draw(bed_log())
    EventLog(engine).bulk_append(logged, spells_per_batch=data.draw(st.integers(1, 3)))
    kept = _bed_tables(engine)
    rebuild(engine)
    assert _bed_tables(engine) == kept

    empty_all(engine)
    _registry(engine)
    EventLog(engine).append(logged, beds=False)
    with engine.begin() as conn:
        assert beds_through(conn) != last_event(conn)[0]  # type: ignore[index]
        catch_up(conn)
    assert _bed_tables(engine) == kept


def test_a_ward_registered_after_the_admission_into_it_places_the_request(engine: Engine) -> None:
    """The registry is not in the log: a ward it comes to know (or moves to another site)
    places the requests of the patients admitted into it, as the fold reads it then."""
    with engine.begin() as conn:
        save_registry(conn, [Organisation("RX1", "Trust", OrganisationType.ACUTE)], [], [])
        save_registry(conn, [], [Site("SITE", "Site", "RX1")], [])
    made = br.BedRequested("R1", "RX1", "SITE", "P-S0", "General medicine")
    admitted = ev.Admitted("P-S0", "SITE", "W-A", "01")
    later = T0 + timedelta(hours=1)
    EventLog(engine).append(
        [
            ev.Event("B1", "test", T0, T0, None, made),
            ev.Event("S0-0", "test", later, later, "S0", admitted),
        ]
    )

    def status() -> br.RequestStatus:
        with db.reading(engine) as conn:
            [found] = site_requests(conn, "SITE")
        assert [found] == _requests_folded_afresh(engine)
        return found.status

    assert status() is br.RequestStatus.WAITING
    _registry(engine)
    assert status() is br.RequestStatus.PLACED


def test_an_upgraded_database_fills_its_bed_projections_from_the_log(engine: Engine) -> None:
    """A database whose bed projections were never filled (one just upgraded to them) has
    them folded from its log when migrated, as the catch-up would have kept them."""
    _registry(engine)
    later = T0 + timedelta(hours=2)
    EventLog(engine).append(
        [
            ev.Event("S0-0", "test", T0, T0, "S0", ev.Admitted("P-S0", "SITE", "W-A", "01")),
            ev.Event("S0-1", "test", later, later, "S0", ev.Discharged(destination="home")),
            ev.Event("B1", "test", later, later, None, BedStatusSet("W-A", "02", BedStatus.CLOSED)),
            ev.Event("B2", "test", T0, T0, None, br.BedRequested("R1", "RX1", "SITE", "P-S0", "x")),
        ]
    )
    kept = projections(engine)
    assert all(kept[name] for name in BED_TABLES)
    with engine.begin() as conn:
        for name in BED_TABLES:
            conn.execute(t.metadata.tables[name].delete())
        conn.execute(t.projection_marks.delete().where(t.projection_marks.c.name == BEDS_THROUGH))
    db.migrate(engine)
    assert projections(engine) == kept
