"""The home-care split tree: the market measured from the episodes, the hospital's referrals
and the agencies' returns, with the people each demand lever is measured on; each lever's share
of the gap (or of its change since an earlier day); and what moving each lever would save in
delayed bed-days according to the capacity model, there and then or as a queued run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from homeflow.domain.after_discharge.records import SupportKind
from homeflow.domain.after_discharge.split_tree import (
    AS_MEASURED,
    LEVERS,
    MOVES,
    Benchmarks,
    Market,
    SplitTree,
    home_care_demand,
    measure_market,
    move_text,
    moved,
    shown,
    split_tree,
)
from homeflow.domain.clock import parse_day
from homeflow.domain.errors import InvalidInput
from homeflow.services.after_discharge import (
    capacity_as_recorded,
    episodes_as_recorded,
    listed_people,
)
from homeflow.services.planning import Prepared, Run, load_model, run_prepared
from homeflow.sim.model import P1_SERVICE, CapacityChange, Model
from homeflow.sim.scenarios import Scenario
from homeflow.store import db
from homeflow.store import simulation_runs as runs
from homeflow.store.access.people import People, census_spells, wards_of
from homeflow.store.access.scope import Viewer
from homeflow.store.after_discharge import referred_to_home_care

if TYPE_CHECKING:
    from homeflow.sim.runner import Progress, SimulationResult

WINDOW_WEEKS = 8


def _referred(engine: Engine, day: date) -> list[str]:
    """The stays the hospital referred to home care in the window's days up to `day`."""
    with db.reading(engine) as conn:
        return referred_to_home_care(conn, day - timedelta(weeks=WINDOW_WEEKS - 1, days=6), day)


def home_care_market(engine: Engine, day: date) -> Market:
    """The market on `day`. People waiting (for the start delay where no agency returns
    one): those in hospital that day with no criteria to reside on pathway 1, in the share of
    pathway 1's support that home care gives."""
    episodes = episodes_as_recorded(engine)
    returns = capacity_as_recorded(engine)
    wards, _ = wards_of(engine)
    on_p1 = [s for s in census_spells(engine, day, "nctr", wards) if s.pathway == "P1"]
    firsts = [e for e in episodes if e.kind.pathway == "P1" and e.referrer.value == "hospital"]
    share = sum(e.kind is SupportKind.HOME_CARE for e in firsts) / len(firsts) if firsts else 0.0
    waiting = round(len(on_p1) * share)
    referred = _referred(engine, day)
    return measure_market(day, episodes, returns, waiting, referred, WINDOW_WEEKS)


def demand_behind(engine: Engine, day: date) -> dict[str, tuple[str, ...]]:
    """The episodes and stays each demand lever of the market on `day` is measured on."""
    demand = home_care_demand(
        day, episodes_as_recorded(engine), _referred(engine, day), WINDOW_WEEKS
    )
    return demand.behind()


BEHIND = {
    "hospital_referrals": (
        "packages started after a hospital stay, and stays referred to home care that came to "
        "nothing"
    ),
    "conversion": (
        "hospital referrals to home care: packages started and referrals that came to nothing"
    ),
    "community_referrals": "packages the community referred",
    "review_referrals": "packages reviews referred",
    "hours_a_package": "packages started, with their hours",
    "weeks_a_package": "packages open",
}


def lever_people(engine: Engine, viewer: Viewer, day: date, lever: str, today: date) -> People:
    """The people behind one demand lever of the market on `day`."""
    behind = demand_behind(engine, day)
    if lever not in behind:
        raise InvalidInput("lever", f"{lever!r} is not a lever counted on people")
    title = f"Home care on {day:%d/%m/%Y}: {BEHIND[lever]}"
    return listed_people(engine, viewer, behind[lever], title, today)


def tree_rows(tree: SplitTree, against: bool = False) -> list[dict[str, Any]]:
    """The tree as rows: needed, deliverable and the gap, then each lever's share of the gap
    (or of its change since the market compared with, `against`), to one decimal, adding up
    as shown; a lever the balanced market takes as measured is marked `as_measured`."""
    hours = shown({lever.field: lever.hours for lever in tree.levers}, tree.explained)
    rows: list[dict[str, Any]] = [
        _total("Hours needed a week", tree.needed_hours),
        _total("Hours deliverable a week", tree.deliverable_hours),
        {
            **_total("Gap", tree.gap),
            "reference": round(tree.reference_gap, 1),
            "hours_of_gap": round(tree.explained, 1),
        },
    ]
    for lever in tree.levers:
        rows.append(
            {
                "side": lever.side,
                "field": lever.field,
                "lever": lever.name,
                "unit": lever.unit,
                "actual": round(lever.actual, 3),
                "reference": round(lever.reference, 3),
                "hours_of_gap": hours[lever.field],
                "as_measured": not against and lever.field in AS_MEASURED,
            }
        )
    return rows


def _total(name: str, hours: float) -> dict[str, Any]:
    return {
        "side": "",
        "lever": name,
        "unit": "hours a week",
        "actual": round(hours, 1),
        "reference": None,
        "hours_of_gap": None,
    }


TREE_COLUMNS = ("side", "lever", "unit", "actual", "reference", "hours_of_gap")
EFFECT_COLUMNS = (
    "lever",
    "move",
    "gap_change_hours",
    "packages",
    "bed_days_saved_mean",
    "bed_days_saved_p5",
    "bed_days_saved_p95",
    "extra_cost_mean",
)


@dataclass(frozen=True, slots=True)
class Effect:
    lever: str
    move: str
    gap_change_hours: float
    packages: float


def lever_moves(market: Market) -> list[Effect]:
    """Each lever moved by its stated amount: how the gap changes, and the packages a week of
    home care that frees (or takes) at today's hours a package."""
    names = {f: name for f, _, name, _ in LEVERS}
    found = []
    for field, (how, amount) in MOVES.items():
        change = moved(market, field, how, amount).gap - market.gap
        packages = -change / market.hours_a_package if market.hours_a_package and change else 0.0
        found.append(Effect(names[field], move_text(field, how, amount), change, packages))
    return found


LEVER_RUN = "Home-care levers, "


def lever_run_name(day: date) -> str:
    """The name a web run of the levers is kept under (one run compares every lever)."""
    return f"{LEVER_RUN}{day:%d/%m/%Y}"


def lever_run_day(scenarios: Sequence[str]) -> date | None:
    """The day of the market a run's levers were measured on, if it is a run of the levers."""
    if len(scenarios) == 1 and scenarios[0].startswith(LEVER_RUN):
        return parse_day("day", scenarios[0].removeprefix(LEVER_RUN))
    return None


def lever_runs(engine: Engine, viewer: Viewer, day: date) -> dict[str, Any]:
    """What the tree of `day` shows of the runs of its levers, to every user of the system:
    the newest run of that day's levers whatever its status (`asked`), and the finished run
    whose bed-days it shows (`shown`): that one, else the newest finished run of any day's
    levers, with the day of the market it measured, who ran it, and each lever's totals."""
    asked = runs.latest_run_of(engine, viewer, [lever_run_name(day)])
    shown = asked if asked and asked["status"] == runs.DONE else None
    shown = shown or runs.latest_done_run_named(engine, viewer, LEVER_RUN)
    found: dict[str, Any] = {"asked": asked, "shown": shown, "saved": {}}
    if shown is not None:
        found["measured_on"] = lever_run_day(shown["scenarios"])
        found["by"] = f"{shown['requested_by']} ({shown['requested_for'] or shown['org_code']})"
        found["saved"] = {t["scenario"]: t for t in shown["results"]["totals"][1:]}
    return found


def _lever_scenarios(model: Model, effects: Sequence[Effect]) -> list[Scenario]:
    """Each lever's packages as a change to pathway 1's home-based care from the model's
    start (a model without pathway 1 is an error naming it)."""
    model.service(P1_SERVICE)
    return [
        Scenario(
            e.lever,
            capacity=((P1_SERVICE, CapacityChange(model.start, None, change=e.packages)),),
        )
        for e in effects
    ]


def run_levers(
    engine: Engine,
    model_path: Path,
    day: date,
    run: Run,
    progress: Progress | None = None,
) -> tuple[Model, SimulationResult]:
    """Every lever of the market on `day` through the capacity model, paired replications,
    `progress` told as they go."""
    model = load_model(model_path)
    scenarios = _lever_scenarios(model, lever_moves(home_care_market(engine, day)))
    return model, run_prepared(Prepared(model, scenarios, None), run, progress=progress)


def lever_effects(
    market: Market, model_path: Path, reps: int, horizon: int, seed: int = 0
) -> list[dict[str, Any]]:
    """Through the capacity model: the delayed bed-days each lever's move saves over
    `horizon` days and what it costs, with the 5th and 95th percentiles of `reps` paired
    replications."""
    model = load_model(model_path)
    effects = lever_moves(market)
    scenarios = _lever_scenarios(model, effects)
    found = run_prepared(Prepared(model, scenarios, None), Run(reps, horizon, False, seed))
    totals = found.totals()
    rows = []
    for effect, (_, total) in zip(effects, list(totals.iterrows())[1:], strict=True):
        rows.append(
            {
                "lever": effect.lever,
                "move": effect.move,
                "gap_change_hours": round(effect.gap_change_hours, 1),
                "packages": round(effect.packages, 1),
                "bed_days_saved_mean": round(float(total["bed_days_saved_mean"]), 1),
                "bed_days_saved_p5": round(float(total["bed_days_saved_p5"]), 1),
                "bed_days_saved_p95": round(float(total["bed_days_saved_p95"]), 1),
                "extra_cost_mean": round(float(total["extra_cost_mean"])),
            }
        )
    return rows


def home_care_tree(
    engine: Engine, day: date, against: date | None = None
) -> tuple[Market, SplitTree]:
    """The market on `day` and its split tree: against a balanced market, or against the
    market as it was on the day `against`."""
    market = home_care_market(engine, day)
    if against is None:
        return market, split_tree(market, Benchmarks())
    if against >= day:
        raise InvalidInput("against", "must be a day before the day shown")
    try:
        then = home_care_market(engine, against)
    except InvalidInput as problem:
        raise InvalidInput("against", problem.reason) from None
    return market, split_tree(market, Benchmarks(), then)
