"""The care transfer hub's work the demo shows beyond placements: NHS Continuing Healthcare
(CHC) followed from the positive checklist to the decision support tool and the eligibility
decision, housing referrals, and personal health budget requests, each with its decision.

Added after the simulation has run, from what it did: a checklist the ward completed, a
patient found ready to leave, a mental-health patient waiting for housing. The figures each
draw is aimed at are in docs/demo.md ("The care transfer hub").
"""

from __future__ import annotations

import math
import random
from datetime import timedelta

from homeflow.demo.agenda import Agenda
from homeflow.demo.people import COUNCIL_OF_SITE, Patient
from homeflow.domain import events as ev

ICB = "QDE"

# Days from the positive checklist to the decision: log-normal, median 19 days, so that about
# four in five are decided within 28 days (the NHS standard expects more than 80%).
CHC_MEDIAN_DAYS, CHC_SPREAD = 20.0, 0.45
CHC_ELIGIBLE = 0.22  # about one in five standard referrals found eligible
# A housing referral for patients found ready to go home (pathways 0 and 1).
HOUSING_SHARE, HOUSING_MEDIAN_DAYS, HOUSING_SPREAD, HOUSING_ACCEPTED = 0.015, 6.0, 0.6, 0.75
# A personal health budget: asked for by most people found eligible for CHC going home, and by
# some mental-health patients for their section 117 aftercare.
PHB_AFTER_CHC_HOME, PHB_AFTER_CHC_CARE_HOME, PHB_MENTAL_HEALTH = 0.6, 0.15, 0.08
PHB_MEDIAN_DAYS, PHB_SPREAD, PHB_AGREED = 14.0, 0.5, 0.85
HOUSING_DECLINED = "No housing duty owed; advice and options given"
PHB_DECLINED = "Needs met better by a directly commissioned service"


def hub_referrals(sim: Agenda, patients: list[Patient], seed: int) -> None:
    """Append each patient's CHC, housing and personal health budget events (times in the
    simulation's hours; those past its horizon are never recorded)."""
    rng = random.Random(f"hub-{seed}")
    for p in patients:
        if p.kind == "acute":
            checklist = _positive_checklist(p)
            if checklist is not None:
                _chc(sim, rng, p, checklist)
            if _stays_a_day_after_ready(p) and rng.random() < HOUSING_SHARE:
                _housing(sim, rng, p, (p.ready or 0.0) + rng.uniform(4.0, 30.0), None)
        elif p.kind == "mental-health":
            waits = [t for t, x in p.events if _housing_wait(x)]
            if waits and p.discharged is not None:
                _housing(sim, rng, p, waits[0] + rng.uniform(2.0, 24.0), p.discharged)
            if p.discharged is not None and rng.random() < PHB_MENTAL_HEALTH:
                _budget(sim, rng, p, p.discharged - rng.uniform(24.0, 96.0))


def _positive_checklist(p: Patient) -> float | None:
    for when, x in p.events:
        if isinstance(x, ev.ChcChecklistCompleted) and x.outcome is ev.ChecklistOutcome.POSITIVE:
            return when
    return None


def _stays_a_day_after_ready(p: Patient) -> bool:
    """Found ready to go home (pathways 0 and 1) and still in hospital a day and a half on."""
    if p.ready is None or p.pathway not in ("P0", "P1"):
        return False
    return p.discharged is None or p.discharged > p.ready + 36.0


def _housing_wait(x: ev.Payload) -> bool:
    return isinstance(x, ev.DelayReasonSet) and x.responsible_agency == "HOUSING"


def _days(rng: random.Random, median: float, spread: float) -> int:
    return max(1, round(median * math.exp(rng.gauss(0.0, spread))))


def _office_hours(sim: Agenda, rng: random.Random, after: float, days: int) -> float:
    """A time between 09:00 and 17:00 on the day `days` after `after`."""
    day_start = sim.hours_at(sim.day_of(after) + timedelta(days=days))
    return max(after + 1.0, day_start + rng.uniform(9.0, 17.0))


def _chc(sim: Agenda, rng: random.Random, p: Patient, checklist: float) -> None:
    """The positive checklist is the referral to the ICB; the decision support tool follows
    (outside hospital unless the patient is still in), then the eligibility decision."""
    ref = f"{p.spell_key}-CHC"
    p.events.append((checklist + 0.2, ev.ReferralMade(ref, ev.ReferralService.CHC, ICB)))
    decided = _office_hours(sim, rng, checklist, _days(rng, CHC_MEDIAN_DAYS, CHC_SPREAD))
    earlier = [(t, x) for t, x in p.events if isinstance(x, ev.ChcAssessmentRecorded)]
    if earlier:  # assessed on the ward already
        assessment = earlier[0][1]
        assessed_on, setting = assessment.assessment_date, assessment.setting
        decided = max(decided, _office_hours(sim, rng, sim.hours_at(assessed_on), 1))
    else:
        dst = decided - 24.0 * rng.randint(1, 7)
        if p.discharged is not None and p.discharged < decided - 24.0:
            dst = max(dst, p.discharged + 24.0)
        dst = max(dst, checklist + 48.0)
        in_hospital = p.discharged is None or dst < p.discharged
        setting = ev.CareSetting.ACUTE if in_hospital else ev.CareSetting.COMMUNITY
        assessed_on = sim.day_of(dst)
        p.events.append((dst, ev.ChcAssessmentRecorded(assessed_on, setting)))
        p.events.append((dst + 0.1, ev.ReferralAccepted(ref)))
    eligible = rng.random() < CHC_ELIGIBLE
    decision = ev.ChcAssessmentRecorded(assessed_on, setting, sim.day_of(decided), eligible)
    p.events.append((decided, decision))
    p.events.append((decided + 0.1, ev.ReferralCompleted(ref)))
    if eligible:
        going_home = p.pathway in ("P0", "P1", "P2")
        if rng.random() < (PHB_AFTER_CHC_HOME if going_home else PHB_AFTER_CHC_CARE_HOME):
            _budget(sim, rng, p, decided + rng.uniform(2.0, 72.0))


def _housing(
    sim: Agenda, rng: random.Random, p: Patient, made: float, housed_by: float | None
) -> None:
    ref = f"{p.spell_key}-HOU"
    council = COUNCIL_OF_SITE.get(p.site, "LAR01")
    p.events.append((made, ev.ReferralMade(ref, ev.ReferralService.HOUSING, council)))
    if housed_by is not None:  # waited in hospital until housed: accepted before leaving
        decided = max(made + 2.0, housed_by - rng.uniform(12.0, 72.0))
        p.events.append((decided, ev.ReferralAccepted(ref)))
        return
    decided = _office_hours(sim, rng, made, _days(rng, HOUSING_MEDIAN_DAYS, HOUSING_SPREAD))
    if rng.random() < HOUSING_ACCEPTED:
        p.events.append((decided, ev.ReferralAccepted(ref)))
    else:
        p.events.append((decided, ev.ReferralDeclined(ref, HOUSING_DECLINED)))


def _budget(sim: Agenda, rng: random.Random, p: Patient, made: float) -> None:
    ref = f"{p.spell_key}-PHB"
    budget = ev.ReferralService.PERSONAL_HEALTH_BUDGET
    p.events.append((made, ev.ReferralMade(ref, budget, ICB)))
    decided = _office_hours(sim, rng, made, _days(rng, PHB_MEDIAN_DAYS, PHB_SPREAD))
    if rng.random() < PHB_AGREED:
        p.events.append((decided, ev.ReferralAccepted(ref)))
    else:
        p.events.append((decided, ev.ReferralDeclined(ref, PHB_DECLINED)))
