"""The smart list from the record: every org's or site's weekly measures scored, adjusted by
its overdue actions and its self-assessment gaps, and any segment a person has set."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine

from homeflow.domain.events import Event
from homeflow.domain.improvement.actions import due_lists
from homeflow.domain.improvement.assessment import fold_assessments, spread_places, standing_entries
from homeflow.domain.improvement.frameworks import Framework, read_status
from homeflow.domain.improvement.records import SegmentSet
from homeflow.reports.kpi import KPIS, Level, Period
from homeflow.reports.smart_list import (
    MeasureScore,
    PlaceSegment,
    ranked,
    score_measure,
    segment_place,
)
from homeflow.reports.spc import spc_chart
from homeflow.services.measures import kpi_targets
from homeflow.services.returns import kpi_rows
from homeflow.store import improvement as programme
from homeflow.store.access.scope import Viewer
from homeflow.store.actions import tracked_actions
from homeflow.store.db import reading
from homeflow.store.queries import first_discharge_day, kpi_data, place_codes
from homeflow.store.registry import sites_and_wards, systems_of_places

WEEKS = 26
FEWEST_POINTS = 8
# A mix of pathways is neither better nor worse higher or lower: it is not scored.
GAP_LEVELS = frozenset({1, 2})  # not yet established, plans in place


@dataclass(frozen=True, slots=True)
class SmartRow:
    rank: int
    computed: PlaceSegment
    override: SegmentSet | None
    overridden_by: str | None

    @property
    def segment(self) -> int:
        return self.override.segment if self.override else self.computed.segment


def weeks_to(on: date) -> tuple[date, date]:
    """The 26 whole weeks (Monday to Sunday) that have ended as at `on`: ending before it (on
    a Sunday, that Sunday's week has not ended yet)."""
    last = on - timedelta(days=on.weekday() + 1)
    return last - timedelta(weeks=WEEKS) + timedelta(days=1), last


def measure_scores(
    engine: Engine, level: Level, first: date, last: date
) -> dict[str, list[MeasureScore]]:
    data = kpi_data(engine, first, last)
    targets = kpi_targets()
    scores: dict[str, list[MeasureScore]] = defaultdict(list)
    for kpi in KPIS.values():
        if kpi.better is None:
            continue  # a mix is neither good nor bad: nothing to rank places by
        series: dict[tuple[str, str], list[tuple[date, float]]] = defaultdict(list)
        for row in kpi_rows(
            engine, kpi.name, level, first, last, Period.WEEKLY, None, targets, data
        ):
            if row["value"] is not None:
                series[(row["place"], row["measure"])].append(
                    (row["period_start"], float(row["value"]))
                )
        target = targets.get(kpi.name)
        plain = target.value if target is not None and not target.on_change else None
        for (place, part), points in series.items():
            if len(points) < FEWEST_POINTS:
                continue
            chart = spc_chart([d for d, _ in points], [v for _, v in points], kpi.better, plain)
            name = kpi.name + (f" ({part})" if part else "")
            scores[place].append(score_measure(name, chart, kpi.better, plain))
    return scores


def smart_list(
    engine: Engine, viewer: Viewer, on: date, level: Level, system: str | None = None
) -> list[SmartRow]:
    """The places of `system` (every system's, when None), ranked. A place is moved only by
    its own system's records: its segments, its improvement actions' owners and its
    assessments; another system's records naming the place change nothing."""
    first, last = weeks_to(on)
    started = first_discharge_day(engine)
    if started is not None:
        first = max(first, started + timedelta(days=(7 - started.weekday()) % 7))
    scores = measure_scores(engine, level, first, last) if first <= last else {}
    with reading(engine) as conn:
        sites = sites_and_wards(conn)[0]
        frameworks = programme.frameworks(conn)
        overdue = due_lists(tracked_actions(conn, viewer), on).overdue
        events = programme.programme_events(conn)
        places = programme.known_places(conn)
        systems = systems_of_places(conn, level.value)
    owed: dict[tuple[str | None, str], int] = defaultdict(int)
    for action in overdue:  # a daily-call action, on a stay, has no system
        owed[(action.system, action.owner_org)] += 1
    gaps = _gaps(events, on, places, frameworks, systems)
    segments = {}
    # Every place is listed: one without enough weekly data says so in its reasons.
    for place in place_codes(engine, level.value):
        if system is not None and systems.get(place) != system:
            continue
        measured = scores.get(place, [])
        org = sites.get(place, place) if level is Level.SITE else place
        actions = owed[(systems.get(place), org)] + owed[(None, org)]
        segments[place] = segment_place(place, measured, actions, gaps.get(place, []))
    overrides = _overrides(events, level.value, on, systems)
    return [
        SmartRow(n, seg, *overrides.get(seg.place, (None, None)))
        for n, seg in enumerate(ranked(segments), start=1)
    ]


def _gaps(
    events: list[Event],
    on: date,
    places: dict[str, str],
    frameworks: dict[str, Framework],
    systems: dict[str, str],
) -> dict[str, list[str]]:
    """Per place, the changes its own system's latest assessments (on or before `on`) record
    as not yet established or only planned there."""
    latest: dict[tuple[str, str], date] = {}
    found = fold_assessments(events)
    for key in found:
        if key.assessed_on <= on and key.assessed_on >= latest.get(
            (key.system, key.framework), date.min
        ):
            latest[(key.system, key.framework)] = key.assessed_on
    gaps: dict[str, list[str]] = defaultdict(list)
    for key, histories in found.items():
        if latest.get((key.system, key.framework)) != key.assessed_on:
            continue
        framework = frameworks.get(key.framework)
        if framework is None:
            continue
        for entry in standing_entries(histories):
            level = read_status(framework, entry.status).highest
            if level in GAP_LEVELS:
                title = framework.item(entry.item_code).title
                for place in spread_places(entry.spread, places):
                    if systems.get(place, key.system) != key.system:
                        continue  # another system's word on this place
                    if title not in gaps[place]:
                        gaps[place].append(title)
    return gaps


def _overrides(
    events: list[Event], level: str, on: date, systems: dict[str, str]
) -> dict[str, tuple[SegmentSet | None, str | None]]:
    """Each place's segment set by its own system, if any."""
    found: dict[str, tuple[SegmentSet | None, str | None]] = {}
    for event in sorted(events, key=lambda e: e.fold_order):
        chosen = event.payload
        if (
            isinstance(chosen, SegmentSet)
            and chosen.level == level
            and chosen.set_on <= on
            and systems.get(chosen.place) == chosen.system
        ):
            found[chosen.place] = (None, None) if chosen.cleared else (chosen, event.recorded_by)
    return found
