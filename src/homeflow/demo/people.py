"""What the demo's patients are made of: names, the hours people arrive and leave, criteria
and red-day reasons, the national delay-reason mix, and the records the simulation keeps of
each patient and downstream service."""

from __future__ import annotations

import csv
import io
import random
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from importlib import resources

from homeflow.domain import events as ev
from homeflow.domain.organisations import issuer_of, nhs_number_check_digit, patient_key

SOURCE = "demo"

FAMILY_NAMES = (  # noqa: SIM905 - easier to read as prose
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson "
    "Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson "
    "Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan "
    "Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell "
    "Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan"
).split()
GIVEN_NAMES = (  # noqa: SIM905
    "Margaret Jean Mary Patricia Barbara Joan Dorothy Elizabeth Susan Linda Christine Anne "
    "Sandra Janet Maureen Irene Pauline Sheila Brenda Doreen John David Michael Peter Robert "
    "James William Brian Anthony George Kenneth Alan Stephen Richard Keith Thomas Colin Roy "
    "Derek Raymond Amir Priya Oliver Amelia Grace Mohammed Sophie Daniel Emma Ravi"
).split()


@dataclass
class Patient:
    spell_key: str
    patient_id: str
    site: str
    kind: str  # acute, mental-health, community
    age: int
    pathway: str = "P0"
    ward: str = ""
    bed: str | None = None
    events: list[tuple[float, ev.Payload]] = field(default_factory=list)
    admitted: float = 0.0
    discharged: float | None = None
    ready: float | None = None
    unwell_again: bool = False  # met the criteria to reside again after being found ready
    referral_no: int = 0
    pending_ref: str = ""


@dataclass
class Service:
    """A downstream service that starts a limited number of packages or placements a day."""

    name: ev.ReferralService
    provider: str
    starts_per_weekday: float
    stage_reason: str  # capacity reason while waiting
    arranging_reason: str  # interface reason once accepted
    queue: deque[Patient] = field(default_factory=deque)
    planned: int = 0  # starts owed to patients whose support was arranged before they were ready


def delay_reason_mix() -> dict[str, float]:
    text = resources.files("homeflow.demo").joinpath("delay_reason_mix.csv").read_text("utf-8")
    return {r["code"]: float(r["share"]) for r in csv.DictReader(io.StringIO(text))}


EMERGENCY_HOURS = (
    2,
    1.5,
    1,
    1,
    1,
    1,
    1.5,
    2,
    3,
    4,
    5,
    5.5,
    6,
    6,
    6,
    6,
    6,
    5.5,
    5,
    4.5,
    4,
    3.5,
    3,
    2.5,
)
DISCHARGE_HOURS = (
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0.3,
    1,
    2.2,
    3.6,
    5.5,
    6.5,
    7,
    7.5,
    7,
    6,
    4.5,
    3,
    2,
    1.2,
    0.5,
    0.2,
)
CRITERIA = ("02", "03", "04", "06", "08", "12")
CLINICAL_CRITERIA = (
    "Off oxygen for 24 hours; mobilising safely with frame",
    "Inflammatory markers falling; switched to oral antibiotics",
    "Pain controlled on oral analgesia; tolerating diet",
    "NEWS 2 or less for 24 hours; cleared by physiotherapy",
    "Bloods stable; medicines reconciled",
)
# About one in seven patients discharged alive from an acute ward comes back as an emergency
# within 30 days (England's emergency readmission rate), most of them in the first fortnight.
READMITTED_WITHIN_30_DAYS = 0.14
READMISSION_MEAN_DAYS = 12.0
# Some more come back between a month and three months after leaving: England's 91-day
# emergency readmission rate is about half as high again as its 30-day rate (see docs/demo.md).
READMITTED_31_TO_90_DAYS = 0.07
# Rare turns a feed and a ward must handle. An admission entered in error (the wrong patient,
# or one who went home from the emergency department) is cancelled, HL7 A11, within hours:
# 2 in 1,000 admissions (no national figure is published: a correction rate, kept rare).
# A patient found ready to leave who becomes unwell and meets the criteria to reside again:
# 7 of 58 delayed older patients in an English district general hospital (Jasinarachchi et
# al., BMC Geriatrics 2009; 9:4: 12% of delays, 4 per 100 admissions to its care-of-the-
# elderly wards). The demo gives it to 1 in 100 acute patients found ready on pathways 1-3
# (younger, and most leave within days) and to the study's 12% of patients delayed three days
# or more in community and mental-health beds (waits of weeks): about 5 per 1,000 stays in
# all; cancellations about 1 per 1,000 (the 40-day demo of seed 11: 38 and 9 of 8,243).
CANCELLED_ADMISSIONS = 0.002
MEETS_CRITERIA_AGAIN = 0.01
MEETS_CRITERIA_AGAIN_WHILE_WAITING = 7 / 58


def readmitted_after(rng: random.Random) -> float:
    """Days to an emergency readmission: exponential, within 30 days."""
    while True:
        days = rng.expovariate(1.0 / READMISSION_MEAN_DAYS)
        if 0.2 <= days <= 29.5:
            return days


def readmitted_later(rng: random.Random) -> float:
    """Days to an emergency readmission after the first month: within three months."""
    return rng.uniform(30.5, 90.0)


RED_REASONS = (
    "Planned scan not done today",
    "Awaiting specialist opinion",
    "Therapy assessment not done",
    "Test results not reviewed",
)


def downstream_services() -> dict[str, Service]:
    """Reablement, two councils' home care and care homes, with their starts a weekday."""
    return {
        "reablement": Service(ev.ReferralService.REABLEMENT, "RY1", 58.0, "CAP05", "IP04"),
        "home-care-LAR01": Service(ev.ReferralService.HOME_CARE, "LAR01", 25.5, "CAP10", "IP08"),
        "home-care-LAE01": Service(ev.ReferralService.HOME_CARE, "LAE01", 11.0, "CAP10", "IP08"),
        "care-home": Service(ev.ReferralService.CARE_HOME, "LAR01", 3.0, "CAP11", "IP11"),
    }


def recorded_events(
    p: Patient, instant: Callable[[float], datetime], horizon: float
) -> Iterator[ev.Event]:
    """A patient's events up to the horizon, as the feeds and staff would have recorded them."""
    for n, (when, payload) in enumerate(p.events):
        if when >= horizon:
            continue
        occurred = instant(when)
        yield ev.Event(
            key=f"{SOURCE}:{p.spell_key}:{n}",
            source=SOURCE,
            occurred_at=occurred,
            received_at=occurred + timedelta(seconds=30),
            spell_key=p.spell_key,
            payload=payload,
            recorded_by=None
            if isinstance(payload, ev.Admitted | ev.Transferred | ev.Discharged)
            else "demo",
        )


# Each site's own council, the one most of its patients live in.
COUNCIL_OF_SITE = {"RX101": "LAR01", "RX102": "LAR01", "RX201": "LAE01", "RW101": "LAR01"}
COUNCILS = ("LAR01", "LAE01")
# About one patient in eight lives in the other council: a hospital near the boundary.
FROM_THE_OTHER_COUNCIL = 12


def council_of_residence(site: str, nhs_number: str) -> str:
    """The patient's local authority of residence: mostly their site's council, one in eight
    the other's. Read from the NHS number, not drawn from the simulation's random numbers,
    so that every other draw (and every figure of the demo) stays as it was."""
    home = COUNCIL_OF_SITE.get(site, COUNCILS[0])
    if int(nhs_number[3:9]) % 100 < FROM_THE_OTHER_COUNCIL:
        return next(c for c in COUNCILS if c != home)
    return home


def admitted_payload(
    rng: random.Random, p: Patient, method: str, specialty: str, on: date, issued: set[str]
) -> ev.Admitted:
    """The patient's admission, with a made-up name, birth date and NHS number (one not
    `issued` to anyone else: two people never share one)."""
    born = on - timedelta(days=int(p.age * 365.25 + rng.randrange(365)))
    nhs_number = demo_nhs_number(rng, issued)
    local_id = f"{p.site}{p.patient_id[-7:]}"
    return ev.Admitted(
        # The treating organisation's own record of the patient, as its feed would key it.
        patient_id=patient_key(
            str(issuer_of(p.spell_key)), nhs_number, p.site, local_id, "nhs_number"
        ),
        site_code=p.site,
        ward_code=p.ward,
        bed=p.bed,
        admission_method=ev.AdmissionMethod(method),
        specialty=specialty,
        nhs_number=nhs_number,
        local_id=local_id,
        family_name=rng.choice(FAMILY_NAMES),
        given_name=rng.choice(GIVEN_NAMES),
        birth_date=born,
        sex=rng.choice(("female", "male")),
        local_authority=council_of_residence(p.site, nhs_number),
    )


def demo_nhs_number(rng: random.Random, issued: set[str]) -> str:
    """A valid NHS number in the 999 range (never given to a real person), new to `issued`."""
    while True:
        first = "999" + f"{rng.randrange(10**6):06d}"
        check = nhs_number_check_digit(first)
        if check is not None and f"{first}{check}" not in issued:
            issued.add(f"{first}{check}")
            return f"{first}{check}"


def same_person(admitted: ev.Admitted, earlier: Patient, org: str) -> ev.Admitted:
    """`admitted` with the identity the patient's earlier spell recorded, in the record `org`
    (the organisation now treating them) keeps: another trust's record of the same person,
    linked to the first by the NHS number."""
    first = next(x for _, x in earlier.events if isinstance(x, ev.Admitted))
    return replace(
        admitted,
        patient_id=patient_key(
            org, first.nhs_number, admitted.site_code, first.local_id, "nhs_number"
        ),
        nhs_number=first.nhs_number,
        local_id=first.local_id,
        family_name=first.family_name,
        given_name=first.given_name,
        birth_date=first.birth_date,
        sex=first.sex,
        local_authority=first.local_authority,
    )


# The pathway patients leave community and discharge-to-assess beds on (P0 home with no new
# support, P1 home with support, P2 another bed, P3 a care home): homeflow's assumption, most
# home and a third of them with support, the rest mostly to care homes.
COMMUNITY_PATHWAYS = (("P0", 0.50), ("P1", 0.32), ("P2", 0.05), ("P3", 0.13))


def community_pathway(spell_key: str) -> str:
    """The pathway a patient leaves a community bed on, drawn from a stream of the stay's own,
    so that the rest of the demo draws what it drew before."""
    rng = random.Random(f"{spell_key}:pathway")
    pathways = [pathway for pathway, _ in COMMUNITY_PATHWAYS]
    return rng.choices(pathways, [weight for _, weight in COMMUNITY_PATHWAYS])[0]
