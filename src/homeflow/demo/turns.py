"""The demo's rare turns: an admission entered in error and cancelled, and a patient found
ready to leave who meets the criteria to reside again (rates and sources in demo/people.py).
They draw from a generator of their own, so that everything else in the demo keeps the draws
it had without them."""

from __future__ import annotations

import random
from dataclasses import replace

from homeflow.demo.agenda import Agenda
from homeflow.demo.people import CRITERIA, MEETS_CRITERIA_AGAIN_WHILE_WAITING, Patient
from homeflow.domain import events as ev


class RareTurns:
    def __init__(self, seed: int, sim: Agenda) -> None:
        self.rng = random.Random(f"{seed}:rare")
        self.sim = sim

    def happen(self, rate: float) -> bool:
        return self.rng.random() < rate

    def cancel(self, p: Patient, admitted: float) -> float:
        """The admission was entered in error and is cancelled (HL7 A11) within hours:
        nothing follows it. When it is cancelled."""
        cancelled = admitted + self.rng.uniform(0.2, 4.0)
        p.events.append((cancelled, ev.AdmissionCancelled()))
        p.discharged = cancelled  # gone: no board round, no discharge, no readmission
        return cancelled

    def unwell_again(self, p: Patient, noticed: float) -> float:
        """An acute patient found ready at `noticed` is unwell again before anything is
        arranged: when they are well again, and the discharge starts over."""
        p.unwell_again, p.ready = True, None
        unwell = noticed + self.rng.uniform(4.0, 36.0)
        p.events.append((unwell, self._meets()))
        return unwell + self.rng.uniform(24.0, 96.0)

    def wait_in_bed(
        self,
        p: Patient,
        ready: float,
        leave: float,
        reason: ev.DelayReasonSet,
        noted: float,
        period: ev.MhDelayRecorded | None = None,
    ) -> None:
        """A patient of a community or mental-health ward, found ready at `ready`, waits
        until `leave` under a DToC reason noted `noted` hours later. Some of those waiting
        three days or more meet the criteria to reside again for a while (which ends the delay
        and its reason), then are ready again and the reason is noted again. A mental-health
        ward records the wait as a delayed discharge `period` too (MHSDS), noted with the
        reason: ended when the patient is unwell again, a second period from when they are
        ready again, and one still open when they leave ends at the discharge."""
        p.events.append((ready, self._ready_on(ready)))
        p.events.append((ready + noted, reason))
        if period is not None:
            period = replace(period, start_date=self.sim.day_of(ready))
            p.events.append((ready + noted, period))
        if leave - ready < 72.0 or not self.happen(MEETS_CRITERIA_AGAIN_WHILE_WAITING):
            return
        unwell = ready + noted + self.rng.uniform(4.0, 24.0)
        p.events.append((unwell, self._meets()))
        again = unwell + self.rng.uniform(24.0, min(96.0, leave - unwell - 12.0))
        p.events.append((again, self._ready_on(again)))
        p.events.append((again + noted, reason))
        if period is not None:
            p.events.append((unwell, replace(period, end_date=self.sim.day_of(unwell))))
            again_from = self.sim.day_of(again)
            p.events.append(
                (
                    again + noted,
                    replace(period, period_id=f"{period.period_id}-2", start_date=again_from),
                )
            )

    def _meets(self) -> ev.CriteriaToResideAssessed:
        return ev.CriteriaToResideAssessed(True, (self.rng.choice(CRITERIA),))

    def _ready_on(self, at: float) -> ev.CriteriaToResideAssessed:
        return ev.CriteriaToResideAssessed(False, discharge_ready_date=self.sim.day_of(at))
