"""Support after discharge: taking in providers' episodes, and the outcomes measured on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine

from homeflow.domain.after_discharge.outcomes import (
    Discharge,
    OutcomeRow,
    Rate,
    bedded_placements,
    latest_versions,
    outcomes,
)
from homeflow.ingest.episodes_csv import read_episodes
from homeflow.store import db
from homeflow.store.access.people import People, people, spells_by_key
from homeflow.store.access.scope import Viewer
from homeflow.store.after_discharge import (
    discharges,
    save_support,
    support_records,
    system_of_organisations,
)

# The county's aim (the winter diagnostic): a fifth fewer placements to bedded settings.
BEDDED_REDUCTION_AIMED_FOR = 0.20


class Level(StrEnum):
    SYSTEM = "system"
    ORG = "org"
    SITE = "site"


def take_in_episodes(engine: Engine, text: str, source: str) -> int:
    """An episodes CSV reconciled into the log; how many new versions were stored."""
    return save_support(engine, read_episodes(text), None, source)


@dataclass(frozen=True, slots=True)
class Measured:
    row: OutcomeRow
    target: float | None = None  # percent aimed for, where the measure has one

    def as_dict(self) -> dict[str, Any]:
        rate = self.row.rate
        return {
            "place": self.row.place,
            "measure": self.row.measure,
            "counted": len(rate.counted),
            "of": len(rate.of),
            "percent": rate.percent,
            "not_yet_due": rate.waiting,
            "target_percent": self.target,
        }


COLUMNS = ("place", "measure", "counted", "of", "percent", "not_yet_due", "target_percent")


def measured_outcomes(
    engine: Engine,
    start: date,
    end: date,
    level: Level,
    as_of: date,
    baseline: tuple[date, date] | None = None,
) -> list[Measured]:
    """Every outcome measure by place; the bedded-placement share carries its target, a fifth
    below the same share over the `baseline` period."""
    with db.reading(engine) as conn:
        episodes = latest_versions(support_records(conn))
        found = discharges(conn, start, end)
        before = discharges(conn, *baseline) if baseline else []
        system_of = system_of_organisations(conn)

    def place_of(d: Discharge) -> str:
        if level is Level.SITE:
            return d.site_code
        if level is Level.ORG:
            return d.org_code
        return system_of.get(d.org_code, d.org_code)

    rows = outcomes(found, episodes, start, end, as_of, place_of)
    baseline_rate = {
        place: bedded_placements([d for d in before if place_of(d) == place])
        for place in {row.place for row in rows}
    }
    measured = []
    for row in rows:
        target = None
        if row.measure.startswith("Placements to bedded") and baseline:
            was = baseline_rate[row.place].percent
            target = None if was is None else round(was * (1 - BEDDED_REDUCTION_AIMED_FOR), 1)
        measured.append(Measured(row, target))
    return measured


def rate_of(measured: list[Measured], place: str, measure: str) -> Rate:
    """One measure's rate at one place (for the page that lists the people behind it)."""
    for m in measured:
        if m.row.place == place and m.row.measure == measure:
            return m.row.rate
    raise KeyError((place, measure))


def demo_support(engine: Engine, seed: int, end: date) -> int:
    """The demo's episodes after discharge, for every discharge up to `end`; how many
    versions were stored (none when the demo is built again)."""
    from homeflow.demo.after_discharge import support_episodes

    with db.reading(engine) as conn:
        found = discharges(conn, date(2000, 1, 1), end)
    episodes = support_episodes(found, seed, end)
    return save_support(engine, list(enumerate(episodes, 1)), None, "demo", replay=True)


def outcome_people(
    engine: Engine,
    viewer: Viewer,
    measured: list[Measured],
    place: str,
    measure: str,
    counted: bool,
    today: date,
) -> People:
    """The people behind one figure of the outcomes: those counted, or all it is counted of.
    A measure of episodes lists each episode's stay (adding one for each of its episodes)."""
    rate = rate_of(measured, place, measure)
    keys = rate.counted if counted else rate.of
    with db.reading(engine) as conn:
        spell_of_episode = {
            e.episode_id: e.spell_key for e in latest_versions(support_records(conn))
        }
    adds: dict[str, int] = {}
    for key in keys:
        spell_key = spell_of_episode.get(key, key)
        adds[spell_key] = adds.get(spell_key, 0) + 1
    members = [(state, adds[state.spell_key]) for state in spells_by_key(engine, list(adds))]
    title = f"{measure}: {'counted' if counted else 'all counted of'} – {place}"
    return people(engine, viewer, title, today, members, today)
