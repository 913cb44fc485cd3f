"""Self-assessments folded from their events: each entry's versions, the assessment as it
stands, and the maturity heat map (changes x places) with its change between two dates."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from homeflow.domain.events import Event
from homeflow.domain.improvement.frameworks import Framework, local_framework, read_status
from homeflow.domain.improvement.records import AssessmentEntryRecorded, FrameworkDefined

NOT_STATED = "not stated"


@dataclass(frozen=True, slots=True, order=True)
class AssessmentKey:
    system: str
    framework: str
    assessed_on: date


@dataclass(frozen=True, slots=True)
class Version:
    recorded_at: datetime
    recorded_by: str | None
    entry: AssessmentEntryRecorded


@dataclass
class EntryHistory:
    versions: list[Version] = field(default_factory=list)

    @property
    def current(self) -> AssessmentEntryRecorded:
        return self.versions[-1].entry


def fold_assessments(events: Iterable[Event]) -> dict[AssessmentKey, dict[str, EntryHistory]]:
    """Every assessment's entries, each with its versions oldest first."""
    found: dict[AssessmentKey, dict[str, EntryHistory]] = {}
    for event in sorted(events, key=lambda e: e.fold_order):
        entry = event.payload
        if not isinstance(entry, AssessmentEntryRecorded):
            continue
        key = AssessmentKey(entry.system, entry.framework, entry.assessed_on)
        history = found.setdefault(key, {}).setdefault(entry.entry_id, EntryHistory())
        history.versions.append(Version(event.occurred_at, event.recorded_by, entry))
    return found


def standing_entries(histories: Mapping[str, EntryHistory]) -> list[AssessmentEntryRecorded]:
    """The assessment as it stands: each entry's latest version, in the sheet's order."""
    current = [h.current for h in histories.values() if not h.current.removed]
    return sorted(current, key=lambda e: (e.position, e.entry_id))


def local_frameworks(events: Iterable[Event]) -> dict[str, tuple[str, Framework]]:
    """Frameworks systems defined for themselves, by name, with the system that owns each;
    a later definition of the same name replaces the earlier."""
    found: dict[str, tuple[str, Framework]] = {}
    for event in sorted(events, key=lambda e: e.fold_order):
        tips = event.payload
        if isinstance(tips, FrameworkDefined):
            framework = local_framework(tips.name, tips.title, tips.version, tips.tips)
            found[tips.name] = (tips.system, framework)
    return found


def spread_places(cell: str, known: Mapping[str, str]) -> tuple[str, ...]:
    """The places a spread cell names. It is split at commas, semicolons, slashes, brackets and
    "and"; a part naming a registry organisation or site (`known`: lower-case name or code to
    code) becomes its code, any other part is kept as written."""
    places: list[str] = []
    for part in re.split(r"[,;/()]|\band\b", cell):
        text = part.strip(" .'\"\u00b7\u2022")
        if not re.search(r"[A-Za-z]", text):
            continue
        place = known.get(text.lower(), text)
        if place not in places:
            places.append(place)
    return tuple(places)


@dataclass(frozen=True, slots=True)
class HeatMap:
    """The highest maturity level recorded for each change at each place (None: no entry)."""

    framework: Framework
    places: tuple[str, ...]
    levels: dict[tuple[str, str], int]

    def level(self, item_code: str, place: str) -> int | None:
        return self.levels.get((item_code, place))


def heat_map(
    framework: Framework,
    entries: Iterable[AssessmentEntryRecorded],
    known: Mapping[str, str],
) -> HeatMap:
    levels: dict[tuple[str, str], int] = {}
    places: list[str] = []
    for entry in entries:
        highest = read_status(framework, entry.status).highest
        named = spread_places(entry.spread, known) or (NOT_STATED,)
        for place in named:
            if place not in places:
                places.append(place)
            if highest is not None:
                key = (entry.item_code, place)
                levels[key] = max(levels.get(key, 0), highest)
    return HeatMap(framework, tuple(places), levels)


@dataclass(frozen=True, slots=True)
class LevelChange:
    item_code: str
    place: str
    before: int | None
    after: int | None


def changes_between(before: HeatMap, after: HeatMap) -> list[LevelChange]:
    """Every change-and-place whose maturity differs between two heat maps, in the framework's
    order of changes."""
    places = list(dict.fromkeys(before.places + after.places))
    found = []
    for item in after.framework.items:
        for place in places:
            was, now = before.level(item.code, place), after.level(item.code, place)
            if was != now:
                found.append(LevelChange(item.code, place, was, now))
    return found
