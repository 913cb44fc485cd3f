"""KPIs, daily and weekly, for each ward, site, organisation and the whole system. Pure.

Each KPI is a ratio (numerator over denominator, scaled) computed over a bucket: the records
of one period (a day, or a week from Monday) at one place. Counts come from the daily census
(the midnight snapshot, so one NCTR patient at midnight is one delayed bed-day); stays, CHC
and readmissions from the spell projections. docs/returns.md defines each KPI.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from homeflow.domain.activity import Admission, ChcCase, DayRating, Discharge, KpiData, Place
from homeflow.domain.clock import local_date
from homeflow.domain.errors import InvalidInput
from homeflow.domain.flow import WardDay
from homeflow.domain.hub import within_chc_standard
from homeflow.domain.organisations import person_of
from homeflow.domain.ready_date import counted_in_measures, days_after_ready_date
from homeflow.reports.spc import Better


class Period(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    RANGE = "range"  # the whole range as one period


class Level(StrEnum):
    WARD = "ward"
    SITE = "site"
    ORG = "org"
    SYSTEM = "system"


@dataclass
class Bucket:
    """One period at one place."""

    days: list[date]
    beds: int
    census: list[WardDay] = field(default_factory=list)
    discharges: list[Discharge] = field(default_factory=list)
    chc: list[ChcCase] = field(default_factory=list)
    ratings: list[DayRating] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class KpiValue:
    period_start: date
    period_end: date
    level: Level
    place: str
    kpi: str
    measure: str
    value: float | None
    numerator: float
    denominator: float | None


Part = tuple[str, float, float | None, float]  # measure, numerator, denominator, scale
Compute = Callable[[Bucket, "Readmitted"], list[Part]]


@dataclass(frozen=True, slots=True)
class Kpi:
    name: str
    description: str
    better: Better | None  # None: neither higher nor lower is better (a mix, say)
    compute: Compute
    weekly_only: bool = False
    # Whether it reads the red and green days (finding each on its ward is most of a load).
    reads_ratings: bool = False


def _sum(bucket: Bucket, name: str) -> int:
    return sum(getattr(row, name) for row in bucket.census)


def _los(d: Discharge) -> int:
    return (local_date(d.discharged_at) - local_date(d.admitted_at)).days


def _alive(bucket: Bucket) -> list[Discharge]:
    return [d for d in bucket.discharges if not d.died]


PATHWAYS = ("P0", "P1", "P2", "P3")


def _pathway_mix(bucket: Bucket, _r: Readmitted) -> list[Part]:
    alive = _alive(bucket)
    parts: list[Part] = [
        (p, sum(d.pathway == p for d in alive), len(alive), 100.0) for p in PATHWAYS
    ]
    parts.append(("not recorded", sum(d.pathway is None for d in alive), len(alive), 100.0))
    return parts


def _ready_to_discharge(bucket: Bucket, _r: Readmitted) -> list[Part]:
    parts: list[Part] = []
    for pathway in (*PATHWAYS, None):
        waits = [
            (local_date(d.discharged_at) - d.discharge_ready_date).days
            for d in bucket.discharges
            if d.discharge_ready_date is not None and d.pathway == pathway
        ]
        parts.append((pathway or "not recorded", sum(waits), len(waits), 1.0))
    return parts


def _after_ready_date(d: Discharge) -> int | None:
    """Days from DRD to discharge of a stay the DRD measures count (None for one they do not):
    the rule of `domain.ready_date`, as `homeflow drd` counts it."""
    discharged_on = local_date(d.discharged_at)
    if not counted_in_measures(local_date(d.admitted_at), discharged_on, d.died):
        return None
    return days_after_ready_date(d.discharge_ready_date, discharged_on)


def _on_ready_date(bucket: Bucket, _r: Readmitted) -> list[Part]:
    days = [n for d in bucket.discharges if (n := _after_ready_date(d)) is not None]
    return [("", sum(n == 0 for n in days), len(days), 100.0)]


def _days_after_ready_date(bucket: Bucket, _r: Readmitted) -> list[Part]:
    late = [n for d in bucket.discharges if (n := _after_ready_date(d))]
    return [("", sum(late), len(late), 1.0)]


def _weekend_ratio(bucket: Bucket, _r: Readmitted) -> list[Part]:
    weekend_days = [d for d in bucket.days if d.weekday() >= 5]
    weekdays = [d for d in bucket.days if d.weekday() < 5]
    on = {day: 0 for day in bucket.days}
    for row in bucket.census:
        on[row.day] += row.discharges
    if not weekend_days or not weekdays:
        return [("", 0.0, 0.0, 1.0)]  # undefined for a week cut short
    weekend = sum(on[d] for d in weekend_days) / len(weekend_days)
    weekday = sum(on[d] for d in weekdays) / len(weekdays)
    return [("", weekend, weekday, 1.0)]


def _chc_28_days(bucket: Bucket, _r: Readmitted) -> list[Part]:
    decided = [
        c
        for c in bucket.chc
        if c.decision_date is not None
        and c.positive_checklist_on is not None
        and c.decision_date in bucket.days
    ]
    within = sum(
        c.decision_date is not None
        and c.positive_checklist_on is not None
        and within_chc_standard(c.positive_checklist_on, c.decision_date)
        for c in decided
    )
    return [("", within, len(decided), 100.0)]


def _chc_acute(bucket: Bucket, _r: Readmitted) -> list[Part]:
    assessed = [c for c in bucket.chc if c.assessment_date in bucket.days]
    return [("", sum(c.acute_setting for c in assessed), len(assessed), 100.0)]


def _readmissions(days: int) -> Compute:
    def compute(bucket: Bucket, readmitted: Readmitted) -> list[Part]:
        alive = _alive(bucket)
        return [("", sum(readmitted(d, days) for d in alive), len(alive), 100.0)]

    return compute


KPIS: dict[str, Kpi] = {
    k.name: k
    for k in (
        Kpi(
            "nctr",
            "patients with no criteria to reside at midnight (daily mean)",
            Better.LOWER,
            lambda b, _r: [("", _sum(b, "nctr"), len(b.days), 1.0)],
        ),
        Kpi(
            "nctr-per-100-beds",
            "patients with no criteria to reside per 100 beds (daily mean)",
            Better.LOWER,
            lambda b, _r: [("", _sum(b, "nctr"), b.beds * len(b.days), 100.0)],
        ),
        Kpi(
            "delayed-bed-days",
            "bed-days of patients with no criteria to reside (total)",
            Better.LOWER,
            lambda b, _r: [("", _sum(b, "nctr"), None, 1.0)],
        ),
        Kpi(
            "stranded",
            "patients in hospital 7+ days at midnight (daily mean)",
            Better.LOWER,
            lambda b, _r: [("", _sum(b, "stranded"), len(b.days), 1.0)],
        ),
        Kpi(
            "super-stranded",
            "patients in hospital 21+ days at midnight (daily mean)",
            Better.LOWER,
            lambda b, _r: [("", _sum(b, "super_stranded"), len(b.days), 1.0)],
        ),
        Kpi(
            "mean-los",
            "mean length of stay of patients discharged, in days",
            Better.LOWER,
            lambda b, _r: [("", sum(map(_los, b.discharges)), len(b.discharges), 1.0)],
        ),
        Kpi(
            "median-los",
            "median length of stay of patients discharged, in days",
            Better.LOWER,
            lambda b, _r: [
                (
                    "",
                    statistics.median(map(_los, b.discharges)) if b.discharges else 0.0,
                    1 if b.discharges else 0,
                    1.0,
                )
            ],
        ),
        Kpi(
            "discharged-before-noon-pct",
            "% of discharges before midday",
            Better.HIGHER,
            lambda b, _r: [("", _sum(b, "discharges_before_noon"), _sum(b, "discharges"), 100.0)],
        ),
        Kpi(
            "weekend-weekday-discharge-ratio",
            "discharges a weekend day over discharges a weekday",
            Better.HIGHER,
            _weekend_ratio,
            weekly_only=True,
        ),
        Kpi("pathway-mix", "% of discharges (alive) by pathway", None, _pathway_mix),
        Kpi(
            "ready-to-discharge-days",
            "days from discharge ready date to discharge, by pathway (mean)",
            Better.LOWER,
            _ready_to_discharge,
        ),
        Kpi(
            "discharged-on-ready-date-pct",
            "% discharged on their discharge ready date",
            Better.HIGHER,
            _on_ready_date,
        ),
        Kpi(
            "days-after-ready-date",
            "mean days from ready date to discharge, of those delayed",
            Better.LOWER,
            _days_after_ready_date,
        ),
        Kpi(
            "chc-acute-assessment-pct",
            "% of CHC assessments carried out in an acute setting",
            Better.LOWER,
            _chc_acute,
        ),
        Kpi(
            "chc-28-day-pct",
            "% of CHC decisions within 28 days of a positive checklist",
            Better.HIGHER,
            _chc_28_days,
        ),
        Kpi(
            "readmissions-7-day",
            "% of discharges (alive) readmitted as an emergency within 7 days",
            Better.LOWER,
            _readmissions(7),
        ),
        Kpi(
            "readmissions-30-day",
            "% of discharges (alive) readmitted as an emergency within 30 days",
            Better.LOWER,
            _readmissions(30),
        ),
        Kpi(
            "deaths-in-hospital-pct",
            # Not the share of deaths that happen in hospital (where people die, which the
            # 49.5% end-of-life target is about): homeflow does not hear of deaths elsewhere.
            "% of hospital stays ending in death",
            Better.LOWER,
            lambda b, _r: [("", sum(d.died for d in b.discharges), len(b.discharges), 100.0)],
        ),
        Kpi(
            "red-days-pct",
            "red days as % of occupied bed-days",
            Better.LOWER,
            lambda b, _r: [("", sum(r.red for r in b.ratings), _sum(b, "occupied"), 100.0)],
            reads_ratings=True,
        ),
    )
}


def kpi_named(name: str) -> Kpi:
    if name not in KPIS:
        raise InvalidInput("name", f"{name!r} is not a KPI; use one of {', '.join(KPIS)}")
    return KPIS[name]


class Readmitted:
    """Whether a discharged patient came back as an emergency within so many days."""

    def __init__(self, admissions: Iterable[Admission]) -> None:
        # By person, not by record: each organisation keeps its own record of a patient, and
        # a readmission to another trust is found through the NHS number (`person_of`).
        self.by_person: dict[str, list[datetime]] = {}
        for a in admissions:
            if a.emergency and (person := person_of(a.patient_id)) is not None:
                self.by_person.setdefault(person, []).append(a.admitted_at)

    def __call__(self, discharge: Discharge, days: int) -> bool:
        person = person_of(discharge.patient_id)
        if person is None:
            return False
        limit = discharge.discharged_at + timedelta(days=days)
        return any(discharge.discharged_at < at <= limit for at in self.by_person.get(person, ()))


def periods(first: date, last: date, period: Period) -> list[list[date]]:
    """The days of each period from `first` to `last`; weeks run Monday to Sunday and are
    cut at the ends of the range; a range period is the whole range."""
    if last < first:
        raise InvalidInput("to", "the range ends before it starts")
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    if period is Period.DAILY:
        return [[d] for d in days]
    if period is Period.RANGE:
        return [days]
    weeks: dict[date, list[date]] = {}
    for d in days:
        weeks.setdefault(d - timedelta(days=d.weekday()), []).append(d)
    return list(weeks.values())


# What a KPI's numerator counts, for the list of patients behind a point of its chart: a
# census measure summed over the period's days, or the discharges (of a pathway, when the KPI
# has a measure per pathway) that pass a test. KPIs missing here (CHC cases, red days, the
# weekend ratio) count something other than patients in beds.
CENSUS_COUNTED = {
    "nctr": "nctr",
    "nctr-per-100-beds": "nctr",
    "delayed-bed-days": "nctr",
    "stranded": "stranded",
    "super-stranded": "super_stranded",
    "discharged-before-noon-pct": "discharges_before_noon",
}
DISCHARGES_COUNTED: dict[str, Callable[[Discharge, str, Readmitted], bool]] = {
    "mean-los": lambda _d, _m, _r: True,
    "median-los": lambda _d, _m, _r: True,
    "pathway-mix": lambda d, m, _r: not d.died and (d.pathway or "not recorded") == m,
    "ready-to-discharge-days": lambda d, m, _r: (
        (d.pathway or "not recorded") == m and d.discharge_ready_date is not None
    ),
    "discharged-on-ready-date-pct": lambda d, _m, _r: _after_ready_date(d) == 0,
    "days-after-ready-date": lambda d, _m, _r: bool(_after_ready_date(d)),
    "readmissions-7-day": lambda d, _m, r: not d.died and r(d, 7),
    "readmissions-30-day": lambda d, _m, r: not d.died and r(d, 30),
    "deaths-in-hospital-pct": lambda d, _m, _r: d.died,
}


def counted_discharges(
    name: str, measure: str, discharges: Sequence[Discharge], readmitted: Readmitted
) -> list[Discharge]:
    """The discharges a discharge KPI's numerator counts (for its list of patients)."""
    test = DISCHARGES_COUNTED[name]
    return [d for d in discharges if test(d, measure, readmitted)]


def _place_of(place: Place, level: Level) -> str:
    return {
        Level.WARD: place.ward_code,
        Level.SITE: place.site_code,
        Level.ORG: place.org_code,
        Level.SYSTEM: "system",
    }[level]


def kpi_data_of(data: KpiData, level: Level, place: str) -> KpiData:
    """What one place's KPIs are computed from: its wards' days, discharges, CHC cases and
    ratings, and still every admission (a readmission to another trust counts, found through
    the person)."""
    wards = {code: p for code, p in data.places.items() if _place_of(p, level) == place}
    return replace(
        data,
        places=wards,
        census=[row for row in data.census if row.ward_code in wards],
        discharges=[d for d in data.discharges if d.ward_code in wards],
        chc=[c for c in data.chc if c.ward_code in wards],
        ratings=[r for r in data.ratings if r.ward_code in wards],
    )


def compute_kpi(
    name: str, level: Level, first: date, last: date, period: Period, data: KpiData
) -> list[KpiValue]:
    """One value per period, place and measure (a KPI such as the pathway mix has several)."""
    kpi = kpi_named(name)
    if kpi.weekly_only and period is Period.DAILY:
        raise InvalidInput("period", f"{name} compares weekends with weekdays: use weekly")
    spans = periods(first, last, period)
    period_of = {d: n for n, span in enumerate(spans) for d in span}
    place_of_ward = {code: _place_of(p, level) for code, p in data.places.items()}
    beds: dict[str, int] = {}
    for code, p in data.places.items():
        beds[place_of_ward[code]] = beds.get(place_of_ward[code], 0) + p.beds
    buckets = {
        (n, place): Bucket(span, beds[place])
        for n, span in enumerate(spans)
        for place in sorted(beds)
    }

    def bucket_of(ward_code: str, day: date) -> Bucket | None:
        place = place_of_ward.get(ward_code)
        n = period_of.get(day)
        if place is None or n is None:
            return None
        return buckets[(n, place)]

    for row in data.census:
        if (b := bucket_of(row.ward_code, row.day)) is not None:
            b.census.append(row)
    for d in data.discharges:
        if (b := bucket_of(d.ward_code, local_date(d.discharged_at))) is not None:
            b.discharges.append(d)
    for c in data.chc:
        # A case assessed and decided in the same period belongs to that bucket once.
        held = {
            id(b): b
            for day in (c.assessment_date, c.decision_date)
            if day is not None and (b := bucket_of(c.ward_code, day)) is not None
        }
        for b in held.values():
            b.chc.append(c)
    for r in data.ratings:
        if (b := bucket_of(r.ward_code, r.day)) is not None:
            b.ratings.append(r)
    readmitted = Readmitted(data.admissions)
    values = []
    for (n, place), bucket in sorted(buckets.items()):
        span = spans[n]
        for measure, numerator, denominator, scale in kpi.compute(bucket, readmitted):
            value = None
            if denominator is None:
                value = float(numerator)
            elif denominator:
                value = scale * numerator / denominator
            values.append(
                KpiValue(
                    span[0], span[-1], level, place, name, measure, value, numerator, denominator
                )
            )
    return values


def change_from_baseline(values: Sequence[KpiValue], baseline: date) -> dict[int, float | None]:
    """For each value (by index), its % change from the same place and measure's value in
    the period that holds `baseline`."""
    base = {
        (v.place, v.measure): v.value for v in values if v.period_start <= baseline <= v.period_end
    }
    if not base:
        raise InvalidInput("baseline", f"{baseline} is not in the range asked for")
    changes: dict[int, float | None] = {}
    for i, v in enumerate(values):
        before = base.get((v.place, v.measure))
        changes[i] = None if not before or v.value is None else 100 * (v.value - before) / before
    return changes
