"""Mental health delayed discharges: the demo's month recounted from the raw event rows (no
spell fold) by provider and by local authority, each figure's patients adding up to it, the
command's formats; periods taken in by HL7 (ZDD on an A08) and by CSV, bad input refused naming
the field with nothing stored, and a period on a stay not on a mental-health ward refused."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from homeflow.domain import events as ev
from homeflow.domain.errors import InvalidInput
from homeflow.domain.organisations import Organisation, OrganisationType, Site, Ward, WardType
from homeflow.domain.privacy import Role
from homeflow.ingest.feeds import import_hl7
from homeflow.ingest.mapping import FeedMapping
from homeflow.ingest.mh_delays_csv import receive_periods
from homeflow.reports.mh_delays import UNKNOWN, By
from homeflow.services.mh_delays import mh_delay_people, mh_delays
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.access.scope import Viewer
from homeflow.store.eventlog import EventLog
from homeflow.store.registry import save_registry
from tests.conftest import ENGINES, demo_database, fresh_database
from tests.support import SHORT_DEMO, homeflow

LONDON = ZoneInfo("Europe/London")
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
VIEWER = Viewer("analyst@qde.test", "QDE", Role.ANALYST, "test")


@pytest.fixture(scope="module", params=ENGINES)
def demo_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with demo_database(request.param, tmp_path_factory.mktemp("mh"), *SHORT_DEMO) as url:
        yield url


def _local(instant: datetime) -> date:
    return instant.replace(tzinfo=UTC).astimezone(LONDON).date()


def independent_mh_delays(url: str, first: date, last: date) -> dict[tuple[str, str], int]:
    """Delayed days by ("provider", org) and ("council", code), day by day from the rows: a day
    counts (once) when a period of a mental-health provider's stay covers it (from its start, not its
    end; the latest record of a period id stands), the patient was admitted by then and had
    not left (the discharge day is not counted)."""
    engine = db.connect(url)
    with engine.connect() as conn:
        org_of_site = dict(conn.execute(select(t.sites.c.code, t.sites.c.org_code)).all())
        providers = set(
            conn.execute(
                select(t.organisations.c.code).where(t.organisations.c.type == "mental-health")
            ).scalars()
        )
        rows = conn.execute(
            select(
                t.events.c.spell_key,
                t.events.c.type,
                t.events.c.occurred_at,
                t.events.c.key,
                t.events.c.payload,
            ).order_by(t.events.c.occurred_at, t.events.c.key)
        ).all()
    engine.dispose()
    spells: dict[str, list[tuple[datetime, str, dict[str, object]]]] = defaultdict(list)
    council: dict[str, str] = {}
    for spell_key, kind, occurred, _key, payload in rows:
        body = json.loads(payload)
        if kind in ("admitted", "patient-details-updated") and body.get("local_authority"):
            council[str(body["patient_id"])] = str(body["local_authority"])
        if spell_key is not None:
            spells[spell_key].append((occurred, kind, body))
    out: Counter[tuple[str, str]] = Counter()
    for found in spells.values():
        admitted = [b for _, kind, b in found if kind == "admitted"]
        if not admitted or any(kind == "admission-cancelled" for _, kind, _ in found):
            continue
        org = org_of_site[str(admitted[0]["site_code"])]
        if org not in providers:
            continue
        admitted_on = _local(next(at for at, kind, _ in found if kind == "admitted"))
        leaving = [(at, kind) for at, kind, _ in found if kind.startswith("discharge")]
        left = _local(leaving[-1][0]) if leaving and leaving[-1][1] == "discharged" else None
        periods = {str(b["period_id"]): b for _, kind, b in found if kind == "mh-delay-recorded"}
        place = council.get(str(admitted[0]["patient_id"]), UNKNOWN)
        delayed = set()  # a day two periods cover is one delayed day
        for period in periods.values():
            start = date.fromisoformat(str(period["start_date"]))
            end = date.fromisoformat(str(period["end_date"])) if period.get("end_date") else None
            day = first
            while day <= last:
                covered = start <= day and (end is None or day < end)
                if covered and admitted_on <= day and (left is None or day < left):
                    delayed.add(day)
                day += timedelta(days=1)
        if delayed:
            out[("provider", org)] += len(delayed)
            out[("council", place)] += len(delayed)
    return dict(out)


def test_the_demos_month_agrees_with_an_independent_count(demo_url: str) -> None:
    engine = db.connect(demo_url)
    reported = {
        (by.value, r.code): r.delayed_days for by in By for r in mh_delays(engine, *MARCH, by)
    }
    assert reported == independent_mh_delays(demo_url, *MARCH)
    assert reported[("provider", "RW1")] > 0
    # Every figure opens to its patients, whose days add up to it.
    for (by, code), days in reported.items():
        found = mh_delay_people(engine, VIEWER, *MARCH, By(by), code, date(2026, 4, 2))
        assert found.figure == days == sum(p.adds for p in found.rows)
    engine.dispose()


def test_the_command_prints_the_figures_in_each_format(demo_url: str) -> None:
    printed = homeflow(
        demo_url, "mh-delays", "--month", "2026-03", "--by", "council", "--format", "csv"
    )
    assert printed.returncode == 0, printed.stderr
    rows = list(csv.DictReader(io.StringIO(printed.stdout)))
    expected = independent_mh_delays(demo_url, *MARCH)
    assert {r["Code"]: int(r["Delayed Days"]) for r in rows} == {
        code: n for (by, code), n in expected.items() if by == "council"
    }
    as_json = homeflow(demo_url, "mh-delays", "--month", "2026-03", "--format", "json")
    assert json.loads(as_json.stdout)[0]["Delayed Days"] == expected[("provider", "RW1")]
    refused = homeflow(demo_url, "mh-delays", "--month", "2026-03", "--by", "ward")
    assert refused.returncode == 2 and "--by" in refused.stderr


# ---- Periods taken in by HL7 and CSV, on a small registry of one mental-health ward ----------

REGISTRY = (
    (
        Organisation("RW9", "Moorside Mental Health", OrganisationType.MENTAL_HEALTH),
        Organisation("RX1", "Riverside Hospitals", OrganisationType.ACUTE),
    ),
    (Site("RW9A", "Moorside Hospital", "RW9"), Site("RX1A", "Riverside General", "RX1")),
    (
        Ward("RW9A-ACU", "Adult acute", "RW9A", 4, "Adult Mental Illness", WardType.MENTAL_HEALTH),
        Ward("RX1A-MED", "Medical ward", "RX1A", 4, "General Medicine", WardType.ACUTE),
    ),
)
AT = datetime(2026, 3, 2, 10, tzinfo=UTC)


def _admitted(engine: object, spell: str, ward: str) -> None:
    site = ward.split("-")[0]
    admitted = ev.Admitted(spell, site, ward, "1")
    EventLog(engine).append(  # type: ignore[arg-type]
        [ev.Event(f"adm-{spell}", "test", AT, AT, f"{site[:3]}:{spell}", admitted)]
    )


def _periods(engine: object) -> list[tuple[str, str, str, str]]:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(
            select(t.events.c.spell_key, t.events.c.payload).where(
                t.events.c.type == "mh-delay-recorded"
            )
        ).all()
    return sorted(
        (
            key,
            json.loads(p)["start_date"],
            json.loads(p).get("end_date") or "",
            json.loads(p)["reason"],
        )
        for key, p in rows
    )


def _zdd(control: str, visit: str, segment: str) -> str:
    return "\r".join(
        (
            f"MSH|^~\\&|PAS|RW9A|HOMEFLOW|RW9|20260310120000||ADT^A08|{control}|P|2.4",
            "EVN|A08|20260310120000",
            "PID|||M1^^^RW9||Moor^Ann",
            f"PV1||I|RW9A-ACU^^1^RW9A||||||||||||||||{visit}",
            segment,
        )
    )


@pytest.mark.parametrize("kind", ENGINES)
def test_a_zdd_segment_records_a_period_and_bad_ones_are_refused_naming_the_field(
    kind: str, tmp_path: Path
) -> None:
    with fresh_database(kind, tmp_path) as engine:
        with engine.begin() as conn:
            save_registry(conn, *REGISTRY)
        _admitted(engine, "M1", "RW9A-ACU")
        _admitted(engine, "A1", "RX1A-MED")
        messages = [
            _zdd("1", "M1", "ZDD|1|P1|20260303||18|05"),
            _zdd("2", "M1", "ZDD|1|P1|20260303|20260308|18|05"),
            _zdd("3", "M1", "ZDD|1|P2|20260305||99|05"),  # no such reason
            _zdd("4", "M1", "ZDD|1|P3|2026-03-05||18|05"),  # not YYYYMMDD
            _zdd("5", "M1", "ZDD|1||20260309||18|05"),  # no period id
            _zdd("6", "M1", "ZDD|1|P4|20260309||18|07"),  # attributable to: not a code
            _zdd("8", "A1", "ZDD|1|P6|20260306||07|05")
            .replace("RW9A-ACU^^1^RW9A", "RX1A-MED^^1^RX1A")
            .replace("|RW9A|", "|RX1A|"),  # an acute stay
        ]
        outcomes = list(import_hl7(engine, iter(messages), FeedMapping(), batch=1))
        assert [o.outcome for o in outcomes[:2]] == ["applied", "applied"]
        assert all(o.outcome == "rejected" for o in outcomes[2:]), outcomes
        named = {o.control_id: o.field for o in outcomes[2:]}
        assert named == {
            "3": "ZDD-5",
            "4": "ZDD-3",
            "5": "ZDD-2",
            "6": "ZDD-6",
            "8": "ward",
        }
        assert _periods(engine) == [
            ("RW9:M1", "2026-03-03", "", "18"),
            ("RW9:M1", "2026-03-03", "2026-03-08", "18"),
        ]
        march = {r.code: r.delayed_days for r in mh_delays(engine, *MARCH, By.PROVIDER)}
        assert march == {"RW9": 5}  # 3 to 7 March


@pytest.mark.parametrize("kind", ENGINES)
def test_a_periods_file_is_taken_whole_or_refused_naming_line_and_column(
    kind: str, tmp_path: Path
) -> None:
    header = "org,visit_number,period_id,start_date,end_date,reason,attributable_to\n"
    with fresh_database(kind, tmp_path) as engine:
        with engine.begin() as conn:
            save_registry(conn, *REGISTRY)
        _admitted(engine, "M1", "RW9A-ACU")
        _admitted(engine, "A1", "RX1A-MED")
        bad = {
            "RW9,M1,P1,2026-03-03,,99,05\n": "line 2, reason",
            "RW9,M1,P1,2026-03-03,2026-03-01,18,05\n": "line 2, end_date",
            "RW9,M1,P1,,,18,05\n": "line 2, start_date",
            "RW9,M1,P1,03/2026,,18,05\n": "line 2, start_date",
            "RW9,M9,P1,2026-03-03,,18,05\n": "line 2, visit_number",
            "RX1,A1,P1,2026-03-03,,18,05\n": "line 2, ward",
            "RW9,M1,P1,2026-03-03,,18,05\nRW9,M1,P2,2026-03-04,,07,41\n": "line 3, attributable_to",
        }
        for body, named in bad.items():
            with pytest.raises(InvalidInput) as problem:
                receive_periods(engine, header + body)
            assert named in problem.value.reason, (body, problem.value.reason)
        with pytest.raises(InvalidInput) as missing:
            receive_periods(engine, "org,visit_number\nRW9,M1\n")
        assert missing.value.field == "period_id"
        with engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(t.events)).scalar_one()
        assert count == 2  # the two admissions: nothing from a refused file
        good = header + "RW9,M1,P1,2026-03-03,,18,05\n"
        assert receive_periods(engine, good) == {"recorded": 1, "already recorded": 0}
        assert receive_periods(engine, good) == {"recorded": 0, "already recorded": 1}
        ended = header + "RW9,M1,P1,2026-03-03,2026-03-10,18,05\n"
        assert receive_periods(engine, ended) == {"recorded": 1, "already recorded": 0}
        march = {r.code: r.delayed_days for r in mh_delays(engine, *MARCH, By.PROVIDER)}
        assert march == {"RW9": 7}  # 3 to 9 March


def test_of_two_rows_of_a_period_in_one_file_the_later_stands(tmp_path: Path) -> None:
    header = "org,visit_number,period_id,start_date,end_date,reason,attributable_to\n"
    with fresh_database("sqlite", tmp_path) as engine:
        with engine.begin() as conn:
            save_registry(conn, *REGISTRY)
        _admitted(engine, "M1", "RW9A-ACU")
        rows = "RW9,M1,P1,2026-03-03,2026-03-10,18,05\nRW9,M1,P1,2026-03-03,,18,05\n"
        receive_periods(engine, header + rows)
        march = {r.code: r.delayed_days for r in mh_delays(engine, *MARCH, By.PROVIDER)}
        assert march == {"RW9": 29}  # reopened: 3 to 31 March
