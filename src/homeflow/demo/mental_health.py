"""The demo's mental-health unit: who is admitted to Hillside (RW101), how long they stay, and
the one in six or so (18%) whose discharge waits, recorded both as the DToC return's reason and as
MHSDS v6's delayed discharge period.

Functions of the simulation (generator.DemoSystem), as acute.py's are.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from homeflow.demo.acute import site_wards
from homeflow.demo.people import admitted_payload
from homeflow.domain import events as ev

if TYPE_CHECKING:
    from homeflow.demo.generator import DemoSystem

# The mental-health unit's DToC reasons as MHSDS v6 records the wait (reason, attributable to):
# housing to supported accommodation (social care), a care package (social care), further NHS
# care (NHS), an assessment by another agency (both), the patient's or family's choice (NHS).
MH_DELAY_OF_DTOC = {
    "I": ("18", "05"),
    "E": ("09", "05"),
    "C": ("05", "04"),
    "A": ("37", "06"),
    "G": ("11", "04"),
}


def admit_mental_health(sim: DemoSystem) -> None:
    """A patient arrives at the unit: a free bed, else the next one to free."""
    found = sim.beds.take(sim.rng, site_wards(sim, "RW101"))
    if found is None:
        sim.beds.wait(
            "RW101",
            lambda ward, bed: sim.schedule(sim._now + 0.5, admit_mental_health_to, sim, ward, bed),
        )
    else:
        admit_mental_health_to(sim, *found)


def admit_mental_health_to(sim: DemoSystem, ward: str, bed: str) -> None:
    when = sim._now
    age = int(min(90, max(18, sim.rng.gauss(40, 15))))
    p = sim.new_patient("RW101", "mental-health", age)
    p.ward, p.bed = ward, bed
    p.admitted = when
    p.events.append(
        (
            when,
            admitted_payload(
                sim.rng, p, "emergency", "Adult Mental Health", sim.day_of(when), sim.issued
            ),
        )
    )
    stay = 24.0 * 26.0 * math.exp(sim.rng.gauss(0.0, 0.75))
    leave = when + stay
    if sim.rng.random() < 0.18:
        ready = when + stay * 0.7
        ready_day = sim.day_of(ready)
        dtoc, agency = sim.rng.choice(
            (("I", "HOUSING"), ("E", "SC"), ("C", "NHS"), ("A", "BOTH"), ("G", "NHS"))
        )
        leave = ready + 24.0 * sim.rng.uniform(3.0, 40.0)
        reason = ev.DelayReasonSet(dtoc_reason=dtoc, responsible_agency=agency)
        # The same wait as MHSDS records it: the unit's delayed discharge period.
        mh_reason, attributable = MH_DELAY_OF_DTOC[dtoc]
        period = ev.MhDelayRecorded(f"MH-{p.patient_id}", ready_day, mh_reason, attributable)
        sim.rare.wait_in_bed(p, ready, leave, reason, 1.0, period)
    sim.schedule(leave, sim.discharge, p)
