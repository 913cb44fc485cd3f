"""Spec cases, the ehrql way: each file in cases/ is a stream of events and the figures it must
give, worked out by hand from the definitions in docs/returns.md. Every case runs through every
write path, on each engine, and each path is compared with the truth, not with another path.

Write paths: the events appended in time order; shuffled; each twice; the ADT events through the
MLLP listener (over a real socket, in this process: it acknowledges before it projects and
catches up after; its process's start and signals are tested in tests/integration/test_feeds.py)
with the flow events appended beside them; the ADT events through the HL7 file import; and the
log appended, its views dropped and rebuilt (`homeflow rebuild`)."""

from __future__ import annotations

import importlib
import random
import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from homeflow.domain import codes
from homeflow.domain import events as ev
from homeflow.domain.bed_requests import BedRequestCancelled, BedRequested
from homeflow.domain.bed_state import BedStatusSet
from homeflow.domain.clock import SYSTEM_ZONE
from homeflow.domain.errors import InvalidInput
from homeflow.domain.flow import CENSUS_MEASURES
from homeflow.domain.organisations import Organisation, OrganisationType, Site, Ward, WardType
from homeflow.ingest.feeds import import_hl7
from homeflow.ingest.hl7.mllp import Sender
from homeflow.ingest.hl7.writer import adt_messages
from homeflow.ingest.mapping import FeedMapping
from homeflow.reports.kpi import Level, Period, kpi_named
from homeflow.reports.sitrep import PROBLEMS, metric_order
from homeflow.services.returns import dtoc_rows, kpi_rows, sitrep_problem_counts, sitrep_rows
from homeflow.store.codec import event_from_record
from homeflow.store.eventlog import EventLog
from homeflow.store.queries import census
from homeflow.store.rebuild import rebuild
from homeflow.store.registry import save_registry
from tests.conftest import ENGINES, fresh_database
from tests.support import listening

CASES = sorted((Path(__file__).parent / "cases").glob("*.toml"))

# An acute trust (the sitrep) and a community provider (the DToC return): 10 beds in all.
ORGANISATIONS = (
    Organisation("RX1", "Riverside Hospitals", OrganisationType.ACUTE),
    Organisation("RY1", "Hillside Community Health", OrganisationType.COMMUNITY),
)
SITES = (Site("RX1A", "Riverside General", "RX1"), Site("RY1A", "Hillside Hospital", "RY1"))
WARDS = (
    Ward("RX1A-MED", "Medical ward", "RX1A", 4, "General Medicine", WardType.ACUTE),
    Ward("RX1A-SURG", "Surgical ward", "RX1A", 4, "General Surgery", WardType.ACUTE),
    Ward("RY1A-REH", "Rehabilitation ward", "RY1A", 2, "Rehabilitation", WardType.COMMUNITY),
)
ADT = (
    ev.Admitted,
    ev.Transferred,
    ev.Discharged,
    ev.AdmissionCancelled,
    ev.TransferCancelled,
    ev.DischargeCancelled,
    ev.MhDelayRecorded,  # as an A08 with homeflow's ZDD segment
    BedRequested,  # A14, pending admit
    BedRequestCancelled,  # A27
    BedStatusSet,  # A20, a bed status update
)


def _with_local_id(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    # A feed names the patient by a hospital number (PID-3); the cases need not.
    if kind in ("admitted", "bed-requested"):
        return {"local_id": payload["patient_id"], **payload}
    return payload


def read_case(path: Path) -> tuple[list[ev.Event], dict[str, Any]]:
    case = tomllib.loads(path.read_text("utf-8"))
    received = datetime(2026, 11, 1, tzinfo=UTC)
    events = [
        event_from_record(
            {
                "key": f"spec:{path.stem}:{n}",
                "source": "spec",
                "type": e["type"],
                "occurred_at": datetime.fromisoformat(e["at"])
                .replace(tzinfo=SYSTEM_ZONE)
                .isoformat(),
                "spell_key": e.get("spell"),
                "payload": _with_local_id(e["type"], e.get("payload", {})),
            },
            received,
        )
        for n, e in enumerate(case["events"])
    ]
    return events, case["expect"]


def registry_of(path: Path) -> tuple[tuple[Organisation, ...], tuple[Site, ...], tuple[Ward, ...]]:
    """The two providers above, and what a case adds: `[[organisations]]` (code, name, type,
    parent), `[[sites]]` (code, name, org) and `[[wards]]` (code, name, site, beds, specialty,
    type), for a case about a service the defaults do not hold."""
    case = tomllib.loads(path.read_text("utf-8"))
    organisations = ORGANISATIONS + tuple(
        Organisation(o["code"], o["name"], OrganisationType(o["type"]), o.get("parent"))
        for o in case.get("organisations", ())
    )
    sites = SITES + tuple(Site(s["code"], s["name"], s["org"]) for s in case.get("sites", ()))
    wards = WARDS + tuple(
        Ward(w["code"], w["name"], w["site"], w["beds"], w["specialty"], WardType(w["type"]))
        for w in case.get("wards", ())
    )
    return organisations, sites, wards


def _in_order(engine: Engine, events: list[ev.Event], _folder: Path) -> None:
    EventLog(engine).append(sorted(events, key=lambda e: e.fold_order))


def _shuffled(engine: Engine, events: list[ev.Event], _folder: Path) -> None:
    shuffled = list(events)
    random.Random(len(events)).shuffle(shuffled)
    log = EventLog(engine)
    for event in shuffled:
        log.append([event])


def _twice(engine: Engine, events: list[ev.Event], _folder: Path) -> None:
    doubled = [*events, *events]
    random.Random(7).shuffle(doubled)
    log = EventLog(engine)
    for start in range(0, len(doubled), 3):
        log.append(doubled[start : start + 3])


def _split(events: list[ev.Event]) -> tuple[list[str], list[ev.Event]]:
    """The ADT events as HL7 v2 messages in time order, and the flow events."""
    ordered = sorted(events, key=lambda e: e.fold_order)
    adt = [e for e in ordered if isinstance(e.payload, ADT)]
    messages = [m for _, m in adt_messages(adt, periods=True)]
    return messages, [e for e in ordered if not isinstance(e.payload, ADT)]


def _through_the_listener(engine: Engine, events: list[ev.Event], _folder: Path) -> None:
    messages, flow = _split(events)
    with listening(engine) as port:
        sender = Sender(port)
        for message in messages:
            assert b"MSA|AA" in sender.send(message.encode()), message
        sender.close()
    EventLog(engine).append(flow)


def _file_import(engine: Engine, events: list[ev.Event], _folder: Path) -> None:
    messages, flow = _split(events)
    outcomes = list(import_hl7(engine, iter(messages), FeedMapping(), batch=2))
    assert all(o.accepted for o in outcomes), outcomes
    EventLog(engine).append(flow)


def _rebuilt(engine: Engine, events: list[ev.Event], folder: Path) -> None:
    _in_order(engine, events, folder)
    rebuild(engine)


WRITE_PATHS: dict[str, Callable[[Engine, list[ev.Event], Path], None]] = {
    "in order": _in_order,
    "shuffled": _shuffled,
    "each twice": _twice,
    "MLLP listener": _through_the_listener,
    "HL7 file import": _file_import,
    "rebuilt": _rebuilt,
}


# Kinds of figure a case may expect. Besides the five here, each module `figures_<kind>.py`
# beside this file adds one: it defines `read(engine, key, wanted)`, which returns the figures
# `wanted` names under `key` as homeflow gives them, and fails on a name homeflow does not give.
FigureReader = Callable[[Engine, str, Any], Any]
PLUGGED: dict[str, FigureReader] = {
    module.stem.removeprefix("figures_"): importlib.import_module(f"tests.spec.{module.stem}").read
    for module in sorted(Path(__file__).parent.glob("figures_*.py"))
}
KINDS = ("census", "sitrep", "delayed_bed_days", "dtoc", "kpi", *PLUGGED)
# The sitrep's figures by name: every published metric (each one is always in the rows, zero
# or not, and nothing else is), and the patients to correct before submitting, which are in
# no group of the return ("Problem|<problem>": how many).
SITREP_ALWAYS = {"|".join(key) for key in metric_order()}
SITREP_PROBLEMS = {f"Problem|{problem}" for problem in PROBLEMS}


def _sitrep(engine: Engine, day: str, wanted: dict[str, Any]) -> dict[str, Any]:
    unknown = set(wanted) - SITREP_ALWAYS - SITREP_PROBLEMS
    assert not unknown, f"the sitrep has no metric {sorted(unknown)}"
    on = date.fromisoformat(day)
    rows = {
        f"{r.metric}|{r.metric_type}|{r.metric_group}": r.value
        for r in sitrep_rows(engine, on, "RX1")
    }
    assert set(rows) == SITREP_ALWAYS
    problems = sitrep_problem_counts(engine, on, "RX1")["RX1"]
    rows |= {f"Problem|{p}": len(problems.get(p, [])) for p in PROBLEMS}
    return {name: rows[name] for name in wanted}


def _census(engine: Engine, day: str, wards: dict[str, Any]) -> dict[str, Any]:
    rows = {r.ward_code: r.as_dict() for r in census(engine, date.fromisoformat(day))}
    for ward, wanted in wards.items():
        assert ward in rows, f"the census has no ward {ward}"
        unknown = set(wanted) - set(CENSUS_MEASURES)
        assert not unknown, f"the census has no measure {sorted(unknown)}"
    return {ward: {name: rows[ward][name] for name in wanted} for ward, wanted in wards.items()}


def _dtoc(engine: Engine, month: str, wanted: dict[str, Any]) -> dict[str, Any]:
    """Delayed days by "org|reason|agency"; the return lists only what occurred, so a row
    it does not list is zero, once the name is checked against the registry and code lists."""
    for name in wanted:
        org, reason, agency = name.split("|")
        assert org in {o.code for o in ORGANISATIONS}, f"no organisation {org}"
        codes.dtoc_reasons().check("dtoc_reason", reason)
        codes.responsible_agencies().check("responsible_agency", agency)
    year, number = (int(part) for part in month.split("-"))
    rows = {
        f"{r.org_code}|{r.reason_code}|{r.agency_code}": r.delayed_days
        for r in dtoc_rows(engine, year, number)
    }
    return {name: rows.get(name, 0) for name in wanted}


def _kpi(engine: Engine, name: str, spans: dict[str, Any]) -> dict[str, Any]:
    """A KPI's numerator and denominator for the whole system over each span, under
    "kpi|measure" (the measure empty for a KPI with one)."""
    kpi, _, measure = name.partition("|")
    kpi_named(kpi)
    found = {}
    for span in spans:
        first, last = (date.fromisoformat(d) for d in span.split("/"))
        rows = kpi_rows(engine, kpi, Level.SYSTEM, first, last, Period.RANGE)
        [row] = [r for r in rows if r["measure"] == measure] or [{}]
        assert row, f"{kpi} has no measure {measure!r}"
        found[span] = {"numerator": row["numerator"], "denominator": row["denominator"]}
    return found


def _figures(engine: Engine, expect: dict[str, Any]) -> dict[str, Any]:
    """The same figures as `expect`, read from homeflow; a name homeflow does not produce
    (a misspelt metric, measure or ward) fails rather than reading as zero."""
    assert set(expect) <= set(KINDS), f"unknown kinds of figure {set(expect) - set(KINDS)}"
    found: dict[str, Any] = {kind: {} for kind in expect}
    read = {"census": _census, "sitrep": _sitrep, "dtoc": _dtoc, "kpi": _kpi, **PLUGGED}
    for kind, reader in read.items():
        for key, wanted in expect.get(kind, {}).items():
            found[kind][key] = reader(engine, key, wanted)
    for span in expect.get("delayed_bed_days", {}):
        first, last = (date.fromisoformat(d) for d in span.split("/"))
        rows = kpi_rows(engine, "delayed-bed-days", Level.SYSTEM, first, last, Period.RANGE)
        found["delayed_bed_days"][span] = sum(r["numerator"] for r in rows)
    return found


@pytest.mark.parametrize("kind", ENGINES)
@pytest.mark.parametrize("path", sorted(WRITE_PATHS))
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_a_case_gives_its_figures_through_every_write_path(
    case: Path, path: str, kind: str, tmp_path: Path
) -> None:
    events, expect = read_case(case)
    with fresh_database(kind, tmp_path) as engine:
        with engine.begin() as conn:
            save_registry(conn, *registry_of(case))
        WRITE_PATHS[path](engine, events, tmp_path)
        assert _figures(engine, expect) == expect


def test_there_are_cases() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize(
    ("expect", "fault"),
    [
        ({"sitrep": {"2026-03-05": {"Patients discharged|Discharges|Totl": 0}}}, AssertionError),
        ({"sitrep": {"2026-03-05": {"Delayed bed days|Length of stay|7+": 0}}}, AssertionError),
        # Not published by NHS England, so no longer in the return: a problem to correct.
        (
            {
                "sitrep": {
                    "2026-03-05": {
                        "Patients discharged by pathway|Discharges|Pathway not recorded": 0
                    }
                }
            },
            AssertionError,
        ),
        ({"census": {"2026-03-05": {"RX1A-MED": {"ocupied": 0}}}}, AssertionError),
        ({"census": {"2026-03-05": {"RX1A-ICU": {"occupied": 0}}}}, AssertionError),
        ({"dtoc": {"2026-03": {"RY1|Z|NHS": 0}}}, InvalidInput),
        ({"dtoc": {"2026-03": {"RY1|A|COUNCIL": 0}}}, InvalidInput),
        ({"dtoc": {"2026-03": {"RY9|A|NHS": 0}}}, AssertionError),
        ({"kpi": {"mean-loss|": {"2026-03-02/2026-03-08": {}}}}, InvalidInput),
        ({"kpi": {"pathway-mix|P9": {"2026-03-02/2026-03-08": {}}}}, AssertionError),
        ({"sitreps": {}}, AssertionError),
    ],
    ids=lambda v: "" if isinstance(v, type) else str(v)[:60],
)
def test_a_figure_homeflow_does_not_produce_fails_rather_than_reading_as_zero(
    expect: dict[str, Any], fault: type[Exception], tmp_path: Path
) -> None:
    # Expected zeros under names that do not exist: `rows.get(name, 0)` would pass them all.
    with fresh_database("sqlite", tmp_path) as engine:
        with engine.begin() as conn:
            save_registry(conn, ORGANISATIONS, SITES, WARDS)
        with pytest.raises(fault):
            _figures(engine, expect)


def test_a_real_zero_reads_as_zero(tmp_path: Path) -> None:
    zero = {
        "sitrep": {"2026-03-05": {name: 0 for name in SITREP_ALWAYS | SITREP_PROBLEMS}},
        "census": {"2026-03-05": {w.code: dict.fromkeys(CENSUS_MEASURES, 0) for w in WARDS}},
        "dtoc": {"2026-03": {"RY1|A|NHS": 0}},
    }
    with fresh_database("sqlite", tmp_path) as engine:
        with engine.begin() as conn:
            save_registry(conn, ORGANISATIONS, SITES, WARDS)
        assert _figures(engine, zero) == zero
