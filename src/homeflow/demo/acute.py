"""The demo's acute admissions and the choice of ward: who arrives at an acute site, which bed
they take (a ward of their own specialty, else outlying on another, else a wait for the next
bed to free), when a board round first sees them, a same-day stay going home within hours, and
the move on from the assessment unit.

Functions of the simulation (generator.DemoSystem): they use its beds, clock and random draws,
and hand each patient on to its discharge pathway.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from homeflow.demo import system
from homeflow.demo.improvement import pathway_weights
from homeflow.demo.people import (
    CANCELLED_ADMISSIONS,
    CLINICAL_CRITERIA,
    CRITERIA,
    Patient,
    admitted_payload,
    same_person,
)
from homeflow.demo.realism import ELDERLY_AGE
from homeflow.domain import events as ev

if TYPE_CHECKING:
    from homeflow.demo.generator import DemoSystem

# The sites' assessment wards take every specialty; elsewhere another team's patient outlies.
MEDICAL_OUTLIER = "General Medicine"


def site_wards(sim: DemoSystem, site: str, prefix: str = "") -> list[str]:
    """The site's wards whose code starts with `prefix`; "M:elderly" and "M:others" are
    its elderly-care and its other medical wards."""
    found = sim.wards_of.get((site, prefix))
    if found is None:
        code, _, which = prefix.partition(":")
        found = sim.wards_of[site, prefix] = [
            w.code
            for w in system.WARDS
            if w.site_code == site
            and w.code.startswith(f"{site}-{code}")
            and (not which or (w.specialty == "Elderly Care") == (which == "elderly"))
        ]
    return found


# ---- acute -----------------------------------------------------------------------------------


def admit_acute(sim: DemoSystem, site: str, kind: str, returning: Patient | None = None) -> None:
    """A patient arrives at the site (`returning`: readmitted): `kind` is elective,
    emergency (medical), surgical (an emergency under the surgeons) or same-day (an
    emergency who goes home within the day)."""
    if returning is None:
        mean = {"elective": 60, "surgical": 62, "same-day": 55}.get(kind, 70)
        age = int(min(100, max(18, sim.rng.gauss(mean, 17))))
    else:
        age = returning.age
    if kind == "elective":
        found = sim.beds.take(sim.rng, site_wards(sim, site, "S"))
        if found is not None:
            admit_acute_to(sim, site, kind, age, *found, returning)
        # With no surgical bed free, the operation is cancelled, as hospitals do.
        return
    found = sim.beds.take(sim.rng, site_wards(sim, site, "S")) if kind == "surgical" else None
    found = (
        found
        or sim.beds.take(sim.rng, site_wards(sim, site, "AMU"))
        or medical_bed(sim, site, age)
        or sim.beds.take(sim.rng, site_wards(sim, site, "S"))
    )
    if found is not None:
        admit_acute_to(sim, site, kind, age, *found, returning)
        return
    sim.beds.wait(
        site,
        lambda ward, bed: sim.schedule(
            sim._now + 0.5, admit_acute_to, sim, site, kind, age, ward, bed, returning
        ),
        lambda ward: (sim.wards[ward].specialty == "Elderly Care") == (age >= ELDERLY_AGE),
    )


def medical_bed(sim: DemoSystem, site: str, age: int) -> tuple[str, str] | None:
    """A medical bed: older people on the elderly-care wards (else another medical ward),
    younger ones on the other medical wards (else, for them, a surgical ward first: the
    elderly-care beds are the last a younger patient takes)."""
    elderly, others = site_wards(sim, site, "M:elderly"), site_wards(sim, site, "M:others")
    if age >= ELDERLY_AGE:
        return sim.beds.take(sim.rng, elderly) or sim.beds.take(sim.rng, others)
    return (
        sim.beds.take(sim.rng, others)
        or sim.beds.take(sim.rng, site_wards(sim, site, "S"))
        or sim.beds.take(sim.rng, elderly)
    )


def admit_acute_to(
    sim: DemoSystem,
    site: str,
    kind: str,
    age: int,
    ward: str,
    bed: str,
    returning: Patient | None,
) -> None:
    when = sim._now
    method = "elective" if kind == "elective" else "emergency"
    p = sim.new_patient(site, "acute", age)
    reviewed = sim.bed_review is not None and sim.day_of(when) >= sim.bed_review
    weights = pathway_weights(age, reviewed)
    p.pathway = sim.rng.choices(("P0", "P1", "P2", "P3"), weights=weights)[0]
    p.ward, p.bed = ward, bed
    p.admitted = when
    specialty = sim.wards[ward].specialty
    if kind in ("emergency", "same-day") and ward.startswith(f"{site}-S"):
        specialty = MEDICAL_OUTLIER  # a medical patient outlying on a surgical ward
    admitted = admitted_payload(sim.rng, p, method, specialty, sim.day_of(when), sim.issued)
    if returning is not None:
        p.patient_id = returning.patient_id
        admitted = same_person(admitted, returning, sim.org_of_site[site])
    p.events.append((when, admitted))
    if sim.rare.happen(CANCELLED_ADMISSIONS):
        sim.schedule(sim.rare.cancel(p, when), sim.release_bed, p)
        return
    if kind == "same-day" and returning is None:
        p.pathway = "P0"
        sim.schedule(when + sim.rng.uniform(3.0, 14.0), home_today, sim, p)
        return
    median = (3.6 if method == "emergency" else 2.0) * (1.0 if p.pathway == "P0" else 1.7)
    clinical = median * math.exp(sim.rng.gauss(0.0, 0.85)) * 24.0
    first_round = next_round(sim, when)
    if sim.rng.random() < 0.88:
        edd = sim.day_of(when + clinical * math.exp(sim.rng.gauss(0.0, 0.3)))
        p.events.append(
            (first_round, ev.ExpectedDischargeDateSet(edd, sim.rng.choice(CLINICAL_CRITERIA)))
        )
    p.events.append(
        (first_round + 0.2, ev.CriteriaToResideAssessed(True, (sim.rng.choice(CRITERIA),)))
    )
    if p.ward.endswith("AMU"):
        sim.schedule(when + sim.rng.uniform(8.0, 40.0), move_from_amu, sim, p)
    sim.schedule(max(when + clinical, first_round + 1.0), sim.ready, p)


def home_today(sim: DemoSystem, p: Patient) -> None:
    """A same-day emergency stay: assessed, treated and home within hours, never counted
    as delayed (no board round finds them ready), home on pathway 0."""
    when = sim._now
    p.ready = when
    p.events.append((when, ev.PathwayAssigned("P0")))
    sim.schedule(when + sim.rng.uniform(0.5, 4.0), sim.discharge, p)


def next_round(sim: DemoSystem, when: float) -> float:
    day = math.floor(when / 24.0) * 24.0
    round_time = day + 9.0 + sim.rng.uniform(0.0, 2.5)
    return round_time if round_time > when else round_time + 24.0


def move_from_amu(sim: DemoSystem, p: Patient) -> None:
    if p.discharged is not None or p.ready is not None:
        return
    found = medical_bed(sim, p.site, p.age)
    specialty = sim.wards[found[0]].specialty if found else MEDICAL_OUTLIER
    # With the medical wards full, a patient moves on to outlie on a surgical ward rather
    # than hold an assessment bed; with those full too, they stay until discharged.
    found = found or sim.beds.take(sim.rng, site_wards(sim, p.site, "S"))
    if found is None:
        return
    sim.release_bed(p)
    p.ward, p.bed = found
    p.events.append((sim._now, ev.Transferred(*found, specialty)))
