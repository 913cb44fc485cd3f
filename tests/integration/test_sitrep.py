"""The daily discharge sitrep and the monthly DToC return, recomputed independently from
the raw event rows."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from homeflow.domain import codes
from homeflow.reports.sitrep import NO_DELAY_REASON, NO_PATHWAY
from homeflow.services.returns import sitrep_problem_counts, sitrep_rows
from homeflow.store import db
from homeflow.store import schema as t
from tests.conftest import ENGINES, demo_database
from tests.support import SHORT_DEMO, homeflow

LONDON = ZoneInfo("Europe/London")
END = "2026-03-31"


@pytest.fixture(scope="module", params=ENGINES)
def demo_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with demo_database(request.param, tmp_path_factory.mktemp("sitrep"), *SHORT_DEMO) as url:
        yield url


RawEvent = tuple[datetime, str, dict[str, object]]


def raw_events(
    url: str, org_types: list[str]
) -> tuple[dict[str, str], set[str], list[list[RawEvent]]]:
    """Site → organisation, the organisations of these types, and each spell's raw events in
    time order (decoded straight from the rows, not through homeflow's event classes)."""
    engine = db.connect(url)
    with engine.connect() as conn:
        org_of_site = dict(conn.execute(select(t.sites.c.code, t.sites.c.org_code)).all())
        chosen = set(
            conn.execute(
                select(t.organisations.c.code).where(t.organisations.c.type.in_(org_types))
            ).scalars()
        )
        rows = conn.execute(
            select(
                t.events.c.spell_key, t.events.c.type, t.events.c.occurred_at, t.events.c.payload
            )
        ).all()
    engine.dispose()
    by_spell: dict[str, list[RawEvent]] = defaultdict(list)
    for spell_key, kind, occurred, payload in rows:
        by_spell[spell_key].append((occurred.replace(tzinfo=UTC), kind, json.loads(payload)))
    return org_of_site, chosen, [sorted(found, key=lambda e: e[0]) for found in by_spell.values()]


def cancelled(spell_events: list[RawEvent]) -> bool:
    # A cancelled admission (HL7 A11) voids the spell: it never happened.
    return any(kind == "admission-cancelled" for _, kind, _ in spell_events)


def independent_sitrep(url: str, day: date) -> dict[tuple[str, str, str, str], int]:
    """The sitrep's numbers straight from the event rows, without the spell fold."""
    org_of_site, acute, spells = raw_events(url, ["acute"])
    midnight = datetime.combine(day + timedelta(days=1), time(0), LONDON).astimezone(UTC)
    labels = {c.code: c.published_label for c in codes.nctr_delay_reasons().codes}
    out: Counter[tuple[str, str, str, str]] = Counter()
    for spell_events in spells:
        admitted = [e for e in spell_events if e[1] == "admitted"]
        if not admitted or cancelled(spell_events):
            continue
        org = org_of_site[str(admitted[0][2]["site_code"])]
        if org not in acute:
            continue
        admitted_at = admitted[0][0]
        discharged = [e[0] for e in spell_events if e[1] == "discharged"]
        discharged_at = discharged[-1] if discharged else None
        pathways = [str(e[2]["pathway"]) for e in spell_events if e[1] == "pathway-assigned"]
        if discharged_at and discharged_at.astimezone(LONDON).date() == day:
            local = discharged_at.astimezone(LONDON).time()
            out[
                (
                    org,
                    "Patients discharged",
                    "Discharges",
                    "By 17:00" if local <= time(17) else "17:01 to 23:59",
                )
            ] += 1
            out[(org, "Patients discharged", "Discharges", "Total")] += 1
            if pathways:
                out[(org, "Patients discharged by pathway", "Discharges", pathways[-1])] += 1
            else:  # in no group of the return: a problem to correct before submitting
                out[(org, "Problem", NO_PATHWAY, "")] += 1
        # The snapshot is the day's last state: what happens at 00:00 is the next day's.
        if not (admitted_at < midnight and (discharged_at is None or discharged_at >= midnight)):
            continue
        # Episodes: opened by "does not meet" (dated by its ready date), closed by "meets".
        ready: date | None = None
        for occurred, kind, payload in spell_events:
            if kind != "criteria-to-reside-assessed":
                continue
            if not payload.get("meets", False) and ready is None:
                ready = date.fromisoformat(str(payload["discharge_ready_date"]))
            elif payload.get("meets", False) and ready is not None:
                if occurred >= midnight:
                    break  # met the criteria again only after the snapshot
                ready = None
        if ready is None or ready > day:
            continue
        out[(org, "Patients no longer meeting the criteria to reside", "Snapshot", "Total")] += 1
        reasons = [e for e in spell_events if e[1] == "delay-reason-set" and e[0] < midnight]
        if reasons and "reason" in reasons[-1][2]:
            label = labels[str(reasons[-1][2]["reason"])]
            out[
                (
                    org,
                    "Patients remaining in hospital who no longer meet the criteria to reside",
                    "Delay reason",
                    label,
                )
            ] += 1
        else:
            out[(org, "Problem", NO_DELAY_REASON, "")] += 1
        stay = (day - admitted_at.astimezone(LONDON).date()).days
        for threshold in (7, 14, 21):
            if stay >= threshold:
                group = f"Length of stay {threshold}+ days"
                out[
                    (
                        org,
                        "Patients no longer meeting the criteria to reside",
                        "Length of stay",
                        group,
                    )
                ] += 1
                out[(org, "Delayed bed days", "Length of stay", group)] += (day - ready).days + 1
    return out


@pytest.mark.parametrize("day", ["2026-03-24", "2026-03-29", END])
def test_every_sitrep_number_agrees_with_an_independent_count_of_the_events(
    demo_url: str, day: str
) -> None:
    on = date.fromisoformat(day)
    engine = db.connect(demo_url)
    rows = sitrep_rows(engine, on)
    reported = {
        (r.org_code, r.metric, r.metric_type, r.metric_group): r.value for r in rows if r.value
    }
    for org, found in sitrep_problem_counts(engine, on).items():
        reported |= {
            (org, "Problem", problem, ""): len(spells) for problem, spells in found.items()
        }
    assert reported == dict(independent_sitrep(demo_url, on))
    assert {r.org_code for r in rows} == {"RX1", "RX2"}
    assert (
        sum(v for k, v in reported.items() if k[1] == "Patients discharged" and k[3] == "Total")
        > 50
    )


def test_the_sitrep_command_writes_the_long_format(demo_url: str, tmp_path: Path) -> None:
    out = tmp_path / "sitrep.csv"
    done = homeflow(demo_url, "sitrep", "--date", END, "--org", "RX2", "--out", str(out))
    assert done.returncode == 0, done.stderr
    header, *lines = out.read_text().splitlines()
    assert header == "Period,Org Code,Org Name,Metric,Metric Type,Metric Group,Value"
    assert all(line.startswith(f"{END},RX2,") for line in lines)
    published = [c.published_label for c in codes.nctr_delay_reasons().codes]
    assert sum(any(label in line for line in lines) for label in published) == 37
    refused = homeflow(demo_url, "sitrep", "--date", END, "--org", "RW1", "--out", str(out))
    assert refused.returncode == 2 and "--org" in refused.stderr


def test_the_sitrep_command_names_the_patients_it_cannot_count(
    demo_url: str, tmp_path: Path
) -> None:
    day = "2026-03-30"  # the short demo has delayed patients with no reason recorded that day
    found = sitrep_problem_counts(db.connect(demo_url), date.fromisoformat(day))
    counts = {org: len(problems.get(NO_DELAY_REASON, [])) for org, problems in found.items()}
    assert all(counts.values())
    out = tmp_path / "sitrep.csv"
    done = homeflow(demo_url, "sitrep", "--date", day, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert (
        f"warning: {sum(counts.values())} delayed patients with no delay reason recorded "
        f"(RX1 {counts['RX1']}, RX2 {counts['RX2']})"
    ) in done.stderr
    assert "/returns/sitrep?day=30/03/2026" in done.stderr
    assert "not recorded" not in out.read_text()  # no invented group in the return
    out.unlink()
    strict = homeflow(demo_url, "sitrep", "--date", day, "--out", str(out), "--strict")
    assert strict.returncode == 1 and "--strict" in strict.stderr and not out.exists()


def independent_dtoc(url: str, year: int, month: int) -> dict[tuple[str, str, str], int]:
    """Delayed days by org, DToC reason and agency, counted midnight by midnight from rows."""
    org_of_site, providers, spells = raw_events(url, ["mental-health", "community"])
    out: Counter[tuple[str, str, str]] = Counter()
    first = date(year, month, 1)
    for spell_events in spells:
        admitted = [e for e in spell_events if e[1] == "admitted"]
        if not admitted or org_of_site[str(admitted[0][2]["site_code"])] not in providers:
            continue
        if cancelled(spell_events):
            continue
        org = org_of_site[str(admitted[0][2]["site_code"])]
        discharged = [e[0] for e in spell_events if e[1] == "discharged"]
        assessed = [e for e in spell_events if e[1] == "criteria-to-reside-assessed"]
        reasons = sorted(
            (e[0], str(e[2]["dtoc_reason"]), str(e[2]["responsible_agency"]))
            for e in spell_events
            if e[1] == "delay-reason-set"
        )
        day = first
        while day.month == month:
            midnight = datetime.combine(day + timedelta(days=1), time(0), LONDON).astimezone(UTC)
            inside = admitted[0][0] < midnight and (not discharged or discharged[-1] >= midnight)
            # The delay open at midnight: the last "does not meet" with no "meets" after it
            # (recorded by midnight, or later but dated on or before the day), and the DToC
            # reasons set since the delay began (a "meets" ends the reason with the delay).
            met = [e[0] for e in assessed if e[2].get("meets") and e[0] < midnight]
            ready = [
                date.fromisoformat(str(e[2]["discharge_ready_date"]))
                for e in assessed
                if not e[2].get("meets") and (not met or e[0] > met[-1])
            ]
            current = [r for r in reasons if r[0] < midnight and (not met or r[0] > met[-1])]
            if inside and ready and ready[0] <= day and current:
                out[(org, current[-1][1], current[-1][2])] += 1
            day += timedelta(days=1)
    return dict(out)


def test_the_dtoc_return_agrees_with_an_independent_count(demo_url: str, tmp_path: Path) -> None:
    from homeflow.services.returns import dtoc_rows

    rows = dtoc_rows(db.connect(demo_url), 2026, 3)
    reported = {(r.org_code, r.reason_code, r.agency_code): r.delayed_days for r in rows}
    assert reported == independent_dtoc(demo_url, 2026, 3)
    assert sum(reported.values()) > 0
    out = tmp_path / "dtoc.csv"
    done = homeflow(demo_url, "dtoc", "--month", "2026-03", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text().splitlines()[0].startswith("Period,Org Code,Org Name,Reason Code")


def independent_drd(url: str, year: int, month: int) -> dict[str, Counter[str]]:
    """Each acute trust's discharge ready date figures for a month straight from the event
    rows, without the spell fold: the stays that ended in the month, a night or longer, not
    in death; the ready date the latest assessment before the discharge gave, if it was "does
    not meet" (none reads as discharged on it); the days from it to the discharge date."""
    org_of_site, acute, spells = raw_events(url, ["acute"])
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for spell_events in spells:
        admitted = [e for e in spell_events if e[1] == "admitted"]
        if not admitted or cancelled(spell_events):
            continue
        org = org_of_site[str(admitted[0][2]["site_code"])]
        left: RawEvent | None = None
        for event in spell_events:  # a cancelled discharge (A13) undoes the one before it
            if event[1] == "discharged":
                left = event
            elif event[1] == "discharge-cancelled":
                left = None
        if org not in acute or left is None or left[2].get("died"):
            continue
        admitted_on = admitted[0][0].astimezone(LONDON).date()
        left_on = left[0].astimezone(LONDON).date()
        if (left_on.year, left_on.month) != (year, month) or left_on == admitted_on:
            continue
        assessed = [
            e[2] for e in spell_events if e[1] == "criteria-to-reside-assessed" and e[0] < left[0]
        ]
        ready = None
        if assessed and not assessed[-1].get("meets", False):
            ready = date.fromisoformat(str(assessed[-1]["discharge_ready_date"]))
        days = 0 if ready is None else max(0, (left_on - ready).days)
        band = next(b for b, top in BAND_TOPS if days <= top)
        out[org]["discharged"] += 1
        out[org][f"band {band}"] += 1
        out[org]["bed days"] += days
        out[org][f"bed days {band}"] += days
    return out


BAND_TOPS = (
    ("0", 0),
    ("1", 1),
    ("2-3", 3),
    ("4-6", 6),
    ("7-13", 13),
    ("14-20", 20),
    ("21+", 10**6),
)


def test_the_drd_measures_agree_with_an_independent_count(demo_url: str) -> None:
    from homeflow.reports import drd
    from homeflow.services.drd import By, drd_month

    counted = independent_drd(demo_url, 2026, 3)
    found = drd_month(db.connect(demo_url), 2026, 3, By.TRUST)
    for org in ("RX1", "RX2"):
        members = found.members[org]
        reported = Counter(
            {
                "discharged": drd.figure_of(members, drd.DISCHARGED),
                "bed days": drd.figure_of(members, drd.BED_DAYS),
            }
        )
        for (band, _), count, days in zip(
            BAND_TOPS, drd.COUNT_COLUMNS, ("", *drd.BED_DAYS_COLUMNS), strict=True
        ):
            reported[f"band {band}"] = drd.figure_of(members, count)
            reported[f"bed days {band}"] = drd.figure_of(members, days) if days else 0
        assert +reported == +counted[org], org
        assert counted[org]["discharged"] > 20 and counted[org]["bed days"] > 0
    # Wherever a stay is counted, the same stays: by ward they add up to the trusts'.
    wards = drd_month(db.connect(demo_url), 2026, 3, By.WARD).rows()
    assert sum(r[drd.DISCHARGED] for r in wards) == sum(c["discharged"] for c in counted.values())


def test_the_drd_command_prints_the_measures(demo_url: str) -> None:
    done = homeflow(demo_url, "drd", "--month", "2026-03", "--by", "icb", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    total = next(r for r in rows if r["Measure"] == "Total # of patients discharged")
    counted = independent_drd(demo_url, 2026, 3)
    assert total["Value"] == sum(c["discharged"] for c in counted.values())
    refused = homeflow(demo_url, "drd", "--month", "2026-03", "--by", "region")
    assert refused.returncode == 2 and "--by" in refused.stderr


def test_every_drd_figure_opens_to_the_patients_it_counts(demo_url: str) -> None:
    """Each count's list is as long as the count, each bed-day figure's list adds up to it,
    through the lists the page's figures open to (labelled and audited as every list is)."""
    from homeflow.domain.clock import today
    from homeflow.domain.privacy import Role
    from homeflow.reports import drd
    from homeflow.services.drd import By, drd_month, drd_people
    from homeflow.store.access.scope import Viewer

    engine = db.connect(demo_url)
    viewer = Viewer("analyst@qde.test", "QDE", Role.ANALYST, "test")
    checked = 0
    for by in (By.TRUST, By.COUNCIL):
        found = drd_month(engine, 2026, 3, by)
        for place, members in found.members.items():
            for figure in drd.FIGURES:
                value = drd.figure_of(members, figure)
                if not value:
                    continue
                listed = drd_people(engine, viewer, 2026, 3, by, place, figure, today())
                assert listed.figure == value == sum(p.adds for p in listed.rows), figure
                if figure not in drd.BED_DAY_FIGURES:
                    assert len(listed.rows) == value, (place, figure)
                assert all(p.discharged_on and p.discharged_on.month == 3 for p in listed.rows)
                checked += 1
    assert checked > 30


def test_the_dtoc_return_says_it_was_discontinued_in_2020() -> None:
    from typer.testing import CliRunner

    from homeflow.cli import app

    shown = CliRunner().invoke(app, ["dtoc", "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    assert "stopped collecting it in 2020" in shown.output and "seed era" in shown.output
