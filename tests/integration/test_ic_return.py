"""The weekly intermediate care return of the demo system, recounted independently from the raw
event rows (no spell fold, no support-episode classes), on each engine; and the command line's
file and refusals."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from homeflow.domain import codes
from homeflow.services.intermediate_care import ic_rows
from homeflow.store import db
from homeflow.store import schema as t
from tests.conftest import ENGINES, demo_database
from tests.support import SHORT_DEMO, homeflow

LONDON = ZoneInfo("Europe/London")
WEEK_ENDING = date(2026, 3, 29)  # the demo's last whole week (SHORT_DEMO ends on the 31st)
SERVICE_OF_WARD = {
    "community": "Bed-based: community beds",
    "discharge-to-assess": "Bed-based: discharge to assess beds",
}
HOME = "Home-based: reablement"
Figure = tuple[str, str, str, str, str, str]  # org, service, period, metric, type, group


@pytest.fixture(scope="module", params=ENGINES)
def demo_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with demo_database(request.param, tmp_path_factory.mktemp("ic"), *SHORT_DEMO) as url:
        yield url


def midnight_ending(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), LONDON).astimezone(UTC)


def local_day(instant: datetime) -> date:
    return instant.astimezone(LONDON).date()


def read_rows(url: str) -> tuple[dict[str, tuple[str, str]], dict[str, str], list[Any]]:
    """Each ward's (type, organisation), each organisation's name, and every event row."""
    engine = db.connect(url)
    with engine.connect() as conn:
        wards = {
            r.code: (r.type, r.org_code)
            for r in conn.execute(
                select(t.wards.c.code, t.wards.c.type, t.sites.c.org_code).join(
                    t.sites, t.sites.c.code == t.wards.c.site_code
                )
            )
        }
        names = dict(conn.execute(select(t.organisations.c.code, t.organisations.c.name)).all())
        rows = conn.execute(
            select(
                t.events.c.seq,
                t.events.c.spell_key,
                t.events.c.type,
                t.events.c.occurred_at,
                t.events.c.payload,
            ).order_by(t.events.c.seq)
        ).all()
    engine.dispose()
    return wards, names, list(rows)


def ready_at(events: list[tuple[datetime, str, dict[str, Any]]], instant: datetime) -> date | None:
    """The ready date counted at `instant`: an episode opened by "does not meet" (its ready
    date, corrected by a later "does not meet" while open, even one recorded after the instant),
    closed by "meets"; counted only once its ready date has come."""
    ready: date | None = None
    for occurred, kind, payload in events:
        if kind != "criteria-to-reside-assessed":
            continue
        if payload.get("meets", False):
            if occurred >= instant:
                break
            ready = None
        else:
            ready = date.fromisoformat(str(payload["discharge_ready_date"]))
    day = local_day(instant - timedelta(microseconds=1))
    return ready if ready is not None and ready <= day else None


def reason_at(events: list[tuple[datetime, str, dict[str, Any]]], instant: datetime) -> str | None:
    """The delay reason's label current at `instant`, set since the episode last closed."""
    label = None
    nctr = {c.code: c.published_label for c in codes.nctr_delay_reasons().codes}
    dtoc = {c.code: c.label for c in codes.dtoc_reasons().codes}
    for occurred, kind, payload in events:
        if occurred >= instant:
            break
        met = kind == "criteria-to-reside-assessed" and payload.get("meets", False)
        if met or kind == "delay-reason-cleared":
            label = None
        elif kind == "delay-reason-set":
            reason = payload.get("reason")
            label = nctr[reason] if reason else dtoc[payload["dtoc_reason"]]
    return label


Stay = tuple[list[tuple[datetime, str]], datetime | None]  # ward moves, discharge


def service_then(stay: Stay, instant: datetime, wards: dict[str, tuple[str, str]]) -> str | None:
    """The service of the ward the patient was on at `instant`, if in a bed then."""
    moves, left_at = stay
    if instant < moves[0][0] or (left_at is not None and left_at <= instant):
        return None
    ward = [w for at, w in moves if at <= instant][-1]
    return SERVICE_OF_WARD.get(wards[ward][0])


def band(days: int) -> str:
    for low, high in ((0, 6), (7, 13), (14, 20), (21, 41)):
        if low <= days <= high:
            return f"{low} to {high} days"
    return "42 days or more"


def recount(url: str) -> Counter[Figure]:
    """Every figure of the week's return, straight from the event rows."""
    wards, _, rows = read_rows(url)
    days = [WEEK_ENDING - timedelta(days=6 - n) for n in range(7)]
    week = WEEK_ENDING.isoformat()
    out: Counter[Figure] = Counter()
    by_spell: dict[str, list[tuple[datetime, str, dict[str, Any]]]] = defaultdict(list)
    episodes: dict[str, dict[str, Any]] = {}
    for _, spell_key, kind, occurred, payload in rows:
        if kind == "support-episode-recorded":
            found = json.loads(payload)
            episodes[found["episode_id"]] = found  # rows in order stored: the last is latest
        elif spell_key is not None:
            by_spell[spell_key].append((occurred.replace(tzinfo=UTC), kind, json.loads(payload)))
    for events in by_spell.values():
        events.sort(key=lambda e: e[0])
        kinds = {kind for _, kind, _ in events}
        if "admitted" not in kinds or "admission-cancelled" in kinds:
            continue
        assert not kinds & {"transfer-cancelled", "discharge-cancelled"}, "recount them too"
        moves = [(at, p["ward_code"]) for at, k, p in events if k in ("admitted", "transferred")]
        org = wards[moves[0][1]][1]
        left = [at for at, k, _ in events if k == "discharged"]
        left_at = left[-1] if left else None
        stay: Stay = (moves, left_at)

        entered: dict[str, date] = {}
        for at, ward in moves:
            service = SERVICE_OF_WARD.get(wards[ward][0])
            if service is not None and service not in entered:
                entered[service] = local_day(at)
        for day in days:
            midnight = midnight_ending(day)
            service = service_then(stay, midnight, wards)
            if service is not None and ready_at(events, midnight) is not None:
                for metric in (
                    "Patients no longer meeting the criteria to reside",
                    "Patients not discharged who no longer meet the criteria to reside",
                ):
                    out[(org, service, day.isoformat(), metric, "Daily", "Total")] += 1
        if left_at is not None:
            last = left_at - timedelta(microseconds=1)
            service = service_then(stay, last, wards)
            if service is not None and days[0] <= local_day(left_at) <= WEEK_ENDING:
                on = local_day(left_at).isoformat()
                out[(org, service, on, "Patients discharged", "Daily", "Total")] += 1
                pathways = [p["pathway"] for at, k, p in events if k == "pathway-assigned"]
                if pathways:
                    out[(org, service, on, "Patients discharged", "Daily", pathways[-1])] += 1
                if ready_at(events, last) is not None:
                    metric = "Patients no longer meeting the criteria to reside"
                    out[(org, service, on, metric, "Daily", "Total")] += 1
                length = (local_day(left_at) - entered[service]).days
                out[(org, service, week, "Patients leaving the service", "Weekly", "Total")] += 1
                out[
                    (org, service, week, "Length of stay in service (days)", "Weekly", "Total")
                ] += length
                out[(org, service, week, "Patients leaving the service", "Length of stay", band(length))] += 1  # fmt: skip
        midnight = midnight_ending(WEEK_ENDING)
        service = service_then(stay, midnight, wards)
        if service is not None:
            out[(org, service, week, "Patients in the service", "Weekly snapshot", "Total")] += 1
            ready = ready_at(events, midnight)
            if ready is not None:
                extra = (WEEK_ENDING - ready).days + 1
                out[(org, service, week, "Additional bed days", "Weekly snapshot", "Total")] += (
                    extra
                )
                label = reason_at(events, midnight)
                if label is not None:
                    metric = "Patients not discharged who no longer meet the criteria to reside"
                    out[(org, service, week, metric, "Delay reason", label)] += 1
        for service, day in entered.items():
            if days[0] <= day <= WEEK_ENDING:
                out[(org, service, week, "Patients received into the service", "Weekly", "Total")] += 1  # fmt: skip
    for e in episodes.values():
        if e["kind"] != "reablement":
            continue
        start = date.fromisoformat(e["start"])
        end = date.fromisoformat(e["end"]) if e.get("end") else None
        org = e["provider"]
        if start <= WEEK_ENDING and (end is None or end > WEEK_ENDING):
            out[(org, HOME, week, "Patients in the service", "Weekly snapshot", "Total")] += 1
        if days[0] <= start <= WEEK_ENDING:
            out[(org, HOME, week, "Patients received into the service", "Weekly", "Total")] += 1
        if end is not None and days[0] <= end <= WEEK_ENDING:
            length = (end - start).days
            out[(org, HOME, week, "Patients leaving the service", "Weekly", "Total")] += 1
            out[(org, HOME, week, "Length of stay in service (days)", "Weekly", "Total")] += length
            out[(org, HOME, week, "Patients leaving the service", "Length of stay", band(length))] += 1  # fmt: skip
    return out


def test_the_return_agrees_with_a_recount_from_the_raw_events(demo_url: str) -> None:
    rows = ic_rows(db.connect(demo_url), WEEK_ENDING)
    found = {
        (r.org_code, r.service, r.period.isoformat(), r.metric, r.metric_type, r.metric_group): (
            r.value
        )
        for r in rows
    }
    assert len(found) == len(rows)  # one row a figure
    expected = recount(demo_url)
    assert {k: v for k, v in found.items() if v} == {k: v for k, v in expected.items() if v}
    # The demo's return is realistic: every service reports, with delays and their reasons.
    services = {(r.org_code, r.service) for r in rows}
    assert {s for _, s in services} == {*SERVICE_OF_WARD.values(), HOME}
    for service in SERVICE_OF_WARD.values():
        reasons = [r for r in rows if r.service == service and r.metric_type == "Delay reason"]
        assert sum(r.value for r in reasons) > 0, service
        # Every discharge from a community or discharge-to-assess bed has its pathway.
        discharged = [r for r in rows if r.service == service and r.metric == "Patients discharged"]
        total = sum(r.value for r in discharged if r.metric_group == "Total")
        assert total > 0 and total == sum(r.value for r in discharged if r.metric_group != "Total")
        received = [r for r in rows if r.service == service and r.metric.endswith("service")]
        assert all(r.value > 0 for r in received if r.metric_type != "Length of stay"), service


def test_the_command_writes_the_return_and_refuses_a_week_it_cannot_use(
    demo_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "ic.xlsx"
    result = homeflow(demo_url, "ic-return", "--week-ending", "2026-03-29", "--out", str(out))
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(out).active
    assert sheet is not None
    header, *body = list(sheet.iter_rows(values_only=True))
    assert header[:4] == ("Period", "Org Code", "Org Name", "Service")
    assert len(body) == len(ic_rows(db.connect(demo_url), WEEK_ENDING))
    saturday = homeflow(demo_url, "ic-return", "--week-ending", "2026-03-28", "--out", "x.csv")
    assert saturday.returncode == 2
    assert "--week-ending: 28/03/2026 is a Saturday" in saturday.stdout + saturday.stderr
    later = (datetime.now(UTC) + timedelta(days=7)).date()
    sunday = later + timedelta(days=(6 - later.weekday()) % 7)
    unended = homeflow(demo_url, "ic-return", "--week-ending", sunday.isoformat(), "--out", "x.csv")
    assert unended.returncode == 2 and "has not ended yet" in unended.stdout + unended.stderr
    nobody = homeflow(demo_url, "ic-return", "--week-ending=2026-03-29", "--out=x.csv", "--org=RX1")
    said = nobody.stdout + nobody.stderr
    assert nobody.returncode == 2 and "--org: 'RX1' provides no intermediate care" in said
