"""What makes the demo hold up beside real trusts: the rates the generator draws from, the
measures an NHS reader checks it by, and the range each must fall in.

The ranges come from the national series in the project's shared data (NHS England's daily
discharge sitrep and monthly bed returns, 2024-25: `scripts/compare_demo_with_real.py`
recomputes them) or, where no series is shared, from the published figures cited in
docs/demo.md. `measures(sim)` reads a finished simulation (generator.DemoSystem) at its last
hour; `outside(found)` lists the measures that fall outside their range.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from statistics import median
from typing import Protocol

from homeflow.demo.people import Patient, recorded_events
from homeflow.domain import events as ev
from homeflow.domain.after_discharge.capacity import ProviderCapacityRecorded, open_on
from homeflow.domain.after_discharge.outcomes import Discharge
from homeflow.domain.after_discharge.records import SupportEpisodeRecorded, SupportKind
from homeflow.domain.organisations import Ward, issuer_of
from homeflow.domain.ready_date import measured_delay
from homeflow.domain.spell import fold_spell

# ---- the rates the generator draws from ----------------------------------------------------

# Emergency stays ending the day they began (zero length of stay): about a quarter of
# emergency admissions in England (Hospital Episode Statistics, see docs/demo.md).
SAME_DAY_SHARE = 0.3
# Of the emergencies staying the night, those under the surgeons (general surgery, trauma,
# urology) rather than the physicians.
SURGICAL_EMERGENCIES = 0.22
# From this age a medical patient is looked after on an elderly-care ward when one has a bed.
ELDERLY_AGE = 75
# Patients found ready whose wait runs to weeks: funding decisions, mental capacity,
# safeguarding, a family's choice of home (the long tail of the discharge sitrep and of the
# discharge ready date statistics: about 7% of the delayed wait 21 days or more).
LONG_WAIT_SHARE = {"P0": 0.0, "P1": 0.09, "P2": 0.12, "P3": 0.3}
# Pathway 0 patients (nothing to arrange) who go home the day a board round finds them ready;
# the rest wait a night or more, mostly for medicines to take home and the letter.
SIMPLE_SAME_DAY = 0.88
# Patients recorded as ready from the day they got better rather than the day a round found
# them (the evening before, a weekend): a discharge ready date a day or two back.
DATED_WHEN_BETTER = 0.05
# Patients whose support was arranged before they were ready (a package of care restarted,
# reablement referred by a trusted assessor from the expected date), who go home the day they
# are found ready: NHS England's discharge ready date statistics have about 86% of discharges
# on the DRD, so most supported discharges cannot wait (see docs/demo.md).
PLANNED_AHEAD_SHARE = {"P0": 0.0, "P1": 0.9, "P2": 0.0, "P3": 0.0}
# The chance a discharge due on each weekday (Monday first) slips to the next day: NHS
# England's daily discharge sitrep has Saturdays at about two thirds of a weekday's discharges
# and Sundays about half.
WEEKEND_DEFERRED = (0.0, 0.0, 0.0, 0.0, 0.0, 0.3, 0.62)


# ---- what the demo is measured by -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Range:
    low: float
    high: float
    source: str


RANGES: dict[str, Range] = {
    # Real trusts, median over months from April 2024, 5th to 95th percentile across 119 trusts
    # (england_trust_discharged_patients.csv): Saturday 0.43-1.23 (median 0.67), Sunday
    # 0.30-0.79 (median 0.50) of a weekday. Held to the lower, usual part of the range.
    "saturday discharges / weekday": Range(0.45, 0.85, "NHS England discharge sitrep"),
    "sunday discharges / weekday": Range(0.30, 0.75, "NHS England discharge sitrep"),
    # General and acute occupancy, monthly, 5th-95th percentile of trusts (2024-25).
    "site occupancy %": Range(80.0, 100.0, "NHS England KH03 / daily sitrep beds"),
    "adult ward occupancy %": Range(60.0, 100.0, "wards run near their site's occupancy"),
    "delayed 14+ days share %": Range(10.0, 60.0, "NHS England acute discharge delays"),
    "delayed 21+ days share %": Range(5.0, 45.0, "NHS England acute discharge delays"),
    "delayed with no reason %": Range(0.0, 5.0, "the sitrep asks a reason of every delay"),
    "elderly-care median age": Range(76.0, 88.0, "HES: geriatric medicine admissions"),
    "emergency stays under a day %": Range(18.0, 35.0, "HES: zero length of stay"),
    "readmitted 91 / 30 days": Range(1.3, 2.2, "NHS Digital emergency readmissions"),
    "support ended within its planned length %": Range(55.0, 90.0, "judgement, docs/demo.md"),
    "bed returns whose in use and vacancies miss commissioned": Range(0.0, 0.0, "arithmetic"),
    # NHS England's monthly discharge ready date statistics (SUS), England, April 2024 to
    # September 2025: 85.5-87.0% of discharges on the DRD, 5.9-6.3 days on average for those
    # discharged later; single trusts range from about half to nine in ten on the DRD and
    # from 2 to 11 days (the Health Foundation's compilation, docs/demo.md). The delayed
    # fall most often in the 1-day band, about 7% at 21 days or more.
    "discharged on their DRD %": Range(60.0, 95.0, "NHS England discharge ready date"),
    "days after DRD, 1+ day delays": Range(3.0, 10.0, "NHS England discharge ready date"),
    "1-day delays, share of delayed %": Range(20.0, 60.0, "NHS England discharge ready date"),
    "21+ day delays, share of delayed %": Range(2.0, 20.0, "NHS England discharge ready date"),
}


SUPPORT_MEASURES = (
    "support ended within its planned length %",
    "bed returns whose in use and vacancies miss commissioned",
)


class Simulation(Protocol):
    """What the measures read of a finished generator.DemoSystem."""

    patients: list[Patient]
    horizon: float
    window_start: date
    wards: Mapping[str, Ward]

    def day_of(self, hours: float) -> date: ...

    def hours_at(self, day: date) -> float: ...

    def instant(self, hours: float) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Found:
    """A measure at one level (system, a site or a ward)."""

    measure: str
    level: str
    value: float


def measures(sim: Simulation) -> list[Found]:
    """The demo's figures for each measure, at the last hour of its last day."""
    acute = [p for p in sim.patients if p.kind == "acute" and p.admitted < sim.horizon]
    return [
        *_weekend(sim, acute),
        *_occupancy(sim, acute),
        *_delays(sim, acute),
        *_ages(sim, acute),
        *_short_stays(sim, acute),
        *_readmissions(sim, acute),
        *_ready_dates(sim, acute),
    ]


def outside(found: Sequence[Found]) -> list[str]:
    """Each figure outside its range, in words."""
    return [
        f"{f.measure} at {f.level}: {f.value:.2f} not in {RANGES[f.measure].low}-"
        f"{RANGES[f.measure].high}"
        for f in found
        if not RANGES[f.measure].low <= f.value <= RANGES[f.measure].high
    ]


def _in_hospital(p: Patient, at: float) -> bool:
    return p.admitted <= at and (p.discharged is None or p.discharged > at)


def _weekend(sim: Simulation, acute: list[Patient]) -> list[Found]:
    start = sim.hours_at(sim.window_start)
    days: dict[date, int] = defaultdict(int)
    for p in acute:
        if p.discharged is not None and start <= p.discharged < sim.horizon:
            days[sim.day_of(p.discharged)] += 1
    by_weekday: dict[int, list[int]] = defaultdict(list)
    for day, count in days.items():
        by_weekday[day.weekday()].append(count)
    weekday = sum(sum(by_weekday[d]) / len(by_weekday[d]) for d in range(5)) / 5
    return [
        Found(f"{name} discharges / weekday", "system", (sum(c) / len(c)) / weekday)
        for name, c in (("saturday", by_weekday[5]), ("sunday", by_weekday[6]))
    ]


def _occupancy(sim: Simulation, acute: list[Patient]) -> list[Found]:
    at = sim.horizon - 0.5
    used: dict[str, int] = defaultdict(int)
    for p in acute:
        if p.bed is not None and _in_hospital(p, at):
            used[p.ward] += 1
    wards = [w for w in sim.wards.values() if w.code.startswith("RX")]
    sites: dict[str, list[Ward]] = defaultdict(list)
    for w in wards:
        sites[w.site_code].append(w)
    return [
        *(
            Found("site occupancy %", site, 100 * sum(used[w.code] for w in ws) / _beds(ws))
            for site, ws in sorted(sites.items())
        ),
        *(
            Found("adult ward occupancy %", w.code, 100 * used[w.code] / w.beds)
            for w in wards
            if not w.code.endswith("AMU")
        ),
    ]


def _beds(wards: list[Ward]) -> int:
    return sum(w.beds for w in wards)


def _delays(sim: Simulation, acute: list[Patient]) -> list[Found]:
    """Patients in hospital at the end with no criteria to reside, how long since their
    discharge ready date, and whether a reason was given after they were found ready: for
    the system and each site."""
    waits: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for p in acute:
        if not _in_hospital(p, sim.horizon):
            continue
        ready: date | None = None
        reason = False
        for when, x in p.events:
            if when >= sim.horizon:
                continue
            if isinstance(x, ev.CriteriaToResideAssessed):
                ready, reason = (None if x.meets else x.discharge_ready_date), False
            elif isinstance(x, ev.DelayReasonSet):
                reason = True
        if ready is not None:
            waited = (sim.day_of(sim.horizon - 0.5) - ready).days
            waits["system"].append((waited, reason))
            waits[p.site].append((waited, reason))
    found = []
    for level, mine in sorted(waits.items()):
        n = len(mine)
        found += [
            Found("delayed 14+ days share %", level, 100 * sum(w >= 14 for w, _ in mine) / n),
            Found("delayed 21+ days share %", level, 100 * sum(w >= 21 for w, _ in mine) / n),
            Found("delayed with no reason %", level, 100 * sum(not r for _, r in mine) / n),
        ]
    return found


def _ages(sim: Simulation, acute: list[Patient]) -> list[Found]:
    at = sim.horizon - 0.5
    ages: dict[str, list[int]] = defaultdict(list)
    for p in acute:
        if _in_hospital(p, at) and sim.wards[p.ward].specialty == "Elderly Care":
            ages[p.ward].append(p.age)
    return [Found("elderly-care median age", w, median(a)) for w, a in sorted(ages.items())]


def _short_stays(sim: Simulation, acute: list[Patient]) -> list[Found]:
    start = sim.hours_at(sim.window_start)
    stays = [
        p.discharged - p.admitted
        for p in acute
        if p.discharged is not None
        and start <= p.admitted
        and p.discharged < sim.horizon
        and _emergency(p)
    ]
    late = sum(1 for p in acute if start <= p.admitted and _emergency(p)) - len(stays)
    short = sum(s < 24.0 for s in stays)
    return [Found("emergency stays under a day %", "system", 100 * short / (len(stays) + late))]


def _emergency(p: Patient) -> bool:
    first = next((x for _, x in p.events if isinstance(x, ev.Admitted)), None)
    cancelled = any(isinstance(x, ev.AdmissionCancelled) for _, x in p.events)
    return (
        first is not None
        and first.admission_method is ev.AdmissionMethod.EMERGENCY
        and not cancelled
    )


def _readmissions(sim: Simulation, acute: list[Patient]) -> list[Found]:
    """Of the acute discharges whose 91 days have passed, those admitted again within 30 and
    91 days: the second as a multiple of the first."""
    admissions: dict[str, list[float]] = defaultdict(list)
    for p in acute:
        admissions[p.patient_id].append(p.admitted)
    last = sim.horizon - 24.0 * 91
    within = {30: 0, 91: 0}
    for p in acute:
        if p.discharged is None or p.discharged > last or _died(p):
            continue
        after = [a - p.discharged for a in admissions[p.patient_id] if a > p.discharged]
        for days in within:
            within[days] += any(gap <= 24.0 * days for gap in after)
    return [Found("readmitted 91 / 30 days", "system", within[91] / max(1, within[30]))]


def _ready_dates(sim: Simulation, acute: list[Patient]) -> list[Found]:
    """The discharge ready date measures of the stays that ended in the demo's days, read as
    `homeflow drd` reads them (domain.ready_date on the folded stay): for each acute trust
    and the system, the share discharged on their DRD and the days after it of the rest; for
    the system, the share of the delayed in the 1-day band and at 21 days or more."""
    start = sim.hours_at(sim.window_start)
    delays: dict[str, list[int]] = defaultdict(list)
    for p in acute:
        if p.discharged is None or not start <= p.discharged < sim.horizon:
            continue
        days = measured_delay(fold_spell(p.spell_key, recorded_events(p, sim.instant, sim.horizon)))
        if days is not None:
            delays["system"].append(days)
            delays[issuer_of(p.spell_key) or p.site].append(days)
    found = []
    for level, mine in sorted(delays.items()):
        late = [d for d in mine if d > 0]
        found += [
            Found("discharged on their DRD %", level, 100 * (len(mine) - len(late)) / len(mine)),
            Found("days after DRD, 1+ day delays", level, sum(late) / max(1, len(late))),
        ]
    late = [d for d in delays["system"] if d > 0]
    return [
        *found,
        Found("1-day delays, share of delayed %", "system", 100 * late.count(1) / len(late)),
        Found(
            "21+ day delays, share of delayed %",
            "system",
            100 * sum(d >= 21 for d in late) / len(late),
        ),
    ]


def _died(p: Patient) -> bool:
    return any(isinstance(x, ev.Discharged) and x.died for _, x in p.events)


def support_measures(
    episodes: Sequence[SupportEpisodeRecorded], returns: Sequence[ProviderCapacityRecorded]
) -> list[Found]:
    """Support after discharge: the share of ended episodes that ended by their planned end;
    the bed returns in which the beds in use that day and the vacancies do not add up to the
    beds commissioned."""
    ended = [e for e in episodes if e.end is not None and e.planned_end is not None]
    by_plan = sum(
        1 for e in ended if e.end is not None and e.planned_end and e.end <= e.planned_end
    )
    mine: dict[tuple[str, SupportKind], list[SupportEpisodeRecorded]] = defaultdict(list)
    for e in episodes:
        mine[e.provider, e.kind].append(e)
    missed = sum(
        1
        for r in returns
        if r.kind.bedded
        and sum(1 for e in mine[r.provider, r.kind] if open_on(e, r.on)) + (r.vacancies or 0)
        != r.commissioned
    )
    return [
        Found("support ended within its planned length %", "system", 100 * by_plan / len(ended)),
        Found("bed returns whose in use and vacancies miss commissioned", "system", missed),
    ]


def discharges(sim: Simulation, org_of_site: Mapping[str, str]) -> list[Discharge]:
    """The acute discharges of the simulation as the outcomes after discharge see them."""
    admissions: dict[str, list[float]] = defaultdict(list)
    for p in sim.patients:
        if p.kind == "acute":
            admissions[p.patient_id].append(p.admitted)
    found = []
    for p in sim.patients:
        if p.kind != "acute" or p.discharged is None or p.discharged >= sim.horizon:
            continue
        if any(isinstance(x, ev.AdmissionCancelled) for _, x in p.events):
            continue
        later = [a for a in admissions[p.patient_id] if p.discharged < a < sim.horizon]
        day = sim.day_of(p.discharged)
        back = (sim.day_of(min(later)) - day).days if later else None
        site = p.site
        found.append(
            Discharge(p.spell_key, day, p.pathway, p.age, site, org_of_site[site], _died(p), back)
        )
    return found
