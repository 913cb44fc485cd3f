"""Bed state through the real feed on each engine: an admission occupies its bed, a discharge
leaves it awaiting cleaning where the trust says so, an HL7 A20 (bed status update) makes it
clean or closes it; a bad A20 is refused naming its field, and one about another trust's bed is
refused, with nothing stored."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select

from homeflow.demo import system
from homeflow.domain.bed_state import BedStatus, ClosureReason
from homeflow.ingest.feeds import import_hl7
from homeflow.ingest.mapping import FeedMapping
from homeflow.services.bed_state import site_beds
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.bed_state import beds_at, folded_beds_at
from homeflow.store.registry import save_registry
from tests.conftest import url_of
from tests.support import homeflow

FEED = FeedMapping(source="pas-rx1", organisation="RX1")


def _adt(control: str, trigger: str, when: str, bed: str = "04") -> str:
    return (
        f"MSH|^~\\&|PAS|RX101|HF|QDE|{when}||ADT^{trigger}|{control}|P|2.4\r"
        f"EVN|{trigger}|{when}\r"
        "PID|1||9990000018^^^NHS^NH||Doe^Dee||19400101|F\r"
        f"PV1|1|I|RX101-M01^^{bed}^RX101|E|||||||||||||||V1\r"
    )


def a20(control: str, when: str, npu: str) -> str:
    return (
        f"MSH|^~\\&|PAS|RX101|HF|QDE|{when}||ADT^A20|{control}|P|2.4\rEVN|A20|{when}\rNPU|{npu}\r"
    )


def _events(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.events)).scalar_one())


def _bed(
    engine: Engine, at: datetime, ward: str = "RX101-M01", bed: str = "04"
) -> tuple[BedStatus, datetime | None, ClosureReason | None]:
    with db.reading(engine) as conn:
        rows = beds_at(conn, "RX101", at, cleaned_after_discharge={"RX1"})
    [row] = [r for r in rows if (r.ward, r.bed) == (ward, bed)]
    return row.status, row.since, row.reason


def test_a_bed_is_occupied_vacated_cleaned_and_closed_through_the_feed(engine: Engine) -> None:
    with engine.begin() as conn:
        save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
    sent = [
        _adt("M1", "A01", "202603020900"),
        _adt("M2", "A03", "202603041000"),
        a20("M3", "202603041230", "RX101-M01^^04^RX101|U"),
        a20("M4", "202603051200", "RX101-M01^^05^RX101|K"),
        a20("M5", "202603051300", "RX101-M01^^06|C"),  # the facility from MSH-4
    ]
    assert [o.outcome for o in import_hl7(engine, sent, FEED)] == ["applied"] * 5
    at = datetime
    assert _bed(engine, at(2026, 3, 3, tzinfo=UTC))[0] is BedStatus.OCCUPIED
    assert _bed(engine, at(2026, 3, 4, 11, tzinfo=UTC)) == (
        BedStatus.AWAITING_CLEANING, at(2026, 3, 4, 10, tzinfo=UTC), None
    )  # fmt: skip
    assert _bed(engine, at(2026, 3, 4, 13, tzinfo=UTC)) == (
        BedStatus.FREE, at(2026, 3, 4, 12, 30, tzinfo=UTC), None
    )  # fmt: skip
    late = at(2026, 3, 6, tzinfo=UTC)
    assert _bed(engine, late, bed="05")[::2] == (BedStatus.CLOSED, ClosureReason.INFECTION_CONTROL)
    assert _bed(engine, late, bed="06")[::2] == (BedStatus.CLOSED, None)
    # A bed nothing has named is free; the site has every numbered bed of its wards.
    assert _bed(engine, late, bed="07") == (BedStatus.FREE, None, None)
    with db.reading(engine) as conn:
        assert len(beds_at(conn, "RX101", late)) == sum(
            w.beds for w in system.WARDS if w.site_code == "RX101"
        )
        # Where the trust does not say so, the discharge frees the bed at once.
        [row] = [
            r
            for r in beds_at(conn, "RX101", at(2026, 3, 4, 11, tzinfo=UTC))
            if r.bed == "04" and r.ward == "RX101-M01"
        ]
        assert row.status is BedStatus.FREE


def test_the_beds_kept_now_read_as_a_fresh_fold_of_the_sites_history(engine: Engine) -> None:
    """site_beds reads each bed's state as the catch-up keeps it when nothing on the site is
    dated after the instant asked about, and folds the site's history up to it otherwise:
    either way as the fold reads it, before and after a change to the log."""
    with engine.begin() as conn:
        save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
    sent = [_adt("M1", "A01", "202603020900"), _adt("M2", "A03", "202603041000")]
    assert [o.outcome for o in import_hl7(engine, sent, FEED)] == ["applied"] * 2
    at = datetime

    def read(when: datetime) -> list[object]:
        return [(r.ward, r.bed, r.status, r.since) for r in site_beds(engine, "RX101", when)]

    def fresh(when: datetime) -> list[object]:
        with db.reading(engine) as conn:
            return [(r.ward, r.bed, r.status, r.since) for r in folded_beds_at(conn, "RX101", when)]

    early, late, later = (at(2026, 3, 4, h, tzinfo=UTC) for h in (9, 20, 22))
    assert read(early) == fresh(early)  # the discharge is dated after: folded
    assert read(late) == fresh(late)  # kept
    assert read(later) == fresh(later)
    assert read(early) == fresh(early) != fresh(late)
    [outcome] = import_hl7(engine, [a20("M3", "202603042100", "RX101-M01^^05^RX101|C")], FEED)
    assert outcome.outcome == "applied"
    assert read(later) == fresh(later) != fresh(late)  # the change is kept


@pytest.mark.parametrize(
    ("npu", "field", "words"),
    [
        ("RX101-M01^^04^RX101|Z", "NPU-2", "table 0116"),
        ("RX101-M01^^04^RX101|", "NPU-2", "missing"),
        ("RX101-M01^^^RX101|U", "NPU-1", "bed"),
        ("^^04^RX101|U", "NPU-1", "ward"),
        ("RX201-M03^^04^RX201|C", "NPU-1", "belongs to RX2"),  # another trust's bed
        ("RX201-M03^^04^RX101|C", "NPU-1", "belongs to RX2"),  # their ward, our site
        ("RX101-M01^^04^ZZZ|U", "NPU-1", "not a site"),
        (None, "NPU-1", "NPU segment"),
    ],
)
def test_a_bad_a20_or_one_about_another_trusts_bed_is_refused_naming_the_field(
    engine: Engine, npu: str | None, field: str, words: str
) -> None:
    with engine.begin() as conn:
        save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
    raw = a20("BAD", "202603041230", npu or "")
    if npu is None:
        raw = raw.replace("NPU|\r", "")
    [outcome] = import_hl7(engine, [raw], FEED)
    assert (outcome.outcome, outcome.field) == ("rejected", field), outcome
    assert words in (outcome.reason or "")
    assert _events(engine) == 0


def test_the_command_lists_every_bed_as_at_a_time_in_every_format(engine: Engine) -> None:
    with engine.begin() as conn:
        save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
    sent = [
        _adt("M1", "A01", "202603020900"),
        a20("M2", "202603051200", "RX101-M01^^05^RX101|K"),
    ]
    assert [o.outcome for o in import_hl7(engine, sent, FEED)] == ["applied"] * 2
    url = url_of(engine)
    at = ["beds", "state", "--site", "RX101", "--at", "2026-03-05T13:00"]
    beds = sum(w.beds for w in system.WARDS if w.site_code == "RX101")
    done = homeflow(url, *at, "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert len(rows) == beds
    m01 = [r for r in rows if r["ward"] == "RX101-M01"]
    assert m01[3] == {
        "ward": "RX101-M01", "bed": "04", "status": "Occupied", "since": "02/03/2026 09:00",
        "reason": "",
    }  # fmt: skip
    assert m01[4]["status"] == "Closed" and m01[4]["reason"] == "Infection control"
    done = homeflow(url, *at, "--format", "csv")
    header, *lines = list(csv.reader(io.StringIO(done.stdout)))
    assert header == ["ward", "bed", "status", "since", "reason"] and len(lines) == beds
    assert ["RX101-M01", "05", "Closed", "05/03/2026 12:00", "Infection control"] in lines
    done = homeflow(url, *at, "--format", "table")
    assert done.returncode == 0 and "Infection control" in done.stdout
    # Before the closure, the bed was free; a site or time it cannot use is refused naming it.
    early = homeflow(url, *at[:-1], "2026-03-04", "--format", "json")
    [bed_05] = [r for r in json.loads(early.stdout) if (r["ward"], r["bed"]) == ("RX101-M01", "05")]
    assert bed_05["status"] == "Free and clean"
    for option, value, words in [
        ("--site", "RX999", "not a site homeflow knows"),
        ("--at", "04/03/2026", "is not a time"),
        ("--at", "2099-01-01T00:00", "has not come yet"),
    ]:
        args = {"--site": "RX101", "--at": "2026-03-05T13:00", option: value}
        done = homeflow(url, "beds", "state", *(x for kv in args.items() for x in kv))
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith(f"error: {option}: ") and words in done.stderr, done.stderr
