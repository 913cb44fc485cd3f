"""The event log on real SQLite and PostgreSQL: idempotent, order-free, refusing bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Date, DateTime, Engine, func, select
from sqlalchemy.dialects import sqlite

from homeflow.domain import events as ev
from homeflow.domain.errors import InvalidInput
from homeflow.store import projections as proj
from homeflow.store import schema as t
from homeflow.store.codec import event_from_record, from_db_time, to_db_time
from homeflow.store.db import sqlite_date_text, sqlite_datetime_text
from homeflow.store.eventlog import (
    AppendResult,
    EventLog,
    SpellCache,
    append_in,
    catch_up,
    lock_writers,
)
from homeflow.store.log_partitions import is_partition
from homeflow.store.rebuild import rebuild
from tests.conftest import empty_all, last_seq, projections
from tests.streams import LAST_DAY, arrival_order, spell_stream


def start_census(engine: Engine) -> None:
    with engine.begin() as conn:
        proj.extend_census(conn, LAST_DAY)


def projected_in_order(
    engine: Engine, data: st.DataObject
) -> tuple[list[ev.Event], dict[str, list[tuple[Any, ...]]]]:
    """Three spells' events, and the projections of appending them in time order at once."""
    streams = [data.draw(spell_stream(f"S{n}")) for n in range(3)]
    ordered = sorted((e for s in streams for e in s), key=lambda e: e.occurred_at)
    empty_all(engine)
    start_census(engine)
    EventLog(engine).append(ordered)
    return ordered, projections(engine)


def test_schema_from_migrations_matches_the_tables_the_code_uses(engine: Engine) -> None:
    with engine.connect() as conn:
        # The log's partitions on PostgreSQL are its storage, not tables of their own; on
        # SQLite `event_keys` is a view of the log (migration 0022), which is no table.
        view = {"event_keys"} if conn.dialect.name == "sqlite" else set()

        def compared(_: object, name: object, kind: str, *__: object) -> bool:
            return not (kind == "table" and (is_partition(str(name)) or name in view))

        context = MigrationContext.configure(conn, opts={"include_object": compared})
        assert compare_metadata(context, t.metadata) == []


@given(st.data())
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_arrival_order_with_duplicates_gives_the_projections_of_ordered_delivery(
    engine: Engine, data: st.DataObject
) -> None:
    ordered, expected = projected_in_order(engine, data)
    empty_all(engine)
    start_census(engine)
    log = EventLog(engine)
    arrived = arrival_order(data.draw, ordered)
    cut = data.draw(st.integers(0, len(arrived)))
    first, second = log.append(arrived[:cut]), log.append(arrived[cut:])
    assert not first.rejected and not second.rejected
    assert len(first.applied) + len(second.applied) == len(ordered)
    assert projections(engine) == expected

    rebuild(engine)
    assert projections(engine) == expected


@given(st.data())
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_projections_caught_up_later_equal_those_of_appending_and_projecting_at_once(
    engine: Engine, data: st.DataObject
) -> None:
    """The listener's way: a writer keeping its folds appends without projecting, another
    writer appends in between (so the first must forget its folds), projections catch up."""
    ordered, expected = projected_in_order(engine, data)
    empty_all(engine)
    start_census(engine)
    arrived = arrival_order(data.draw, ordered)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(arrived)), min_size=2, max_size=2)))
    parts = arrived[: cuts[0]], arrived[cuts[0] : cuts[1]], arrived[cuts[1] :]
    listener = SpellCache()
    with engine.begin() as conn:
        lock_writers(conn)
        append_in(conn, parts[0], listener, project=False)
    with engine.begin() as conn:
        assert proj.projected_through(conn) < last_seq(conn) or not parts[0]
    EventLog(engine).append(parts[1])  # another writer, projecting everything so far
    with engine.begin() as conn:
        lock_writers(conn)
        result = append_in(conn, parts[2], listener, project=False)
        assert not result.rejected
        catch_up(conn, listener)
    assert projections(engine) == expected
    with engine.begin() as conn:
        assert proj.projected_through(conn) == last_seq(conn)


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 4, day, hour, tzinfo=UTC)


def _ev(key: str, when: datetime, payload: ev.Payload, spell: str = "S1") -> ev.Event:
    return ev.Event(key, "test", when, when, spell, payload)


def test_a_late_back_dated_ready_date_changes_past_census_days(engine: Engine) -> None:
    start_census(engine)
    log = EventLog(engine)
    log.append([_ev("a", _at(1, 10), ev.Admitted("P1", "SITE", "W-A", "01"))])
    with engine.connect() as conn:
        before = conn.execute(
            select(t.daily_census.c.nctr).where(t.daily_census.c.day == date(2026, 4, 3))
        ).scalar_one()
    assert before == 0
    late = ev.CriteriaToResideAssessed(False, discharge_ready_date=date(2026, 4, 2))
    log.append([_ev("n", _at(5, 9), late)])
    with engine.connect() as conn:
        nctr = dict(conn.execute(select(t.daily_census.c.day, t.daily_census.c.nctr)).all())
    assert nctr[date(2026, 4, 1)] == 0
    assert all(nctr[date(2026, 4, d)] == 1 for d in range(2, 6))


def test_a_later_ready_date_for_the_same_delay_takes_back_the_days_before_it(
    engine: Engine,
) -> None:
    """A second assessment of the same delay moves its ready date a day later: the day it no
    longer counts falls before the day it was recorded, and the census must take it back, as
    a rebuild does (found by the arrival-order property above)."""
    start_census(engine)
    log = EventLog(engine)
    ready = ev.CriteriaToResideAssessed(False, discharge_ready_date=date(2026, 4, 1))
    log.append(
        [_ev("a", _at(1, 8), ev.Admitted("P1", "SITE", "W-A", "01")), _ev("r", _at(1, 9), ready)]
    )
    later = ev.CriteriaToResideAssessed(False, discharge_ready_date=date(2026, 4, 2))
    log.append([_ev("r2", datetime(2026, 4, 2, 0, 1, tzinfo=UTC), later)])

    def nctr() -> dict[date, int]:
        with engine.connect() as conn:
            rows = conn.execute(select(t.daily_census.c.day, t.daily_census.c.nctr)).all()
        return {day: n for day, n in rows if day <= date(2026, 4, 4)}

    assert nctr() == {
        date(2026, 4, 1): 0,
        date(2026, 4, 2): 1,
        date(2026, 4, 3): 1,
        date(2026, 4, 4): 1,
    }
    kept = nctr()
    rebuild(engine)
    assert nctr() == kept


def test_a_repeated_key_is_reported_as_a_duplicate_and_stored_once(engine: Engine) -> None:
    log = EventLog(engine)
    admit = _ev("a", _at(1, 10), ev.Admitted("P1", "SITE", "W-A", "01"))
    assert log.append([admit]).applied == ["a"]
    again = log.append([admit, admit])
    assert again.applied == [] and again.duplicates == ["a", "a"]
    assert log.count() == 1


def test_a_discharge_before_the_admission_is_refused_and_changes_nothing(engine: Engine) -> None:
    start_census(engine)
    log = EventLog(engine)
    log.append([_ev("a", _at(3, 10), ev.Admitted("P1", "SITE", "W-A", "01"))])
    before = projections(engine)
    result = log.append([_ev("d", _at(2, 10), ev.Discharged())])
    assert [(r.key, r.field) for r in result.rejected] == [("d", "occurred_at")]
    assert "before the admission" in result.rejected[0].reason
    assert projections(engine) == before
    assert log.count() == 1


def test_events_before_their_admission_wait_as_orphans(engine: Engine) -> None:
    log = EventLog(engine)
    log.append([_ev("e", _at(2, 9), ev.ExpectedDischargeDateSet(date(2026, 4, 6)))])
    with engine.connect() as conn:
        status = conn.execute(select(t.spells.c.status)).scalar_one()
    assert status == "orphan"
    log.append([_ev("a", _at(1, 10), ev.Admitted("P1", "SITE", "W-A", "01"))])
    with engine.connect() as conn:
        row = conn.execute(select(t.spells)).one()
    assert row.status == "admitted" and row.expected_discharge_date == date(2026, 4, 6)


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"type": "beamed-up"}, "type"),
        (
            {
                "type": "admitted",
                "payload": {
                    "patient_id": "P1",
                    "site_code": "S",
                    "ward_code": "W",
                    "nhs_number": "9434765918",
                },
            },
            "nhs_number",
        ),
        ({"type": "delay-reason-set", "payload": {"reason": "XX99"}}, "reason"),
        ({"type": "pathway-assigned", "payload": {"pathway": "P7"}}, "pathway"),
        ({"type": "delay-reason-set", "payload": {"dtoc_reason": "E"}}, "responsible_agency"),
        (
            {"type": "edd-set", "payload": {"expected_discharge_date": "next week"}},
            "expected_discharge_date",
        ),
        (
            {"type": "criteria-to-reside-assessed", "payload": {"meets": False}},
            "discharge_ready_date",
        ),
        ({"type": "edd-set", "occurred_at": "2026-04-01T10:00:00"}, "occurred_at"),
        ({"type": "edd-set", "occurred_at": "yesterday"}, "occurred_at"),
        (
            {
                "type": "admitted",
                "payload": {
                    "patient_id": "P1",
                    "site_code": "S",
                    "ward_code": "W",
                    "colour": "red",
                },
            },
            "colour",
        ),
    ],
)
def test_bad_input_names_the_field(record: dict[str, Any], field: str) -> None:
    full = {
        "key": "k1",
        "source": "test",
        "occurred_at": "2026-04-01T10:00:00+01:00",
        "spell_key": "S1",
        **record,
    }
    with pytest.raises(InvalidInput) as caught:
        event_from_record(full, datetime.now(UTC))
    assert caught.value.field == field


def test_a_transfer_at_midnight_moves_the_census_of_the_day_it_ends(engine: Engine) -> None:
    """Found by the catch-up property test: the census of a day is its closing midnight's
    snapshot, so a transfer at exactly local midnight belongs to the day before's census."""
    start_census(engine)
    log = EventLog(engine)
    log.append([_ev("a1", _at(1, 10), ev.Admitted("P1", "SITE", "W-A", "01"))])
    midnight = datetime(2026, 4, 2, 23, 0, tzinfo=UTC)  # 00:00 on 3 April in London (BST)
    log.append([_ev("t1", midnight, ev.Transferred("W-B", "02"))])
    appended = projections(engine)
    rebuild(engine)
    assert projections(engine) == appended


def test_a_full_spell_cache_starts_again_without_forgetting_what_is_stored(
    engine: Engine,
) -> None:
    """A long backfill outgrows its cache: spells read again must bring their whole history,
    so a second admission is still refused and the projections still match a rebuild."""
    start_census(engine)
    cache = SpellCache(limit=2)

    def append(*events: ev.Event) -> AppendResult:
        with engine.begin() as conn:
            lock_writers(conn)
            return append_in(conn, list(events), cache)

    for n in range(1, 4):
        append(_ev(f"a{n}", _at(1, 10 + n), ev.Admitted(f"P{n}", "SITE", "W-A"), f"S{n}"))
    # S1 and S2 were cached, then S3 filled the cache: this batch needs all three.
    result = append(
        _ev("d1", _at(2, 10), ev.Discharged("home"), "S1"),
        _ev("a2-again", _at(2, 11), ev.Admitted("P2", "SITE", "W-A"), "S2"),
        _ev("t3", _at(2, 12), ev.Transferred("W-B"), "S3"),
    )
    assert [r.key for r in result.rejected] == ["a2-again"]
    assert sorted(result.applied) == ["d1", "t3"]
    with engine.begin() as conn:
        assert proj.projected_through(conn) == last_seq(conn)
    appended = projections(engine)
    rebuild(engine)
    assert projections(engine) == appended


def test_patient_details_follow_updates_and_merges(engine: Engine) -> None:
    log = EventLog(engine)
    log.append(
        [
            _ev(
                "a1",
                _at(1, 10),
                ev.Admitted("P1", "SITE", "W-A", "01", family_name="Smith", given_name="Ann"),
            ),
            _ev(
                "a2",
                _at(1, 11),
                ev.Admitted("P2", "SITE", "W-A", "02", family_name="Smyth"),
                spell="S2",
            ),
        ]
    )
    when = _at(2, 9)
    log.append(
        [
            ev.Event(
                "u",
                "test",
                when,
                when,
                None,
                ev.PatientDetailsUpdated("P1", family_name="Smith-Jones"),
            ),
            ev.Event("m", "test", when, when, None, ev.PatientsMerged("P1", "P2")),
        ]
    )
    with engine.connect() as conn:
        rows = {r.patient_id: r for r in conn.execute(select(t.patients))}
    assert rows["P1"].family_name == "Smith-Jones" and rows["P1"].given_name == "Ann"
    assert rows["P2"].merged_into == "P1"
    # Where a name search may begin follows the new name, and a rebuild writes the same.
    parts = select(t.patient_name_parts.c.patient_id, t.patient_name_parts.c.part)
    with engine.connect() as conn:
        found = sorted(tuple(r) for r in conn.execute(parts))
    assert found == [("P1", "ann"), ("P1", "jones"), ("P1", "smith-jones"), ("P2", "smyth")]
    rebuild(engine)
    with engine.connect() as conn:
        assert sorted(tuple(r) for r in conn.execute(parts)) == found


def test_census_counts_midnight_occupancy_and_the_days_flows(engine: Engine) -> None:
    start_census(engine)
    log = EventLog(engine)
    log.append(
        [
            _ev("a", _at(1, 10), ev.Admitted("P1", "SITE", "W-A", "01")),
            _ev("t", _at(2, 15), ev.Transferred("W-B", "03")),
            _ev("d", _at(10, 11) - timedelta(minutes=30), ev.Discharged()),
        ]
    )
    with engine.connect() as conn:
        rows = {(r.day, r.ward_code): r for r in conn.execute(select(t.daily_census))}
    assert rows[(date(2026, 4, 1), "W-A")].admissions == 1
    assert rows[(date(2026, 4, 1), "W-A")].occupied == 1
    assert (date(2026, 4, 2), "W-A") not in rows
    assert rows[(date(2026, 4, 8), "W-B")].stranded == 1
    assert rows[(date(2026, 4, 10), "W-B")].discharges_before_noon == 1
    assert rows[(date(2026, 4, 10), "W-B")].occupied == 0


def test_a_census_far_ahead_is_folded_on_demand_not_stored(engine: Engine) -> None:
    from homeflow.domain.organisations import Organisation, OrganisationType, Site, Ward, WardType
    from homeflow.store.queries import census
    from homeflow.store.registry import save_registry

    with engine.begin() as conn:
        save_registry(
            conn,
            [Organisation("RX1", "Trust", OrganisationType.ACUTE)],
            [Site("SITE", "Site", "RX1")],
            [Ward("W-A", "Ward A", "SITE", 20, "Medicine", WardType.ACUTE)],
        )
    EventLog(engine).append([_ev("a", _at(1, 10), ev.Admitted("P1", "SITE", "W-A", "01"))])
    far = census(engine, date(2999, 1, 1), today=date(2026, 4, 2))
    assert [(r.ward_code, r.occupied, r.super_stranded) for r in far] == [("W-A", 1, 1)]
    with engine.connect() as conn:
        latest = conn.execute(select(func.max(t.daily_census.c.day))).scalar_one()
    assert latest is None or latest <= date(2026, 4, 3)


@given(
    st.one_of(
        st.datetimes(),
        st.datetimes(timezones=st.timezones()),
        st.dates(),
    )
)
def test_bulk_inserts_write_sqlite_times_as_sqlalchemy_does(value: date) -> None:
    # Rows written by `insert_rows` are read and compared (as text) with rows SQLAlchemy wrote.
    dialect = sqlite.dialect()
    sqlalchemy_text = DateTime().dialect_impl(dialect).bind_processor(dialect)
    sqlalchemy_date_text = Date().dialect_impl(dialect).bind_processor(dialect)
    assert sqlalchemy_text is not None and sqlalchemy_date_text is not None
    assert sqlite_datetime_text(value) == sqlalchemy_text(value)
    assert sqlite_date_text(value, sqlalchemy_date_text) == sqlalchemy_date_text(value)


@given(st.datetimes(timezones=st.timezones()))
def test_instants_are_stored_as_naive_utc_and_read_back_as_the_same_instant(
    instant: datetime,
) -> None:
    stored = to_db_time(instant)
    assert stored is not None and stored.tzinfo is None
    assert stored == instant.astimezone(UTC).replace(tzinfo=None)
    assert from_db_time(stored) == instant.astimezone(UTC)


def test_a_late_transfer_in_a_spell_with_a_cancelled_transfer_changes_earlier_days(
    engine: Engine,
) -> None:
    """A cancellation undoes the latest transfer before it: a transfer arriving late, between
    an earlier transfer and the cancellation, becomes the one undone, so the earlier transfer
    stands again and the census changes on days before the late transfer's own (found by the
    catch-up property test)."""
    events = [
        _ev("a", _at(1, 10), ev.Admitted("P1", "SITE", "W-A", "01")),
        _ev("t1", _at(1, 14), ev.Transferred("W-B", "02")),
        _ev("late", _at(3, 9), ev.Transferred("W-A", "03")),
        _ev("c", _at(3, 20), ev.TransferCancelled()),
    ]
    start_census(engine)
    EventLog(engine).append(events)
    expected = projections(engine)
    empty_all(engine)
    start_census(engine)
    EventLog(engine).append([e for e in events if e.key != "late"])
    with engine.begin() as conn:
        lock_writers(conn)
        append_in(conn, [e for e in events if e.key == "late"], SpellCache(), project=False)
        catch_up(conn)
    assert projections(engine) == expected
    with engine.connect() as conn:
        wards = {
            r.day: r.ward_code
            for r in conn.execute(select(t.daily_census).where(t.daily_census.c.occupied == 1))
        }
    assert wards[date(2026, 4, 1)] == "W-B" and wards[date(2026, 4, 2)] == "W-B"


def test_an_event_from_the_future_is_refused_naming_occurred_at(engine: Engine) -> None:
    now = datetime.now(UTC)

    def admitted(key: str, at: datetime) -> ev.Event:
        payload = ev.Admitted("P-" + key, "RX101", "RX101-M01", None, ev.AdmissionMethod.EMERGENCY)
        return ev.Event(key, "test", at, now, "RX1:" + key, payload)

    result = EventLog(engine).append(
        [admitted("SOON", now + timedelta(minutes=2)), admitted("LATER", now + timedelta(hours=2))]
    )
    assert result.applied == ["SOON"]
    [refused] = result.rejected
    assert (refused.key, refused.field) == ("LATER", "occurred_at")
    assert "ahead of the clock" in refused.reason and "5 minutes" in refused.reason
    # A tolerance of hours lets it in; none at all refuses even the nearly-now.
    assert EventLog(engine, timedelta(hours=3)).append(
        [admitted("LATER", now + timedelta(hours=2))]
    ).applied == ["LATER"]
    strict = EventLog(engine, timedelta(0)).append([admitted("NEXT", now + timedelta(seconds=30))])
    assert [r.field for r in strict.rejected] == ["occurred_at"]
    with engine.connect() as conn:
        stored = sorted(k for (k,) in conn.execute(select(t.events.c.key)))
    assert stored == ["LATER", "SOON"]
