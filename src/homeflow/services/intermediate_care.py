"""The weekly intermediate care return: the record's beds and support episodes, read by the
store, counted by the report's rules. The CLI and the returns page call these."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from homeflow.domain.errors import InvalidInput
from homeflow.domain.spell import SpellState
from homeflow.reports.intermediate_care import (
    PROBLEMS,
    IcRow,
    Key,
    Member,
    Providers,
    Tally,
    ic_members,
    ic_return,
    problems,
    providers_of,
    week_of,
)
from homeflow.store.access.caches import per_log_version
from homeflow.store.access.people import People, people, spells_by_key
from homeflow.store.access.scope import Viewer
from homeflow.store.intermediate_care import IcData, ic_data


def _data(engine: Engine, week_ending: date) -> IcData:
    days = week_of(week_ending)
    # A week's figures are opened one after another: read them once per log version.
    return per_log_version(
        engine,
        f"intermediate care week ending {week_ending}",
        week_ending,
        lambda: ic_data(engine, days[0], days[-1]),
    )


def _providers(data: IcData, org_code: str | None) -> Providers:
    providers = providers_of(data.names, data.org_of_site, data.wards, data.episodes, org_code)
    if org_code and org_code not in providers.services:
        raise InvalidInput("org", f"{org_code!r} provides no intermediate care homeflow holds")
    return providers


def ic_rows(engine: Engine, week_ending: date, org_code: str | None = None) -> list[IcRow]:
    """The return of each intermediate care provider (or of one) for the week ending on
    `week_ending`, a Sunday."""
    data = _data(engine, week_ending)
    return ic_return(week_ending, data.spells, data.episodes, _providers(data, org_code))


def ic_problems(
    engine: Engine, week_ending: date, org_code: str | None = None
) -> dict[str, dict[str, list[str]]]:
    """Each provider's stays to put right before submitting (no delay reason, no pathway)."""
    data = _data(engine, week_ending)
    found = problems(week_ending, data.spells, _providers(data, org_code))
    return {
        org: {problem: sorted(s.spell_key for s in spells) for problem, spells in held.items()}
        for org, held in found.items()
    }


def ic_people(
    engine: Engine, viewer: Viewer, week_ending: date, org_code: str, figure: Key, today: date
) -> People:
    """The patients behind one figure of a provider's return: the stays counted, or for a
    home-based figure the stays each episode of support followed."""
    data = _data(engine, week_ending)
    members: Tally = ic_members(
        week_ending, data.spells, data.episodes, _providers(data, org_code)
    )[org_code]
    counted = members.get(figure, [])
    period, service, metric, metric_type, group = figure
    title = f"{org_code} intermediate care, {service}: {metric}, {metric_type}, {group}"
    return people(engine, viewer, title, period, _as_stays(engine, counted), today)


def _as_stays(engine: Engine, counted: list[tuple[Member, int]]) -> list[tuple[SpellState, int]]:
    """Each member as a stay: a spell as itself, an episode as the stay it followed (adding
    what each of its episodes adds)."""
    adds: dict[str, int] = {}
    spells: dict[str, SpellState] = {}
    for member, weight in counted:
        if isinstance(member, SpellState):
            spells[member.spell_key] = member
        key = member.spell_key
        adds[key] = adds.get(key, 0) + weight
    missing = [key for key in adds if key not in spells]
    spells |= {s.spell_key: s for s in spells_by_key(engine, missing)}
    return [(spells[key], adds[key]) for key in adds if key in spells]


def problem_people(
    engine: Engine, viewer: Viewer, week_ending: date, org_code: str, problem: str, today: date
) -> People:
    """The stays of a provider to put right before submitting the week's return."""
    data = _data(engine, week_ending)
    found = problems(week_ending, data.spells, _providers(data, org_code))[org_code]
    if problem not in found:
        raise InvalidInput("problem", f"{problem!r} is not one of {', '.join(PROBLEMS)}")
    title = f"{org_code} intermediate care: stays with {problem}"
    return people(engine, viewer, title, week_ending, [(s, 1) for s in found[problem]], today)
