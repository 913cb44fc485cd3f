"""The monthly delayed transfers of care return for mental-health and community services.

Delayed days by DToC reason (A-I, O) and responsible agency, per organisation and month: each
midnight a patient in hospital with no criteria to reside and a DToC reason current counts one
delayed day. Pure: it takes folded spells and returns rows.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from homeflow.domain import codes
from homeflow.domain.flow import delay_reason_at, is_nctr_at, snapshot_at
from homeflow.domain.spell import SpellState

COLUMNS = (
    "Period",
    "Org Code",
    "Org Name",
    "Reason Code",
    "Reason",
    "Agency Code",
    "Agency",
    "Delayed Days",
)


@dataclass(frozen=True, slots=True)
class DtocRow:
    period: str
    org_code: str
    org_name: str
    reason_code: str
    agency_code: str
    delayed_days: int

    def as_list(self) -> list[str | int]:
        reason = codes.dtoc_reasons().get(self.reason_code).label
        agency = codes.responsible_agencies().get(self.agency_code).label
        return [
            self.period,
            self.org_code,
            self.org_name,
            self.reason_code,
            reason,
            self.agency_code,
            agency,
            self.delayed_days,
        ]


def month_days(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    return [first + timedelta(days=i) for i in range(calendar.monthrange(year, month)[1])]


def dtoc_return(
    year: int,
    month: int,
    spells: Iterable[SpellState],
    org_of_site: Mapping[str, str],
    org_names: Mapping[str, str],
) -> list[DtocRow]:
    """Delayed days by reason and agency for each organisation in `org_names`."""
    days = month_days(year, month)
    tally: Counter[tuple[str, str, str]] = Counter()
    for spell in spells:
        org = org_of_site.get(spell.site_code or "")
        if org is None or org not in org_names:
            continue
        for day in days:
            midnight = snapshot_at(day)
            if not is_nctr_at(spell, midnight):
                continue
            reason = delay_reason_at(spell, midnight)
            if reason is None or reason.dtoc_reason is None or reason.responsible_agency is None:
                continue
            tally[(org, reason.dtoc_reason, reason.responsible_agency)] += 1
    period = f"{year:04d}-{month:02d}"
    return [
        DtocRow(period, org, org_names[org], reason, agency, delayed)
        for (org, reason, agency), delayed in sorted(tally.items())
    ]
