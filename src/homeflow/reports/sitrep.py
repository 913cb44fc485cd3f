"""The daily discharge situation report, in NHS England's long format.

For each acute trust and day: patients who no longer meet the criteria to reside at the
midnight ending the day; patients discharged (by 17:00, 17:01-23:59, in total and by
pathway); those remaining who no longer meet the criteria, by the 37 delay reasons; and the
7+, 14+ and 21+ length-of-stay groups with their delayed bed-days. docs/returns.md defines
each metric and the events it comes from. Pure: it takes folded spells and returns rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time
from functools import cache

from homeflow.domain import codes
from homeflow.domain.clock import local_date, local_time, midnight_after
from homeflow.domain.flow import days_delayed, delay_reason_at, is_nctr_at, length_of_stay_days
from homeflow.domain.spell import SpellState

FIVE_PM = time(17, 0)
COLUMNS = ("Period", "Org Code", "Org Name", "Metric", "Metric Type", "Metric Group", "Value")
NOT_RECORDED = "Delay reason not recorded"


@dataclass(frozen=True, slots=True)
class SitrepRow:
    period: date
    org_code: str
    org_name: str
    metric: str
    metric_type: str
    metric_group: str
    value: int

    def as_list(self) -> list[str | int]:
        return [
            self.period.isoformat(),
            self.org_code,
            self.org_name,
            self.metric,
            self.metric_type,
            self.metric_group,
            self.value,
        ]


def sitrep(
    day: date,
    spells: Iterable[SpellState],
    org_of_site: Mapping[str, str],
    org_names: Mapping[str, str],
) -> list[SitrepRow]:
    """The sitrep rows for `day`, one set per organisation in `org_names`."""
    midnight = midnight_after(day)
    counts: dict[str, Counter[tuple[str, str, str]]] = {org: Counter() for org in org_names}
    for spell in spells:
        org = org_of_site.get(spell.site_code or "")
        if org not in counts or spell.admitted_at is None:
            continue
        tally = counts[org]
        if spell.discharged_at is not None and local_date(spell.discharged_at) == day:
            by_five = local_time(spell.discharged_at) <= FIVE_PM
            tally[
                ("Patients discharged", "Discharges", "By 17:00" if by_five else "17:01 to 23:59")
            ] += 1
            tally[("Patients discharged", "Discharges", "Total")] += 1
            tally[
                (
                    "Patients discharged by pathway",
                    "Discharges",
                    spell.pathway or "Pathway not recorded",
                )
            ] += 1
        if not is_nctr_at(spell, midnight):
            continue
        tally[("Patients no longer meeting the criteria to reside", "Snapshot", "Total")] += 1
        reason = delay_reason_at(spell, midnight)
        label = NOT_RECORDED
        if reason is not None and reason.reason is not None:
            label = codes.nctr_delay_reasons().get(reason.reason).published_label
        tally[
            (
                "Patients remaining in hospital who no longer meet the criteria to reside",
                "Delay reason",
                label,
            )
        ] += 1
        stay = length_of_stay_days(spell, day)
        delayed = days_delayed(spell, day)
        for threshold in (7, 14, 21):
            if stay >= threshold:
                group = f"Length of stay {threshold}+ days"
                tally[
                    ("Patients no longer meeting the criteria to reside", "Length of stay", group)
                ] += 1
                tally[("Delayed bed days", "Length of stay", group)] += delayed
    order = metric_order()
    listed = set(order)
    rows = []
    for org, tally in sorted(counts.items()):
        # Every published metric appears, zero or not; then any extra group that occurred
        # (a discharge with no pathway, an NCTR patient with no reason recorded).
        extra = sorted(key for key in tally if key not in listed)
        for metric, metric_type, group in [*order, *extra]:
            value = tally[(metric, metric_type, group)]
            rows.append(SitrepRow(day, org, org_names[org], metric, metric_type, group, value))
    return rows


@cache
def metric_order() -> tuple[tuple[str, str, str], ...]:
    order = [
        ("Patients no longer meeting the criteria to reside", "Snapshot", "Total"),
        ("Patients discharged", "Discharges", "By 17:00"),
        ("Patients discharged", "Discharges", "17:01 to 23:59"),
        ("Patients discharged", "Discharges", "Total"),
    ]
    order += [
        ("Patients discharged by pathway", "Discharges", p.code)
        for p in codes.discharge_pathways().codes
    ]
    order += [
        (
            "Patients remaining in hospital who no longer meet the criteria to reside",
            "Delay reason",
            r.published_label,
        )
        for r in codes.nctr_delay_reasons().codes
    ]
    for threshold in (7, 14, 21):
        group = f"Length of stay {threshold}+ days"
        order += [
            ("Patients no longer meeting the criteria to reside", "Length of stay", group),
            ("Delayed bed days", "Length of stay", group),
        ]
    return tuple(order)
