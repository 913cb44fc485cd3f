"""The monthly discharge ready date measures of the acute trusts, by trust, site, ward or
integrated care board: the record read by the store, counted by `reports.drd`. The command
line and the page call these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine

from homeflow.domain.errors import InvalidInput
from homeflow.domain.organisations import OrganisationType
from homeflow.domain.spell import SpellState
from homeflow.reports.drd import FIGURES, Members, drd_members, drd_rows
from homeflow.reports.dtoc import month_days
from homeflow.store import db
from homeflow.store.access.caches import per_log_version
from homeflow.store.access.people import People, people
from homeflow.store.access.scope import Viewer
from homeflow.store.queries import local_authorities, return_data
from homeflow.store.registry import (
    organisation_names,
    organisation_types,
    site_names,
    ward_registry,
)


class By(StrEnum):
    """Where a discharge is counted. A trust's are the stays admitted to its sites (as the
    sitrep's); a site's and a ward's, the stays that left from its wards; an ICB's, those of
    its trusts; a council's, those of the patients living in its area (the patient's local
    authority of residence as the feeds last gave it)."""

    TRUST = "trust"
    SITE = "site"
    WARD = "ward"
    ICB = "icb"
    COUNCIL = "council"


BY_WORDS = {
    By.TRUST: "trust",
    By.SITE: "site",
    By.WARD: "ward",
    By.ICB: "integrated care board",
    By.COUNCIL: "council",
}
# Where a patient's local authority of residence is not on record: kept in view (the trust's
# total holds them), under words that say so rather than a council's.
NO_COUNCIL = ("not recorded", "Local authority not recorded")


@dataclass(frozen=True, slots=True)
class DrdMonth:
    """Each place's figures, with the spells behind them, and every place's name."""

    period: str
    by: By
    members: dict[str, Members]
    names: dict[str, str]

    def rows(self) -> list[dict[str, Any]]:
        return drd_rows(self.period, self.by.value, self.members, self.names)


def drd_month(engine: Engine, year: int, month: int, by: By) -> DrdMonth:
    """The month's measures by `by`, worked out once per change to the log."""
    days = month_days(year, month)

    def counted() -> DrdMonth:
        data = return_data(engine, ("acute",), days[0], days[-1])
        place_of, names = _places(engine, by, data.organisations, data.org_of_site)
        members = drd_members(days[0], days[-1], data.spells, place_of)
        return DrdMonth(f"{year:04d}-{month:02d}", by, members, names)

    return per_log_version(engine, f"drd of {year}-{month} by {by}", (year, month, by), counted)


def _places(
    engine: Engine, by: By, trusts: dict[str, str], org_of_site: dict[str, str]
) -> tuple[Callable[[SpellState], str | None], dict[str, str]]:
    """Where each stay of an acute trust is counted, and the names of every such place."""
    with db.reading(engine) as conn:
        wards = [w for w in ward_registry(conn) if w.org_code in trusts]
        org_names = organisation_names(conn)
        kinds = organisation_types(conn)
        sites = site_names(conn)
        councils = local_authorities(conn) if by is By.COUNCIL else {}
    site_of_ward = {w.code: w.site_code for w in wards}
    icb_of_trust = {w.org_code: w.parent_code or w.org_code for w in wards}

    def trust(spell: SpellState) -> str | None:
        org = org_of_site.get(spell.site_code or "")
        return org if org in trusts else None

    def left_from(spell: SpellState) -> str | None:
        return spell.ward_stays[-1].ward_code if trust(spell) and spell.ward_stays else None

    if by is By.TRUST:
        return trust, dict(sorted(trusts.items()))
    if by is By.ICB:
        icbs = sorted(set(icb_of_trust.values()))
        return (
            lambda s: icb_of_trust.get(t, t) if (t := trust(s)) else None,
            {c: org_names.get(c, c) for c in icbs},
        )
    if by is By.COUNCIL:
        listed = sorted(c for c, kind in kinds.items() if kind is OrganisationType.LOCAL_AUTHORITY)
        names = {c: org_names[c] for c in listed} | dict([NO_COUNCIL])
        return (
            lambda s: councils.get(s.spell_key, NO_COUNCIL[0]) if trust(s) else None,
            names,
        )
    if by is By.SITE:
        return (
            lambda s: site_of_ward.get(w, s.site_code) if (w := left_from(s)) else None,
            {c: sites.get(c, c) for c in sorted(set(site_of_ward.values()))},
        )
    return left_from, {w.code: w.name for w in sorted(wards, key=lambda w: w.code)}


def drd_people(
    engine: Engine,
    viewer: Viewer,
    year: int,
    month: int,
    by: By,
    place: str,
    figure: str,
    today: date,
) -> People:
    """The patients behind one figure of a place's month: for bed-days, each with their days."""
    if figure not in FIGURES:
        raise InvalidInput("figure", f"{figure!r} is not a figure of the measures")
    found = drd_month(engine, year, month, by)
    if place not in found.names and place not in found.members:
        raise InvalidInput("place", f"{place!r} is not a {BY_WORDS[by]} of the measures")
    title = f"{found.names.get(place, place)}, {found.period}: {figure}"
    last = month_days(year, month)[-1]
    return people(engine, viewer, title, last, found.members.get(place, {}).get(figure, []), today)
