"""The daily discharge situation report, in NHS England's long format.

For each acute trust and day: patients who no longer meet the criteria to reside at the
midnight ending the day; patients discharged (by 17:00, 17:01-23:59, in total and by
pathway); those remaining who no longer meet the criteria, by the 37 delay reasons; and the
7+, 14+ and 21+ length-of-stay groups with their delayed bed-days. docs/returns.md defines
each metric and the events it comes from. Only what NHS England publishes: a patient delayed
with no reason, or discharged with no pathway, is a problem to correct before submitting
(`sitrep_problems`), not a group of the return. Pure: it takes folded spells and returns rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time
from functools import cache

from homeflow.domain import codes
from homeflow.domain.clock import local_date, local_time
from homeflow.domain.flow import (
    days_delayed,
    delay_reason_at,
    is_nctr_at,
    length_of_stay_days,
    snapshot_at,
)
from homeflow.domain.spell import SpellState

FIVE_PM = time(17, 0)
COLUMNS = ("Period", "Org Code", "Org Name", "Metric", "Metric Type", "Metric Group", "Value")
REMAINING = "Patients remaining in hospital who no longer meet the criteria to reside"
# What a return cannot say without inventing a label NHS England does not publish: patients
# to correct before submitting, listed as problems beside the return, never counted in it.
NO_DELAY_REASON = "Delayed patients with no delay reason recorded"
NO_PATHWAY = "Patients discharged with no pathway recorded"
PROBLEMS = (NO_DELAY_REASON, NO_PATHWAY)


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


Key = tuple[str, str, str]  # metric, metric type, metric group
Members = dict[str, dict[Key, list[tuple[SpellState, int]]]]  # by organisation, by figure
Problems = dict[str, dict[str, list[SpellState]]]  # by organisation, by problem


def sitrep(
    day: date,
    spells: Iterable[SpellState],
    org_of_site: Mapping[str, str],
    org_names: Mapping[str, str],
) -> list[SitrepRow]:
    """The sitrep rows for `day`, one set per organisation in `org_names`."""
    members = sitrep_members(day, spells, org_of_site, org_names)
    order = metric_order()
    rows = []
    for org, tally in sorted(members.items()):
        # Every published metric appears, zero or not, and nothing else.
        for metric, metric_type, group in order:
            value = sum(weight for _, weight in tally.get((metric, metric_type, group), ()))
            rows.append(SitrepRow(day, org, org_names[org], metric, metric_type, group, value))
    return rows


def sitrep_members(
    day: date,
    spells: Iterable[SpellState],
    org_of_site: Mapping[str, str],
    org_names: Mapping[str, str],
) -> Members:
    """The spells behind each figure of each organisation's sitrep, each with what it adds
    (one patient; for delayed bed days, that patient's days delayed): every figure is the sum
    of its list, so every figure opens to the patients it counts. A patient the return cannot
    place in a published group (`sitrep_problems`) is in no such list."""
    return _walk(day, spells, org_of_site, org_names)[0]


def sitrep_problems(
    day: date,
    spells: Iterable[SpellState],
    org_of_site: Mapping[str, str],
    org_names: Mapping[str, str],
) -> Problems:
    """Each organisation's patients to correct before its sitrep for `day` is submitted, by
    problem (`PROBLEMS`): delayed at midnight with no delay reason, discharged with no pathway."""
    return _walk(day, spells, org_of_site, org_names)[1]


def _walk(
    day: date,
    spells: Iterable[SpellState],
    org_of_site: Mapping[str, str],
    org_names: Mapping[str, str],
) -> tuple[Members, Problems]:
    midnight = snapshot_at(day)
    found: Members = {org: {} for org in org_names}
    problems: Problems = {org: {} for org in org_names}
    for spell in spells:
        org = org_of_site.get(spell.site_code or "")
        if org not in found or spell.admitted_at is None:
            continue
        tally = found[org]

        if spell.discharged_at is not None and local_date(spell.discharged_at) == day:
            by_five = local_time(spell.discharged_at) <= FIVE_PM
            _add(
                tally,
                spell,
                ("Patients discharged", "Discharges", "By 17:00" if by_five else "17:01 to 23:59"),
            )
            _add(tally, spell, ("Patients discharged", "Discharges", "Total"))
            if spell.pathway:
                _add(tally, spell, ("Patients discharged by pathway", "Discharges", spell.pathway))
            else:
                problems[org].setdefault(NO_PATHWAY, []).append(spell)
        if not is_nctr_at(spell, midnight):
            continue
        _add(
            tally, spell, ("Patients no longer meeting the criteria to reside", "Snapshot", "Total")
        )
        reason = delay_reason_at(spell, midnight)
        if reason is not None and reason.reason is not None:
            label = codes.nctr_delay_reasons().get(reason.reason).published_label
            _add(tally, spell, (REMAINING, "Delay reason", label))
        else:
            problems[org].setdefault(NO_DELAY_REASON, []).append(spell)
        stay = length_of_stay_days(spell, day)
        delayed = days_delayed(spell, day)
        for threshold in (7, 14, 21):
            if stay >= threshold:
                group = f"Length of stay {threshold}+ days"
                _add(
                    tally,
                    spell,
                    ("Patients no longer meeting the criteria to reside", "Length of stay", group),
                )
                _add(tally, spell, ("Delayed bed days", "Length of stay", group), delayed)
    return found, problems


def _add(
    tally: dict[Key, list[tuple[SpellState, int]]], spell: SpellState, key: Key, weight: int = 1
) -> None:
    tally.setdefault(key, []).append((spell, weight))


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
        (REMAINING, "Delay reason", r.published_label) for r in codes.nctr_delay_reasons().codes
    ]
    for threshold in (7, 14, 21):
        group = f"Length of stay {threshold}+ days"
        order += [
            ("Patients no longer meeting the criteria to reside", "Length of stay", group),
            ("Delayed bed days", "Length of stay", group),
        ]
    return tuple(order)
