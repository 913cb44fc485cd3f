"""The demo system's organisations, sites and wards (fictional codes, realistic sizes)."""

from __future__ import annotations

from dataclasses import dataclass

from homeflow.domain.organisations import (
    Organisation,
    OrganisationType,
    Site,
    Ward,
    WardType,
)

ICB = Organisation("QDE", "NHS Demo Integrated Care Board", OrganisationType.ICB)
NORTH = Organisation("RX1", "North Riverside Hospitals NHS Trust", OrganisationType.ACUTE, "QDE")
EAST = Organisation(
    "RX2", "Eastfield University Hospitals NHS Trust", OrganisationType.ACUTE, "QDE"
)
COMMUNITY = Organisation(
    "RY1", "Demo Community Health NHS Trust", OrganisationType.COMMUNITY, "QDE"
)
MENTAL_HEALTH = Organisation(
    "RW1", "Demo Mental Health NHS Foundation Trust", OrganisationType.MENTAL_HEALTH, "QDE"
)
RIVERSIDE_COUNCIL = Organisation(
    "LAR01", "Riverside City Council", OrganisationType.LOCAL_AUTHORITY, "QDE"
)
EASTFIELD_COUNCIL = Organisation(
    "LAE01", "Eastfield County Council", OrganisationType.LOCAL_AUTHORITY, "QDE"
)
ORGANISATIONS = (ICB, NORTH, EAST, COMMUNITY, MENTAL_HEALTH, RIVERSIDE_COUNCIL, EASTFIELD_COUNCIL)

SITES = (
    Site("RX101", "Riverside General Hospital", "RX1"),
    Site("RX102", "Northgate Hospital", "RX1"),
    Site("RX201", "Eastfield Royal Infirmary", "RX2"),
    Site("RY101", "Millbrook Community Hospital", "RY1"),
    Site("RY102", "Orchard Discharge to Assess Unit", "RY1"),
    Site("RW101", "Hillside Mental Health Unit", "RW1"),
)

_MEDICAL = ("General Medicine", "Respiratory", "Cardiology", "Elderly Care", "Gastroenterology")
_SURGICAL = ("General Surgery", "Orthopaedics", "Urology")


def _acute_wards(site: str, medical: int, surgical: int, beds: int) -> tuple[Ward, ...]:
    wards = [
        Ward(f"{site}-AMU", "Acute Medical Unit", site, beds + 4, "Acute Medicine", WardType.ACUTE)
    ]
    for n in range(medical):
        specialty = _MEDICAL[n % len(_MEDICAL)]
        wards.append(
            Ward(
                f"{site}-M{n + 1:02d}",
                f"{specialty} {n + 1}",
                site,
                beds,
                specialty,
                WardType.ACUTE,
            )
        )
    for n in range(surgical):
        specialty = _SURGICAL[n % len(_SURGICAL)]
        wards.append(
            Ward(
                f"{site}-S{n + 1:02d}",
                f"{specialty} {n + 1}",
                site,
                beds,
                specialty,
                WardType.ACUTE,
            )
        )
    return tuple(wards)


WARDS = (
    *_acute_wards("RX101", 18, 6, 28),
    *_acute_wards("RX102", 8, 3, 28),
    *_acute_wards("RX201", 11, 4, 28),
    *(
        Ward(
            f"RY101-C{n}",
            f"Millbrook Ward {n}",
            "RY101",
            22,
            "Community Rehabilitation",
            WardType.COMMUNITY,
        )
        for n in (1, 2, 3)
    ),
    *(
        Ward(
            f"RY102-D{n}",
            f"Orchard D2A {n}",
            "RY102",
            30,
            "Discharge to Assess",
            WardType.DISCHARGE_TO_ASSESS,
        )
        for n in (1, 2)
    ),
    *(
        Ward(
            f"RW101-A{n}",
            f"Hillside Adult Acute {n}",
            "RW101",
            18,
            "Adult Mental Health",
            WardType.MENTAL_HEALTH,
        )
        for n in (1, 2, 3, 4)
    ),
)


@dataclass(frozen=True, slots=True)
class AcuteSite:
    """Demand at an acute site: emergency and elective admissions a day, before patterns."""

    code: str
    emergency_per_day: float
    elective_per_weekday: float


ACUTE_SITES = (
    AcuteSite("RX101", 64.0, 12.0),
    AcuteSite("RX102", 27.5, 6.0),
    AcuteSite("RX201", 36.5, 8.0),
)
