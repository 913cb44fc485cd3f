"""The weekly Intermediate Care Data Collection, in a long format like the sitrep's.

For each intermediate care provider and week (Monday to Sunday): by service (community beds,
discharge-to-assess beds, home-based reablement), each day's patients no longer meeting the
criteria to reside, discharged, and not discharged despite no longer meeting them; at the
midnight ending the week, the additional bed-days and the delay reasons of every patient not
meeting the criteria, whatever their length of stay; the patients received into the service in
the week; and the length of stay in service of those who left it. docs/returns.md defines each
figure and the events it comes from. Pure: it takes folded spells and support episodes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from homeflow.domain import codes
from homeflow.domain.after_discharge.records import SupportEpisodeRecorded, SupportKind
from homeflow.domain.clock import local_date
from homeflow.domain.errors import InvalidInput
from homeflow.domain.flow import (
    days_delayed,
    delay_reason_at,
    discharge_ready_date_at,
    is_nctr_at,
    snapshot_at,
    ward_stay_at,
)
from homeflow.domain.organisations import WardType
from homeflow.domain.spell import SpellState

COLUMNS = (
    "Period",
    "Org Code",
    "Org Name",
    "Service",
    "Metric",
    "Metric Type",
    "Metric Group",
    "Value",
)
# The collection's weeks run Monday to Sunday: it began on Monday 29 July 2024.
WEEK_ENDS_ON = 6  # date.weekday() of a Sunday
COMMUNITY_BEDS = "Bed-based: community beds"
D2A_BEDS = "Bed-based: discharge to assess beds"
HOME_BASED = "Home-based: reablement"
BEDDED = {WardType.COMMUNITY.value: COMMUNITY_BEDS, WardType.DISCHARGE_TO_ASSESS.value: D2A_BEDS}

NCTR = "Patients no longer meeting the criteria to reside"
DISCHARGED = "Patients discharged"
NOT_DISCHARGED = "Patients not discharged who no longer meet the criteria to reside"
ADDITIONAL = "Additional bed days"
IN_SERVICE = "Patients in the service"
RECEIVED = "Patients received into the service"
LEFT = "Patients leaving the service"
LENGTH = "Length of stay in service (days)"
# Six weeks: how long reablement and intermediate care are free of charge (Care and Support
# (Charging and Assessment of Resources) Regulations 2014, regulation 3).
BANDS = ((0, 6), (7, 13), (14, 20), (21, 41), (42, None))

Member = SpellState | SupportEpisodeRecorded
# period, service, metric, metric type, metric group
Key = tuple[date, str, str, str, str]
Tally = dict[Key, list[tuple[Member, int]]]


@dataclass(frozen=True, slots=True)
class IcRow:
    period: date
    org_code: str
    org_name: str
    service: str
    metric: str
    metric_type: str
    metric_group: str
    value: int

    def as_list(self) -> list[str | int]:
        return [
            self.period.isoformat(),
            self.org_code,
            self.org_name,
            self.service,
            self.metric,
            self.metric_type,
            self.metric_group,
            self.value,
        ]


@dataclass(frozen=True, slots=True)
class Providers:
    """Who reports: each organisation's name, the services it holds, and where its beds are."""

    names: Mapping[str, str]
    services: Mapping[str, frozenset[str]]
    org_of_site: Mapping[str, str]
    ward_types: Mapping[str, str]


def providers_of(
    names: Mapping[str, str],
    org_of_site: Mapping[str, str],
    wards: Mapping[str, tuple[str, str]],
    episodes: Iterable[SupportEpisodeRecorded],
    org_code: str | None = None,
) -> Providers:
    """Who reports (all, or the one named): an organisation holding a ward of the return's
    types (`wards`: each ward's type and organisation), and a provider that has recorded a
    reablement episode (one the registry does not hold is named by its code)."""
    services: dict[str, set[str]] = {}
    for ward_type, org in wards.values():
        if ward_type in BEDDED:
            services.setdefault(org, set()).add(BEDDED[ward_type])
    for episode in episodes:
        if episode.kind is SupportKind.REABLEMENT:
            services.setdefault(episode.provider, set()).add(HOME_BASED)
    chosen = {org: frozenset(held) for org, held in services.items() if org_code in (None, org)}
    return Providers(
        {org: names.get(org, org) for org in chosen},
        chosen,
        org_of_site,
        {code: ward_type for code, (ward_type, _) in wards.items()},
    )


def week_of(week_ending: date, field: str = "week_ending") -> list[date]:
    """The seven days of the week ending on `week_ending`, which must be a Sunday."""
    if week_ending.weekday() != WEEK_ENDS_ON:
        raise InvalidInput(
            field,
            f"{week_ending:%d/%m/%Y} is a {week_ending:%A}: a week of the intermediate care"
            " collection ends on a Sunday",
        )
    return [week_ending - timedelta(days=6 - n) for n in range(7)]


def band_label(low: int, high: int | None) -> str:
    return f"{low} days or more" if high is None else f"{low} to {high} days"


def ic_return(
    week_ending: date,
    spells: Iterable[SpellState],
    episodes: Iterable[SupportEpisodeRecorded],
    providers: Providers,
) -> list[IcRow]:
    """The return's rows for each provider and service it holds, every figure (zeros too)."""
    members = ic_members(week_ending, spells, episodes, providers)
    rows = []
    for org in sorted(providers.services):
        tally = members[org]
        for service in sorted(providers.services[org]):
            for key in metric_order(week_ending, service):
                value = sum(weight for _, weight in tally.get(key, ()))
                period, _, metric, metric_type, group = key
                name = providers.names[org]
                rows.append(IcRow(period, org, name, service, metric, metric_type, group, value))
    return rows


def ic_members(
    week_ending: date,
    spells: Iterable[SpellState],
    episodes: Iterable[SupportEpisodeRecorded],
    providers: Providers,
) -> dict[str, Tally]:
    """The spells and episodes behind each figure of each provider's return, each with what
    it adds (one patient; for bed-days and length of stay, that patient's days): every figure
    is the sum of its list."""
    days = week_of(week_ending)
    found: dict[str, Tally] = {org: {} for org in providers.services}
    for spell in spells:
        org = providers.org_of_site.get(spell.site_code or "")
        if org in found and spell.admitted_at is not None:
            _bedded(found[org], spell, days, providers.ward_types)
    for episode in episodes:
        if episode.kind is SupportKind.REABLEMENT and episode.provider in found:
            _home_based(found[episode.provider], episode, days)
    return found


PROBLEMS = ("no delay reason", "no pathway")


def problems(
    week_ending: date, spells: Iterable[SpellState], providers: Providers
) -> dict[str, dict[str, list[SpellState]]]:
    """What each provider must put right before submitting: patients in a bed of the return
    who no longer meet the criteria to reside at the week's end with no delay reason
    recorded, and those discharged in the week with no pathway. The return invents no label
    for them."""
    days = week_of(week_ending)
    midnight = snapshot_at(week_ending)
    found: dict[str, dict[str, list[SpellState]]] = {
        org: {problem: [] for problem in PROBLEMS} for org in providers.services
    }
    for spell in spells:
        org = providers.org_of_site.get(spell.site_code or "")
        if org not in found:
            continue
        in_a_bed = _service_at(spell, midnight, providers.ward_types) is not None
        if in_a_bed and is_nctr_at(spell, midnight) and _reason_label(spell, midnight) is None:
            found[org]["no delay reason"].append(spell)
        left = _left_on(spell, providers.ward_types)
        if left is not None and left[1] in days and spell.pathway is None:
            found[org]["no pathway"].append(spell)
    return found


def _add(tally: Tally, member: Member, key: Key, weight: int = 1) -> None:
    tally.setdefault(key, []).append((member, weight))


def _service_at(spell: SpellState, instant: datetime, ward_types: Mapping[str, str]) -> str | None:
    stay = ward_stay_at(spell, instant)
    return None if stay is None else BEDDED.get(ward_types.get(stay.ward_code, ""))


def _left_on(spell: SpellState, ward_types: Mapping[str, str]) -> tuple[str, date] | None:
    """The service a discharged patient left from and the day, if it is intermediate care."""
    if spell.discharged_at is None or not spell.ward_stays:
        return None
    service = BEDDED.get(ward_types.get(spell.ward_stays[-1].ward_code, ""))
    return None if service is None else (service, local_date(spell.discharged_at))


def _entered(spell: SpellState, ward_types: Mapping[str, str]) -> dict[str, date]:
    """The day the patient first entered each bedded service in the stay."""
    entered: dict[str, date] = {}
    for stay in spell.ward_stays:
        service = BEDDED.get(ward_types.get(stay.ward_code, ""))
        if service is not None and service not in entered:
            entered[service] = local_date(stay.start)
    return entered


def _reason_label(spell: SpellState, instant: datetime) -> str | None:
    reason = delay_reason_at(spell, instant)
    if reason is None:
        return None
    if reason.reason is not None:
        return codes.nctr_delay_reasons().get(reason.reason).published_label
    if reason.dtoc_reason is not None:
        return codes.dtoc_reasons().get(reason.dtoc_reason).label
    return None


def _bedded(
    tally: Tally, spell: SpellState, days: list[date], ward_types: Mapping[str, str]
) -> None:
    entered = _entered(spell, ward_types)
    left = _left_on(spell, ward_types)
    for day in days:
        midnight = snapshot_at(day)
        service = _service_at(spell, midnight, ward_types)
        if service is not None and is_nctr_at(spell, midnight):
            _add(tally, spell, (day, service, NCTR, "Daily", "Total"))
            _add(tally, spell, (day, service, NOT_DISCHARGED, "Daily", "Total"))
        if left is not None and left[1] == day:
            _add(tally, spell, (day, left[0], DISCHARGED, "Daily", "Total"))
            if spell.pathway is not None:
                _add(tally, spell, (day, left[0], DISCHARGED, "Daily", spell.pathway))
            assert spell.discharged_at is not None
            last_moment = spell.discharged_at - timedelta(microseconds=1)
            if discharge_ready_date_at(spell, last_moment) is not None:
                # Not meeting the criteria during the day, and discharged before its end.
                _add(tally, spell, (day, left[0], NCTR, "Daily", "Total"))
    week_ending = days[-1]
    midnight = snapshot_at(week_ending)
    service = _service_at(spell, midnight, ward_types)
    if service is not None:
        _add(tally, spell, (week_ending, service, IN_SERVICE, "Weekly snapshot", "Total"))
        if is_nctr_at(spell, midnight):
            _add(
                tally,
                spell,
                (week_ending, service, ADDITIONAL, "Weekly snapshot", "Total"),
                days_delayed(spell, week_ending),
            )
            label = _reason_label(spell, midnight)
            if label is not None:
                _add(tally, spell, (week_ending, service, NOT_DISCHARGED, "Delay reason", label))
    for service, day in entered.items():
        if days[0] <= day <= week_ending:
            _add(tally, spell, (week_ending, service, RECEIVED, "Weekly", "Total"))
    if left is not None and days[0] <= left[1] <= week_ending:
        _leaving(tally, spell, week_ending, left[0], (left[1] - entered[left[0]]).days)


def _leaving(tally: Tally, member: Member, week_ending: date, service: str, stay: int) -> None:
    _add(tally, member, (week_ending, service, LEFT, "Weekly", "Total"))
    _add(tally, member, (week_ending, service, LENGTH, "Weekly", "Total"), stay)
    for low, high in BANDS:
        if low <= stay and (high is None or stay <= high):
            _add(
                tally, member, (week_ending, service, LEFT, "Length of stay", band_label(low, high))
            )


def _home_based(tally: Tally, episode: SupportEpisodeRecorded, days: list[date]) -> None:
    week_ending = days[-1]
    if episode.start <= week_ending and (episode.end is None or episode.end > week_ending):
        _add(tally, episode, (week_ending, HOME_BASED, IN_SERVICE, "Weekly snapshot", "Total"))
    if days[0] <= episode.start <= week_ending:
        _add(tally, episode, (week_ending, HOME_BASED, RECEIVED, "Weekly", "Total"))
    if episode.end is not None and days[0] <= episode.end <= week_ending:
        _leaving(tally, episode, week_ending, HOME_BASED, (episode.end - episode.start).days)


def metric_order(week_ending: date, service: str) -> tuple[Key, ...]:
    """Every figure of a service's return for the week, in the order it is written."""
    return tuple(
        (week_ending - timedelta(days=6 - offset) if offset is not None else week_ending, *rest)
        for offset, rest in _order(service)
    )


@cache
def _order(service: str) -> tuple[tuple[int | None, tuple[str, str, str, str]], ...]:
    """Each figure as (the day of the week it is of, None for the week; the rest of its key)."""
    order: list[tuple[int | None, tuple[str, str, str, str]]] = []
    if service != HOME_BASED:
        pathways = [p.code for p in codes.discharge_pathways().codes]
        for n in range(7):
            order.append((n, (service, NCTR, "Daily", "Total")))
            order.append((n, (service, DISCHARGED, "Daily", "Total")))
            order += [(n, (service, DISCHARGED, "Daily", p)) for p in pathways]
            order.append((n, (service, NOT_DISCHARGED, "Daily", "Total")))
    order.append((None, (service, IN_SERVICE, "Weekly snapshot", "Total")))
    if service != HOME_BASED:
        order.append((None, (service, ADDITIONAL, "Weekly snapshot", "Total")))
        labels = [r.published_label for r in codes.nctr_delay_reasons().codes]
        labels += [r.label for r in codes.dtoc_reasons().codes]
        order += [(None, (service, NOT_DISCHARGED, "Delay reason", label)) for label in labels]
    order.append((None, (service, RECEIVED, "Weekly", "Total")))
    order.append((None, (service, LEFT, "Weekly", "Total")))
    order.append((None, (service, LENGTH, "Weekly", "Total")))
    order += [(None, (service, LEFT, "Length of stay", band_label(*b))) for b in BANDS]
    return tuple(order)
