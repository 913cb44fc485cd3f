"""The weekly stranded-patient reviews (SAFER "R") of the demo's last four weeks.

Each site's multi-disciplinary team meets on its own weekday and reviews most of its
patients in hospital 7 days or more; a few are missed (the meeting ran out of time, the
consultant was on call), so some patients are due a review and those newly past 7 days have
never had one, as on a real list."""

from __future__ import annotations

from datetime import date, timedelta

from homeflow.demo.agenda import Agenda
from homeflow.demo.people import Patient
from homeflow.domain import events as ev

REVIEWED_SHARE = 0.85  # of the patients due one at a meeting
CONSULTANTS = (
    "Dr A Patel, consultant geriatrician",
    "Dr S Okafor, consultant physician",
    "Dr J Lewis, acute medicine",
    "Dr R Khan, consultant geriatrician",
    "Dr M Evans, consultant physician",
    "Ms L Wright, matron",
)
WAITING_ACTIONS = (
    "Chase the package of care start date with the hub",
    "Discharge to assess: confirm the bed at Millbrook",
    "Family meeting booked to agree the care home",
    "CHC checklist to complete before Friday",
    "Hub to escalate the reablement wait to the council",
)
IN_TREATMENT_ACTIONS = (
    "IV antibiotics to complete; review Monday",
    "Physiotherapy daily; set the expected discharge date",
    "Await the CT result; plan at the next board round",
    "Occupational therapy home visit this week",
)


def stranded_reviews(sim: Agenda, patients: list[Patient], end: date) -> None:
    """A review at each site's weekly meeting of the last four weeks for most of its
    patients then in hospital 7 days or more, with a reviewer, an outcome and its actions."""
    sites = sorted({p.site for p in patients})
    for n, site in enumerate(sites):
        weekday = (1 + n) % 5  # Tuesday, Wednesday, ...: each site its own day
        last = end - timedelta(days=(end.weekday() - weekday) % 7)
        for week in range(4):
            day = last - timedelta(days=7 * week)
            meeting = sim.hours_at(day) + 11.0
            for p in patients:
                if p.site != site or meeting - p.admitted < 7 * 24.0:
                    continue
                if p.discharged is not None and p.discharged <= meeting:
                    continue
                if sim.rng.random() < REVIEWED_SHARE:
                    p.events.append((meeting + sim.rng.uniform(0.0, 2.0), _review(sim, p, meeting)))


def _review(sim: Agenda, p: Patient, meeting: float) -> ev.StrandedReviewRecorded:
    reviewer = sim.rng.choice(CONSULTANTS)
    if p.ready is not None and p.ready < meeting:
        waited_days = (meeting - p.ready) / 24.0
        escalate = sim.rng.random() < (0.5 if waited_days > 14 else 0.1)
        outcome = ev.ReviewOutcome.ESCALATED if escalate else ev.ReviewOutcome.PLAN_AGREED
        return ev.StrandedReviewRecorded(outcome, sim.rng.choice(WAITING_ACTIONS), reviewer)
    roll = sim.rng.random()
    if roll < 0.6:
        outcome = ev.ReviewOutcome.CLINICAL_REASON_TO_STAY
    elif roll < 0.9:
        outcome = ev.ReviewOutcome.PLAN_AGREED
    else:
        outcome = ev.ReviewOutcome.READY_FOR_DISCHARGE
    return ev.StrandedReviewRecorded(outcome, sim.rng.choice(IN_TREATMENT_ACTIONS), reviewer)
