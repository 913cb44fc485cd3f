"""Fitting the capacity model to the event history, and a census to start a run from.

Everything here takes plain rows (what `store.queries.stay_history`, `open_stays` and `bed_base`
return), so it runs without a database. What the history cannot tell (how long a home-care
package lasts, what a bed-day costs) comes from stated assumptions the model file's comments name.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from homeflow.domain.clock import local_date
from homeflow.domain.errors import InvalidInput
from homeflow.sim.compiled import Census, CensusPatient
from homeflow.sim.demand import arrivals as fit_arrivals
from homeflow.sim.demand import demand_now
from homeflow.sim.level import MIN_ORIGINS, SPAN_DAYS, wait_spread
from homeflow.sim.model import (
    ACUTE_WARDS,
    P1_SERVICE,
    P2_SERVICE,
    P3_SERVICE,
    PATHWAYS,
    STEP_DOWN_WARDS,
    Arrivals,
    CapacityChange,
    Distribution,
    Model,
    Pathway,
    Service,
    only_to,
)
from homeflow.sim.weekdays import by_weekday

# Assumptions the event history cannot give; the model file repeats them so they can be edited.
PACKAGE_DAYS = Distribution("gamma", 2.0, 21.0)  # home-based care lasts six weeks on average
COST_ACUTE_BED_DAY = 395.0
COST_MENTAL_HEALTH_BED_DAY = 480.0
COST_COMMUNITY_BED_DAY = 300.0
COST_PACKAGE_DAY = 50.0
COST_CARE_HOME_PLACEMENT = 5000.0
LEAVING = "leave after they were ready"
MIN_DAYS = 1 / 24  # an hour: stays recorded as ending when they began still take a bed a while
SAMPLE = 5000  # enough stays to fit a family; more only slows the fit


@dataclass(frozen=True, slots=True)
class Fit:
    distribution: Distribution
    note: str


def fit_duration(days: Sequence[float] | np.ndarray, seed: int = 0) -> Fit:
    """Lognormal, gamma or Weibull, whichever has the lowest AIC; few or constant values are
    kept as they are (empirical)."""
    x = np.clip(np.asarray(days, float), MIN_DAYS, None)
    if len(x) < 30 or np.ptp(x) < 1e-9:
        if len(x) == 0:
            return Fit(Distribution("fixed", 0.0), "no stays: none")
        return Fit(Distribution("empirical", values=tuple(x)), f"{len(x)} values: empirical")
    if len(x) > SAMPLE:
        x = np.random.default_rng(seed).choice(x, SAMPLE, replace=False)
    candidates = {
        "lognormal": stats.lognorm,
        "gamma": stats.gamma,
        "weibull": stats.weibull_min,
    }
    aic: dict[str, float] = {}
    fitted: dict[str, Distribution] = {}
    for family, dist in candidates.items():
        shape, _, scale = dist.fit(x, floc=0)
        loglik = float(np.sum(dist.logpdf(x, shape, 0, scale)))
        if not math.isfinite(loglik):
            continue
        aic[family] = 4 - 2 * loglik
        fitted[family] = (
            Distribution(family, math.log(scale), shape)
            if family == "lognormal"
            else Distribution(family, shape, scale)
        )
    best = min(aic, key=lambda f: aic[f])
    table = ", ".join(f"{f} {aic[f]:.0f}" for f in sorted(aic, key=lambda f: aic[f]))
    return Fit(fitted[best], f"{best} by AIC ({table}), mean {x.mean():.2f} days, n={len(x)}")


def _days(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    return np.asarray((later - earlier).dt.total_seconds() / 86400.0, dtype=float)


Mix = tuple[float, float, float, float]
RECENT_DAYS = 56  # the NCTR share and pathway mix are of these last days' discharges
MIN_RECENT_NCTR = 300  # if they hold at least so many NCTR stays
MIN_RECENT_WAITS = 100  # a pathway's wait is of the recent ones if there are so many
# Home care's and care homes' capacity is what they have been seen to take from hospital a day,
# at the most, over so many days running (`most_taken`).
BUSIEST_DAYS = 28
# Pathways whose service's capacity the history does not record (only what it took): their
# whole wait from ready to leaving is fitted, as it was at the loads seen.
CAPACITY_FROM_STARTS = ("P1", "P3")


def _recent(stays: Any, last: date) -> tuple[Any, str]:
    """The discharges of the last RECENT_DAYS days when they hold at least MIN_RECENT_NCTR
    NCTR stays, else all, and a note saying which. Practice changes (a bed review, a new
    discharge team) and the recent weeks say what it is now."""
    since = pd.Timestamp(last - timedelta(days=RECENT_DAYS - 1), tz="Europe/London")
    recent = stays[stays.discharged_at >= since]
    if recent.nctr.sum() >= MIN_RECENT_NCTR:
        return recent, f" in the last {RECENT_DAYS} days"
    return stays, ""


def _nctr_share(stays: Any, last: date) -> tuple[float, Mix, str]:
    """The share of stays that stayed on after they were ready (NCTR), their pathway mix, and
    a note: of the recent discharges (`_recent`)."""
    used, note = _recent(stays, last)
    nctr = used[used.nctr]
    mix = tuple((nctr.pathway == p).mean() if len(nctr) else float(p == "P0") for p in PATHWAYS)
    said = (
        f"{len(nctr)} of {len(used)} stays{note} ({len(nctr) / len(used):.1%}) stayed on after"
        " they were ready (NCTR)."
    )
    return len(nctr) / len(used), mix, said  # type: ignore[return-value]


def _waits_of(every: Any, recent: Any) -> tuple[Any, str]:
    """A pathway's NCTR stays to fit its wait to: the recent ones (`_recent`'s) when they are
    at least MIN_RECENT_WAITS, else all; and a note saying which. Waits change as practice
    and demand do (the demo's pathway 1 waits at two sites fell by a fifth in the autumn)."""
    if len(recent) >= MIN_RECENT_WAITS and len(recent) < len(every):
        return recent, f" in the last {RECENT_DAYS} days"
    return every, ""


def _less_kept(wait: Distribution, kept: float) -> Distribution:
    """A wait fitted to departures, less the days the weekday shares add back in the run."""
    mean = wait.mean()
    return wait.scaled(max(mean - kept, 0.25 * mean) / mean) if mean > 0 else wait


def _stays(history: list[dict[str, Any]], first: date, last: date) -> tuple[Any, Any]:
    """The admissions in the window, and the stays that ended in it with whether each was
    NCTR and its clinical, delay and assessment days."""
    frame = pd.DataFrame(
        history,
        columns=[
            "site_code",
            "ward_type",
            "admitted_at",
            "discharged_at",
            "ready_at",
            "pathway",
            "referred_at",
            "accepted_at",
        ],
    )
    if frame.empty:
        raise InvalidInput("from", f"no stays between {first} and {last} to calibrate from")
    for column in ("admitted_at", "discharged_at", "ready_at", "referred_at", "accepted_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    window_start = pd.Timestamp(first, tz="Europe/London").tz_convert("UTC")
    window_end = pd.Timestamp(last + timedelta(days=1), tz="Europe/London").tz_convert("UTC")
    admitted = frame[frame.admitted_at.between(window_start, window_end)]
    left = frame[frame.discharged_at.between(window_start, window_end)].copy()
    # NCTR: still in a bed at a midnight after the day they were ready to leave.
    local = "Europe/London"
    left["nctr"] = left.ready_at.notna() & (
        left.discharged_at.dt.tz_convert(local).dt.date
        > left.ready_at.dt.tz_convert(local).dt.date.where(left.ready_at.notna(), date.max)
    )
    left["pathway"] = left.pathway.fillna("P0")
    ready = left.ready_at.where(left.ready_at > left.admitted_at, left.admitted_at)
    left["found_ready_at"] = ready.where(left.nctr, left.discharged_at)
    left["clinical_days"] = _days(left.found_ready_at, left.admitted_at)
    left["delay_days"] = _days(left.discharged_at, ready)
    left["assessment_days"] = _days(left.referred_at, ready)
    # From the service taking them (or from ready, if it took them before) to leaving.
    left["transfer_days"] = _days(
        left.discharged_at, left.accepted_at.where(left.accepted_at > ready, ready)
    )
    return admitted, left


def _service_waits(on: Any) -> Any:
    """A pathway's waits that are not for the service's capacity: from ready to the first
    referral, and from the service taking the patient (accepting the referral) to their
    leaving the bed (transport, medicines, the care starting). The model queues the patient
    for a place after the whole wait, so the time in its queue is the referral's time to
    acceptance alone; where no acceptance is recorded, the wait is to the referral only."""
    referred = on[on.assessment_days.notna()]
    transfer = referred.transfer_days.where(referred.accepted_at.notna(), 0.0)
    return (referred.assessment_days.clip(lower=0) + transfer.clip(lower=0)).to_numpy()


_DESTINATION = {"P1": P1_SERVICE, "P2": P2_SERVICE, "P3": P3_SERVICE}


def most_taken(left_at: Any, first: date, last: date) -> float:
    """The most a day a service took from hospital (`left_at`: when its patients left their
    beds), averaged over BUSIEST_DAYS days running (all the window's days if fewer).

    The history records what a service took, not what it could have: taken at its average, a
    service that kept up with its demand would be modelled with none to spare, its queue on a
    knife edge (Halfin and Whitt 1981: a thousand packages need about 3% to spare), drifting up
    over weeks as no real one did. What it took in its busiest weeks it evidently could."""
    days = pd.date_range(first, last, freq="D").date
    local = left_at[left_at.notna()].dt.tz_convert("Europe/London").dt.date
    per_day = local.value_counts().reindex(days, fill_value=0)
    running = min(BUSIEST_DAYS, len(days))
    return float(per_day.rolling(running).mean().max())


def _hospital(
    site: Any,
    stays: Any,
    arrived: Any,
    window: tuple[date, date, float],
    seed: int,
    flows: dict[str, float],
) -> tuple[Service, list[str]]:
    """A site's acute or mental-health beds fitted to its stays (`window`: the first and last
    day and demand's level now); adds its pathway flows."""
    first, last, level = window
    n_days = (last - first).days + 1
    name = f"{site.site_code} {site.site_name}"
    arrivals, arrival_note = fit_arrivals(arrived, first, last, level)
    los = fit_duration(stays.clinical_days, seed)
    ready, found_kept, ready_note = by_weekday(stays.found_ready_at, first, last, "be found ready")
    nctr = stays[stays.nctr]
    share, mix, share_note = _nctr_share(stays, last)
    pathways: dict[str, Pathway] = {}
    leaving, kept, leaving_note = by_weekday(nctr.discharged_at, first, last, LEAVING)
    lines = [
        f"{name}: {site.beds} {site.ward_type} beds; arrivals: {arrival_note}.",
        f"Length of stay until ready to leave: {los.note}.",
        ready_note,
        share_note,
        leaving_note,
    ]
    # Patients a day on each pathway, from the discharges the mix is of: what the downstream
    # services take now (their capacity where the history cannot tell it).
    used, note = _recent(stays, last)
    used_days = min(RECENT_DAYS, n_days) if note else n_days
    for p in PATHWAYS:
        flows[p] += int((used.nctr & (used.pathway == p)).sum()) / used_days
        on, of = _waits_of(nctr[nctr.pathway == p], used[used.nctr & (used.pathway == p)])
        if on.empty:
            continue
        if p == "P0":
            wait = fit_duration(on.delay_days, seed)
            lines.append(f"P0 (no service needed) wait to leave{of}: {wait.note}.")
            pathways[p] = Pathway((), _less_kept(wait.distribution, kept))
        elif p in CAPACITY_FROM_STARTS:
            wait = fit_duration(on.delay_days, seed)
            lines.append(
                f"{p} wait from ready to leaving{of} (the whole wait, its service's queue as"
                f" it was at the loads seen): {wait.note}."
            )
            pathways[p] = Pathway(only_to(_DESTINATION[p]), _less_kept(wait.distribution, kept))
        else:
            waits = _service_waits(on)
            fitted = fit_duration(waits, seed) if len(waits) else None
            lines.append(
                f"{p} wait from ready to referral and from acceptance to leaving{of}: "
                f"{fitted.note if fitted else 'no referrals: none'}."
            )
            pathways[p] = Pathway(
                only_to(_DESTINATION[p]), _less_kept(fitted.distribution, kept) if fitted else None
            )
    service = Service(
        name=name,
        unit="beds",
        sites=(site.site_code,),
        capacity=float(site.beds),
        # The wards' dated bed changes after the start (escalation beds opening, say).
        capacity_changes=tuple(
            CapacityChange(day, None, set_to=float(beds)) for day, beds in site.changes
        ),
        arrivals=arrivals,
        length_of_stay=_less_kept(los.distribution, found_kept),
        nctr_probability=share,
        pathway_mix=mix,
        pathways=pathways,
        leaving_weekday=leaving,
        ready_weekday=ready,
        cost_per_occupied_day=COST_MENTAL_HEALTH_BED_DAY
        if site.ward_type == "mental-health"
        else COST_ACUTE_BED_DAY,
    )
    return service, lines


def _home_care(starts: float, now: float) -> tuple[Service, list[str]]:
    """`starts`: the most started a day (`most_taken`); `now`: a day lately."""
    capacity = max(1.0, round(starts * PACKAGE_DAYS.mean()))
    service = Service(
        name=P1_SERVICE,
        unit="packages",
        capacity=capacity,
        length_of_stay=PACKAGE_DAYS,
        # In use at the start: those started lately, each for a package's length (Little's
        # law); full, its spare capacity would be taken until as many packages ended.
        occupied_at_start=min(int(capacity), round(now * PACKAGE_DAYS.mean())),
        cost_per_capacity_day=COST_PACKAGE_DAY,
    )
    return service, [
        f"Home-based care started {now:.1f} packages a day lately for patients leaving hospital,"
        f" and {starts:.1f} a day at the most over {BUSIEST_DAYS} days running.",
        f"Packages are assumed to last {PACKAGE_DAYS.mean():.0f} days on average (not in the",
        "event history), so capacity is that most a day times that (Little's law).",
    ]


def _step_down(
    sites: list[str],
    by_site: Any,
    left: Any,
    admitted: Any,
    window: tuple[date, date],
    from_hospital: float,
) -> tuple[Service, list[str]]:
    n_days = (window[1] - window[0]).days + 1
    stays = left[left.site_code.isin(sites) & left.ward_type.isin(STEP_DOWN_WARDS)]
    beds = float(by_site[by_site.site_code.isin(sites)].beds.sum())
    los = fit_duration(stays.clinical_days)
    nctr, mix, pathways, leaving, onward = _onward(stays, window)
    direct = admitted[admitted.site_code.isin(sites)]
    external = max(0.0, len(direct) / n_days - from_hospital)
    service = Service(
        name=P2_SERVICE,
        unit="beds",
        sites=tuple(sites),
        capacity=beds or None,
        arrivals=Arrivals(external) if external > 0.05 else None,
        length_of_stay=los.distribution,
        nctr_probability=nctr,
        pathway_mix=mix,
        pathways=pathways,
        leaving_weekday=leaving,
        cost_per_capacity_day=COST_COMMUNITY_BED_DAY,
    )
    return service, [
        f"Community and discharge-to-assess beds at {', '.join(sites) or 'no site'}.",
        f"Length of stay until ready to leave: {los.note}.",
        f"Admissions not from hospital: {external:.2f} a day.",
        *onward,
    ]


def _onward(
    stays: Any, window: tuple[date, date]
) -> tuple[float, Mix, dict[str, Pathway], tuple[float, ...], list[str]]:
    """Patients in step-down beds who stay on after they are ready: how many, by pathway,
    each pathway's wait from ready to leaving (fitted whole, as P0's in hospital: where
    they go next is not modelled, so their wait holds both the assessment and the place),
    and the share who leave on each weekday of those due to."""
    if stays.empty:
        return 0.0, (1.0, 0.0, 0.0, 0.0), {}, (1.0,) * 7, []
    nctr = stays[stays.nctr]
    share, mix, share_note = _nctr_share(stays, window[1])
    pathways: dict[str, Pathway] = {}
    leaving, kept, leaving_note = by_weekday(nctr.discharged_at, *window, LEAVING)
    lines = [share_note, leaving_note]
    for p in PATHWAYS:
        on = nctr[nctr.pathway == p]
        if not on.empty:
            wait = fit_duration(on.delay_days)
            lines.append(f"{p} wait from ready to leaving: {wait.note}.")
            pathways[p] = Pathway((), _less_kept(wait.distribution, kept))
    return share, mix, pathways, leaving, lines


def _care_homes(per_day: float, now: float) -> tuple[Service, list[str]]:
    """`per_day`: the most placed a day (`most_taken`); `now`: a day lately."""
    per_week = per_day * 7
    service = Service(
        name=P3_SERVICE,
        unit="placements",
        capacity=round(per_week, 2),
        cost_per_start=COST_CARE_HOME_PLACEMENT,
    )
    return service, [
        f"Care homes took {now * 7:.1f} patients a week from hospital lately, and"
        f" {per_week:.1f} at the most over {BUSIEST_DAYS} days running: that is the capacity.",
    ]


def _with_spread(service: Service, stays: Any, first: date, last: date) -> tuple[Service, str]:
    """The service with its wait spread from its stays in the window (`sim/level`), and a note."""
    spread = wait_spread(stays, first, last)
    needed = 2 * SPAN_DAYS + MIN_ORIGINS - 1
    said = (
        f"Its NCTR moved by {spread:.1%} from one four weeks to the next: each replication's"
        " waits to leave are scaled by a draw of that spread."
        if (last - first).days + 1 >= needed
        else f"Too few days ({needed} needed) to tell how far its NCTR moves from one four"
        " weeks to the next: no wait spread."
    )
    return replace(service, wait_spread=round(spread, 3)), said


def calibrate(
    history: list[dict[str, Any]],
    beds: list[dict[str, Any]],
    first: date,
    last: date,
    start: date,
) -> tuple[Model, dict[str, list[str]]]:
    """A model of the system the history describes, and notes on how each part was fitted."""
    if last < first:
        raise InvalidInput("to", "must not be before from")
    admitted, left = _stays(history, first, last)
    n_days = (last - first).days + 1
    notes: dict[str, list[str]] = {
        "": [
            f"Calibrated from the event history {first} to {last} ({n_days} days).",
            "Lengths of stay are in days. Costs are assumptions: put in your own.",
        ]
    }
    by_site = pd.DataFrame(beds)
    step_down_sites = sorted(by_site[by_site.ward_type.isin(STEP_DOWN_WARDS)].site_code.unique())
    flows = {p: 0.0 for p in PATHWAYS}
    services: list[Service] = []
    hospital_sites = by_site[by_site.ward_type.isin(ACUTE_WARDS)]
    level, level_note = demand_now(
        admitted[admitted.ward_type.isin(ACUTE_WARDS)].admitted_at, first, last
    )
    if level_note:
        notes[""].append(level_note)
    # Every stay in a bed in the window: admitted in it, or before it and left in it.
    window_start = pd.Timestamp(first, tz="Europe/London")
    present = pd.concat([admitted, left[left.admitted_at < window_start]])
    for seed, site in enumerate(hospital_sites.itertuples()):
        stays = left[left.site_code == site.site_code]
        if stays.empty:
            continue
        arrived = admitted[admitted.site_code == site.site_code].admitted_at
        service, notes_of = _hospital(site, stays, arrived, (first, last, level), seed, flows)
        there = present[(present.site_code == site.site_code) & present.ward_type.isin(ACUTE_WARDS)]
        service, spread_note = _with_spread(service, there, first, last)
        services.append(service)
        notes[service.name] = [*notes_of, spread_note]
    if not services:
        raise InvalidInput(
            "from", f"no acute or mental-health discharges between {first} and {last}"
        )
    used = {to for s in services for p in s.pathways.values() for to, _ in p.destinations}
    downstream = []
    sent = left[left.ward_type.isin(ACUTE_WARDS) & left.nctr]

    def taken(pathway: str) -> float:
        busiest = most_taken(sent[sent.pathway == pathway].discharged_at, first, last)
        return max(flows[pathway], busiest)

    if P1_SERVICE in used:
        downstream.append(_home_care(taken("P1"), flows["P1"]))
    if P2_SERVICE in used or step_down_sites:
        window = (first, last)
        # Over the whole history, as the step-down beds' admissions it is taken from.
        from_hospital = int((sent.pathway == "P2").sum()) / n_days
        step_down, step_down_notes = _step_down(
            step_down_sites, by_site, left, admitted, window, from_hospital
        )
        there = present[present.ward_type.isin(STEP_DOWN_WARDS)]
        step_down, spread_note = _with_spread(step_down, there, first, last)
        downstream.append((step_down, [*step_down_notes, spread_note]))
    if P3_SERVICE in used:
        downstream.append(_care_homes(taken("P3"), flows["P3"]))
    for service, notes_of in downstream:
        services.append(service)
        notes[service.name] = notes_of
    return Model("Calibrated system", start, tuple(services), warmup_days=120), notes


def census_at(stays: list[dict[str, Any]], model: Model, at: datetime) -> Census:
    """Today's patients, placed in the model's services by their ward's site and type (a site
    may have both acute and community beds)."""
    by_place = {(site, s.name == P2_SERVICE): s.name for s in model.services for site in s.sites}
    patients = []
    for stay in stays:
        service = by_place.get((stay["site_code"], stay.get("ward_type") in STEP_DOWN_WARDS))
        if service is None or stay["admitted_at"] is None:
            continue
        in_service = max((at - stay["admitted_at"]).total_seconds() / 86400.0, 0.0)
        ready_at = stay["ready_at"]
        if ready_at is None or ready_at > at:
            patients.append(CensusPatient(service, in_service))
        else:
            waiting = max((at - ready_at).total_seconds() / 86400.0, 0.0)
            patients.append(CensusPatient(service, in_service, stay["pathway"] or "P0", waiting))
    return Census(local_date(at), tuple(patients))
