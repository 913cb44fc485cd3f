"""Simulate the demo system into events.

Patients arrive with weekday and seasonal patterns, get better at their own pace, and then
wait for what their discharge pathway needs. Downstream services have limited capacity
(reablement and home-care starts a day, community and discharge-to-assess beds, care-home
placements), so delays arise from queues, not from a dice roll. Delay reasons follow the
stage a patient is at, weighted by the national mix (delay_reason_mix.csv).

Deterministic for a seed and end date: one `random.Random`, a time-ordered agenda.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterator
from datetime import date, timedelta

from homeflow.demo import system
from homeflow.demo.acute import admit_acute, next_round
from homeflow.demo.agenda import Agenda, season
from homeflow.demo.bed_requests import bed_requests
from homeflow.demo.bed_state import INFECTION_CONTROL_BAY, bed_states
from homeflow.demo.beds import Beds
from homeflow.demo.board_rounds import board_rounds
from homeflow.demo.hub import hub_referrals
from homeflow.demo.improvement import (
    PLANNED_AHEAD_BEFORE_TEAM,
    HomeFirstBridging,
    bed_review_start,
)
from homeflow.demo.mental_health import admit_mental_health
from homeflow.demo.people import (
    DISCHARGE_HOURS,
    EMERGENCY_HOURS,
    MEETS_CRITERIA_AGAIN,
    READMITTED_31_TO_90_DAYS,
    READMITTED_WITHIN_30_DAYS,
    Patient,
    Service,
    community_pathway,
    delay_reason_mix,
    downstream_services,
    readmitted_after,
    readmitted_later,
    recorded_events,
    same_person,
)
from homeflow.demo.realism import (
    DATED_WHEN_BETTER,
    LONG_WAIT_SHARE,
    PLANNED_AHEAD_SHARE,
    SAME_DAY_SHARE,
    SIMPLE_SAME_DAY,
    SURGICAL_EMERGENCIES,
    WEEKEND_DEFERRED,
)
from homeflow.demo.stranded_reviews import stranded_reviews
from homeflow.demo.turns import RareTurns
from homeflow.domain import codes
from homeflow.domain import events as ev
from homeflow.domain.organisations import WardType, spell_key

WARM_UP_DAYS = 90
# Readmissions are part of emergency demand: new arrivals are this share of it.
NEW_ARRIVALS = 1.0 - READMITTED_WITHIN_30_DAYS - READMITTED_31_TO_90_DAYS


class DemoSystem(Agenda):
    def __init__(self, seed: int, days: int, end: date) -> None:
        self.end = end
        self.window_start = end - timedelta(days=days - 1)
        origin = self.window_start - timedelta(days=WARM_UP_DAYS)
        super().__init__(seed, origin, (end + timedelta(days=1) - origin).days * 24.0)
        self.patients: list[Patient] = []
        self.beds = Beds(system.WARDS)
        self.wards = {w.code: w for w in system.WARDS}
        self.wards_of: dict[tuple[str, str], list[str]] = {}
        self.org_of_site = {s.code: s.org_code for s in system.SITES}
        self.reasons = codes.nctr_delay_reasons()
        self.mix = delay_reason_mix()
        self.next_id = 0
        self.community_queue: deque[Patient] = deque()
        self.services = downstream_services()
        self.bridging = HomeFirstBridging(seed, end)
        # Only a demo long enough to show weeks before it has the change (short demos, as the
        # tests build, stay as they were).
        review = bed_review_start(end)
        self.bed_review = review if review - timedelta(weeks=12) >= self.window_start else None
        self.issued: set[str] = set()  # NHS numbers given out
        self.rare = RareTurns(seed, self)

    # ---- the run --------------------------------------------------------------------------

    def run(self) -> None:
        total_days = (self.end - self.origin).days + 1
        for d in range(total_days):
            start = d * 24.0
            self.schedule(start, self.admit_day, start)
            self.schedule(start + 10.0, self.start_packages, start)
            self.schedule(start + 9.5, self.fill_community_beds, start)
        closes, reopens = self.bay_closure()
        if closes < reopens:
            bay = INFECTION_CONTROL_BAY
            self.schedule(closes, self.beds.close, bay.ward_code, bay.beds)
            self.schedule(reopens, self.beds.reopen)
        self.run_agenda()

    def bay_closure(self) -> tuple[float, float]:
        """When the infection-control bay closes and reopens; (0, 0) when the demo's days do
        not hold its closure."""
        closes, reopens = INFECTION_CONTROL_BAY.hours(self.end, self.origin)
        return (closes, reopens) if closes >= self.hours_at(self.window_start) else (0.0, 0.0)

    def admit_day(self, start: float) -> None:
        day = self.day_of(start)
        weekday = day.weekday()
        emergency_weekday = (1.12, 1.02, 1.0, 0.99, 1.01, 0.92, 0.94)[weekday]
        for site in system.ACUTE_SITES:
            mean = site.emergency_per_day * emergency_weekday * season(day) * NEW_ARRIVALS
            # Same-day emergency stays come on top of those who stay the night.
            for _ in range(self.poisson(mean / (1.0 - SAME_DAY_SHARE))):
                hour = self.rng.choices(range(24), weights=EMERGENCY_HOURS)[0]
                kind = "emergency"
                if self.rng.random() < SAME_DAY_SHARE:
                    kind = "same-day"
                elif self.rng.random() < SURGICAL_EMERGENCIES:
                    kind = "surgical"
                self.schedule(start + hour + self.rng.random(), admit_acute, self, site.code, kind)
            if weekday < 5:
                for _ in range(self.poisson(site.elective_per_weekday)):
                    self.schedule(
                        self.at(start, 7.0, 11.0), admit_acute, self, site.code, "elective"
                    )
        for _ in range(self.poisson(1.75)):
            self.schedule(self.at(start, 9.0, 22.0), admit_mental_health, self)

    def new_patient(self, site: str, kind: str, age: int) -> Patient:
        self.next_id += 1
        n = self.next_id
        visit = spell_key(self.org_of_site[site], f"V{n:08d}")
        p = Patient(visit, f"DEMO{n:07d}", site, kind, age)
        self.patients.append(p)
        return p

    def release_bed(self, p: Patient) -> None:
        if p.bed is not None:
            self.beds.release(p.ward, p.bed)

    def ready(self, p: Patient) -> None:
        """The patient no longer meets the criteria to reside: the board round after they got
        better finds it, and its day is their discharge ready date (the clinical decision is
        made at a review, so a patient found ready goes home the same day when nothing waits)."""
        when = self._now
        p.ready = when
        noticed = next_round(self, when)
        # Fewer senior reviews at the weekend: some who got better are found ready a day later.
        while self.rng.random() < WEEKEND_DEFERRED[self.day_of(noticed).weekday()]:
            noticed += 24.0
        drd = self.day_of(noticed)
        # A few are recorded as ready from the day they got better, the day before the round
        # (so a sitrep of that day finds them delayed with no reason yet: one to correct).
        if random.Random(f"{p.spell_key}:dated").random() < DATED_WHEN_BETTER:
            drd = self.day_of(when)
        p.events.append((noticed, ev.CriteriaToResideAssessed(False, discharge_ready_date=drd)))
        p.events.append((noticed + 0.1, ev.PathwayAssigned(p.pathway)))
        if p.pathway != "P0" and not p.unwell_again and self.rare.happen(MEETS_CRITERIA_AGAIN):
            self.set_reason(p, noticed + 0.2, ("Hospital process",), None, "HP02")
            self.schedule(self.rare.unwell_again(p, noticed), self.ready, p)
            return
        if p.pathway == "P0":
            if self.rng.random() < SIMPLE_SAME_DAY:
                self.go_home(p, noticed, self.discharge_hour(noticed, today=True))
            else:
                self.set_reason(p, noticed + 0.2, ("Hospital process",), None)
                later = noticed + 24.0 * self.rng.choice((1, 1, 1, 2, 3))
                self.schedule(self.discharge_hour(later), self.discharge, p)
            return
        if self.bridging.takes(p.site, p.pathway, drd):
            self.bridge_home(p, noticed)
            return
        # Whether the wait will run to weeks, and otherwise whether support was arranged
        # ahead, are the stay's own draws.
        own = random.Random(f"{p.spell_key}:planned")
        long_wait = own.random() < LONG_WAIT_SHARE[p.pathway]
        if not long_wait and self.planned_ahead(p, noticed, drd, own):
            return
        # Supported discharge: a hospital-process stage, then the care transfer hub.
        self.set_reason(p, noticed + 0.2, ("Hospital process", "Wellbeing concerns"), None)
        referred = noticed + self.rng.uniform(4.0, 40.0)
        if long_wait:
            # Funding, capacity to decide, safeguarding or a family's choice: weeks, not days.
            referred += 24.0 * (4.0 + min(56.0, self.rng.expovariate(1 / 12)))
            families = ("Care transfer hub process", "Wellbeing concerns")
            self.set_reason(p, noticed + 26.0, families, int(p.pathway[1]))
        self.schedule(referred, self.refer, p)
        if p.pathway in ("P2", "P3") and self.rng.random() < (0.9 if p.pathway == "P3" else 0.3):
            outcome = (
                ev.ChecklistOutcome.POSITIVE
                if self.rng.random() < 0.55
                else ev.ChecklistOutcome.NEGATIVE
            )
            p.events.append((noticed + self.rng.uniform(10, 50), ev.ChcChecklistCompleted(outcome)))
            if outcome is ev.ChecklistOutcome.POSITIVE and self.rng.random() < 0.15:
                assessed = self.day_of(noticed) + timedelta(days=self.rng.randint(2, 8))
                p.events.append(
                    (noticed + 24 * 2, ev.ChcAssessmentRecorded(assessed, ev.CareSetting.ACUTE))
                )

    def go_home(self, p: Patient, found: float, leave: float) -> None:
        """Home at `leave` with nothing to arrange; one waiting overnight or longer for
        medicines to take home and the letter has that reason recorded."""
        if self.day_of(leave) != self.day_of(found):
            self.set_reason(p, found + 0.2, ("Hospital process",), None, "HP03")
        self.schedule(leave, self.discharge, p)

    def bridge_home(self, p: Patient, noticed: float) -> None:
        """The integrated discharge team takes the patient home, reablement bridging."""
        p.referral_no += 1
        ref, reablement = f"{p.spell_key}-R{p.referral_no}", self.services["reablement"]
        p.events.append((noticed + 0.3, ev.ReferralMade(ref, reablement.name, reablement.provider)))
        p.events.append((noticed + 1.0, ev.ReferralAccepted(ref, trusted_assessment=True)))
        self.set_reason(p, noticed + 1.1, ("Interface process",), 1, reablement.arranging_reason)
        home = self.discharge_hour(noticed + self.bridging.hours_to_home(), today=True)
        self.schedule(home, self.discharge, p)

    def planned_ahead(self, p: Patient, noticed: float, drd: date, own: random.Random) -> bool:
        """Whether the patient's support was arranged before they were ready (`own`: the
        stay's own draws): if so the service accepts them at the round and they go home that
        day (a night later with the reason why if the ward or the weekend holds them), and
        their start comes out of the service's own starts."""
        share = PLANNED_AHEAD_SHARE[p.pathway]
        if self.bridging.before_team(p.site, p.pathway, drd):
            share = PLANNED_AHEAD_BEFORE_TEAM
        if own.random() >= share:
            return False
        council = "home-care-LAR01" if p.site in ("RX101", "RX102") else "home-care-LAE01"
        service = self.services["reablement" if own.random() < 0.6 else council]
        service.planned += 1
        p.referral_no += 1
        ref = f"{p.spell_key}-R{p.referral_no}"
        p.events.append((noticed + 0.3, ev.ReferralMade(ref, service.name, service.provider)))
        p.events.append((noticed + 0.5, ev.ReferralAccepted(ref, trusted_assessment=True)))
        self.go_home(p, noticed, self.discharge_hour(noticed + own.uniform(1.0, 5.0), today=True))
        return True

    def set_reason(
        self,
        p: Patient,
        when: float,
        families: tuple[str, ...],
        pathway: int | None,
        code: str | None = None,
    ) -> None:
        if code is None:
            candidates = [
                c
                for c in self.reasons.codes
                if c.family in families
                and (
                    pathway is None
                    or not codes.pathway_numbers(c.pathways)
                    or pathway in codes.pathway_numbers(c.pathways)
                )
            ]
            code = self.rng.choices(
                [c.code for c in candidates], weights=[self.mix[c.code] for c in candidates]
            )[0]
        p.events.append((when, ev.DelayReasonSet(reason=code)))

    def refer(self, p: Patient) -> None:
        if p.discharged is not None:
            return
        now = self._now
        pathway = int(p.pathway[1])
        self.set_reason(p, now, ("Care transfer hub process",), pathway)
        p.referral_no += 1
        ref = f"{p.spell_key}-R{p.referral_no}"
        if p.pathway == "P1":
            council = "home-care-LAR01" if p.site in ("RX101", "RX102") else "home-care-LAE01"
            service = self.services["reablement" if self.rng.random() < 0.6 else council]
            p.events.append((now, ev.ReferralMade(ref, service.name, service.provider)))
            self.schedule(now + self.rng.uniform(6.0, 30.0), self.await_capacity, p, service, ref)
        elif p.pathway == "P2":
            p.events.append((now, ev.ReferralMade(ref, ev.ReferralService.COMMUNITY_BED, "RY1")))
            self.schedule(now + self.rng.uniform(6.0, 30.0), self.await_community_bed, p, ref)
        else:
            service = self.services["care-home"]
            if self.rng.random() < 0.5:
                ta = f"{ref}-TA"
                p.events.append(
                    (now, ev.ReferralMade(ta, ev.ReferralService.TRUSTED_ASSESSOR, "RY1"))
                )
                p.events.append((now + 20.0, ev.ReferralAccepted(ta)))
                p.events.append((now + 44.0, ev.ReferralCompleted(ta)))
            p.events.append((now, ev.ReferralMade(ref, service.name, service.provider)))
            if self.rng.random() < 0.2:
                p.events.append((now + 30.0, ev.ReferralDeclined(ref, "Unable to meet care needs")))
                p.referral_no += 1
                ref = f"{p.spell_key}-R{p.referral_no}"
                p.events.append((now + 31.0, ev.ReferralMade(ref, service.name, "LAE01")))
            self.schedule(now + self.rng.uniform(12.0, 48.0), self.await_capacity, p, service, ref)

    def await_capacity(self, p: Patient, service: Service, ref: str) -> None:
        self.set_reason(p, self._now, ("Capacity",), int(p.pathway[1]), service.stage_reason)
        service.queue.append(p)
        p.pending_ref = ref

    def start_packages(self, start: float) -> None:
        # Services start fewer new packages and placements at the weekend.
        share = 1.0 if self.day_of(start).weekday() < 5 else 0.4
        for service in self.services.values():
            starts = self.poisson(service.starts_per_weekday * share)
            # Those whose support was arranged before they were ready take their starts first.
            owed = min(starts, service.planned)
            service.planned -= owed
            for _ in range(starts - owed):
                if not service.queue:
                    break
                p = service.queue.popleft()
                if p.discharged is not None:
                    continue
                accepted = self._now + self.rng.uniform(0.0, 6.0)
                p.events.append(
                    (
                        accepted,
                        ev.ReferralAccepted(
                            p.pending_ref,
                            trusted_assessment=service.name is ev.ReferralService.CARE_HOME
                            and self.rng.random() < 0.5,
                        ),
                    )
                )
                self.set_reason(
                    p,
                    accepted + 0.1,
                    ("Interface process",),
                    int(p.pathway[1]),
                    service.arranging_reason,
                )
                leave = accepted + 24.0 * self.rng.choice((0.5, 1, 1, 1.5, 2))
                self.schedule(self.discharge_hour(leave), self.discharge, p)

    def await_community_bed(self, p: Patient, ref: str) -> None:
        self.set_reason(p, self._now, ("Capacity",), 2, "CAP02")
        p.pending_ref = ref
        self.community_queue.append(p)

    def fill_community_beds(self, start: float) -> None:
        wards = [
            w.code
            for w in system.WARDS
            if w.type in (WardType.COMMUNITY, WardType.DISCHARGE_TO_ASSESS)
        ]
        while self.community_queue and any(self.beds.free[w] for w in wards):
            p = self.community_queue.popleft()
            if p.discharged is not None:
                continue
            found = self.beds.take(self.rng, wards)
            assert found is not None
            ward, bed = found
            accepted = self._now + self.rng.uniform(0.0, 3.0)
            p.events.append((accepted, ev.ReferralAccepted(p.pending_ref)))
            self.set_reason(p, accepted + 0.1, ("Interface process",), 2, "IP01")
            leave = self.discharge_hour(accepted + 24.0 * self.rng.choice((0, 1, 1)))
            self.schedule(leave, self.discharge, p, (ward, bed))

    def discharge_hour(self, when: float, today: bool = False) -> float:
        """An hour patients leave at, after `when`; `today`: later the same day if the day
        has hours left (a patient found ready with nothing to wait for goes that day)."""
        day = math.floor(when / 24.0) * 24.0
        weights: tuple[float, ...] = DISCHARGE_HOURS
        if today and any(DISCHARGE_HOURS[math.ceil(when - day) :]):
            weights = tuple(w if h >= when - day else 0.0 for h, w in enumerate(DISCHARGE_HOURS))
        hour = self.rng.choices(range(24), weights=weights)[0] + self.rng.random()
        at = day + hour if day + hour > when else day + hour + 24.0
        # Fewer discharges at the weekend: fewer senior reviews, pharmacy and transport (a
        # patient found ready at a weekend round with nothing to wait for still goes).
        while not today and self.rng.random() < WEEKEND_DEFERRED[self.day_of(at).weekday()]:
            at += 24.0
        return at

    def discharge(self, p: Patient, community_bed: tuple[str, str] | None = None) -> None:
        when = self._now
        if p.discharged is not None:
            return
        p.discharged = when
        self.release_bed(p)
        destination = {
            "P0": "usual residence",
            "P1": "usual residence",
            "P2": "community bed",
            "P3": "care home",
        }[p.pathway]
        if p.kind == "acute":
            for r in range(1, p.referral_no + 1):
                ref = f"{p.spell_key}-R{r}"
                if any(
                    isinstance(x, ev.ReferralAccepted) and x.referral_id == ref for _, x in p.events
                ):
                    p.events.append((when, ev.ReferralCompleted(ref)))
            died = p.pathway == "P0" and self.rng.random() < 0.03
            p.events.append(
                (when, ev.Discharged(destination="died" if died else destination, died=died))
            )
            back = self.rng.random()
            if not died and back < READMITTED_WITHIN_30_DAYS:
                self.schedule(when + 24.0 * readmitted_after(self.rng), self.readmit, p)
            elif not died and back < READMITTED_WITHIN_30_DAYS + READMITTED_31_TO_90_DAYS:
                self.schedule(when + 24.0 * readmitted_later(self.rng), self.readmit, p)
        else:
            p.events.append((when, ev.Discharged(destination=destination)))
        if community_bed is not None:
            self.admit_community(p, when + self.rng.uniform(0.5, 3.0), community_bed)

    def readmit(self, p: Patient) -> None:
        admit_acute(self, p.site, "emergency", returning=p)

    # ---- community and mental health ------------------------------------------------------

    def admit_community(self, acute: Patient, when: float, bed: tuple[str, str]) -> None:
        site = self.wards[bed[0]].site_code
        p = self.new_patient(site, "community", acute.age)
        p.patient_id = acute.patient_id
        p.ward, p.bed = bed
        p.admitted = when
        admitted = ev.Admitted(
            acute.patient_id,
            site,
            p.ward,
            p.bed,
            ev.AdmissionMethod.TRANSFER,
            self.wards[p.ward].specialty,
        )
        p.events.append((when, same_person(admitted, acute, self.org_of_site[site])))
        stay = 24.0 * 12.0 * math.exp(self.rng.gauss(0.0, 0.6))
        ready = when + stay
        leave = ready
        if self.rng.random() < 0.25:
            leave = ready + 24.0 * self.rng.uniform(1.0, 12.0)
            dtoc, agency = self.rng.choice(
                (("E", "SC"), ("E", "SC"), ("A", "SC"), ("G", "NHS"), ("F", "SC"))
            )
            reason = ev.DelayReasonSet(dtoc_reason=dtoc, responsible_agency=agency)
            self.rare.wait_in_bed(p, ready, leave, reason, 0.5)
        p.pathway = community_pathway(p.spell_key)
        p.events.append((max(when, ready - 1.0), ev.PathwayAssigned(p.pathway)))
        self.schedule(leave, self.discharge, p)

    def emit(self) -> Iterator[ev.Event]:
        window = self.hours_at(self.window_start)
        for p in self.patients:
            if p.discharged is not None and p.discharged < window:
                continue
            if p.admitted >= self.horizon:
                continue
            yield from recorded_events(p, self.instant, self.horizon)


def generate(seed: int, days: int, end: date) -> list[ev.Event]:
    """The demo system's events for `days` days ending on `end` (inclusive)."""
    sim = DemoSystem(seed, days, end)
    sim.run()
    board_rounds(sim, sim.patients, end)
    stranded_reviews(sim, sim.patients, end)
    hub_referrals(sim, sim.patients, seed)
    events = list(sim.emit())
    horizon = sim.instant(sim.horizon)
    closure = tuple(sim.instant(h) for h in sim.bay_closure())
    beds = bed_states(events, seed, horizon, (closure[0], closure[1]))
    return events + bed_requests(events, seed, horizon) + beds
