"""Read models the CLI and web pages share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, Engine, select

from homeflow.domain.flow import CENSUS_MEASURES
from homeflow.reports.dtoc import DtocRow, dtoc_return, month_days
from homeflow.reports.sitrep import SitrepRow, sitrep
from homeflow.store import db
from homeflow.store import projections as proj
from homeflow.store import schema as t

CENSUS_COLUMNS = ("org_code", "site_code", "ward_code", "beds", *CENSUS_MEASURES)


@dataclass(frozen=True, slots=True)
class CensusRow:
    org_code: str
    site_code: str
    ward_code: str
    ward_name: str
    beds: int
    occupied: int
    nctr: int
    stranded: int
    super_stranded: int
    admissions: int
    discharges: int
    discharges_before_noon: int

    def as_dict(self) -> dict[str, str | int]:
        return {name: getattr(self, name) for name in CENSUS_COLUMNS}


# The daily census is kept up to tomorrow; a later day is a projection of today's patients,
# folded on demand and never stored, so asking about 2099 costs one fold, not 70 years.
MATERIALISED_AHEAD = timedelta(days=1)


def census(
    engine: Engine, day: date, org_code: str | None = None, today: date | None = None
) -> list[CensusRow]:
    """One row per ward: the midnight snapshot ending `day`, and that day's flows."""
    beyond = day > (today or date.today()) + MATERIALISED_AHEAD
    if not beyond:
        with db.reading(engine) as conn:
            held = proj.census_through(conn)
        if held is None or held < day:
            with engine.begin() as conn:
                proj.extend_census(conn, day)
    with db.reading(engine) as conn:
        if beyond:
            counts = proj.census_for_day(conn, day)
        else:
            c = t.daily_census
            counts = {
                r.ward_code: {name: getattr(r, name) for name in CENSUS_MEASURES}
                for r in conn.execute(select(c).where(c.c.day == day))
            }
        query = (
            select(
                t.sites.c.org_code,
                t.wards.c.site_code,
                t.wards.c.code,
                t.wards.c.name,
                t.wards.c.beds,
            )
            .join(t.sites, t.sites.c.code == t.wards.c.site_code)
            .order_by(t.sites.c.org_code, t.wards.c.site_code, t.wards.c.code)
        )
        if org_code:
            query = query.where(t.sites.c.org_code == org_code)
        wards = conn.execute(query).all()
    empty = dict.fromkeys(CENSUS_MEASURES, 0)
    return [
        CensusRow(*w, *(counts.get(w.code, empty)[name] for name in CENSUS_MEASURES)) for w in wards
    ]


def _organisations(
    conn: Connection, types: tuple[str, ...], org_code: str | None
) -> dict[str, str]:
    query = select(t.organisations).where(t.organisations.c.type.in_(types))
    return {r.code: r.name for r in conn.execute(query) if not org_code or r.code == org_code}


def sitrep_rows(engine: Engine, day: date, org_code: str | None = None) -> list[SitrepRow]:
    """The daily discharge sitrep of each acute trust (or of one) for `day`."""
    with db.reading(engine) as conn:
        orgs = _organisations(conn, ("acute",), org_code)
        org_of_site = dict(conn.execute(select(t.sites.c.code, t.sites.c.org_code)).all())
        spells = proj.spells_in_hospital_on(conn, day)
    return sitrep(day, spells, org_of_site, orgs)


def dtoc_rows(engine: Engine, year: int, month: int, org_code: str | None = None) -> list[DtocRow]:
    """The monthly DToC return of each mental-health and community provider (or of one)."""
    days = month_days(year, month)
    with db.reading(engine) as conn:
        orgs = _organisations(conn, ("mental-health", "community"), org_code)
        org_of_site = dict(conn.execute(select(t.sites.c.code, t.sites.c.org_code)).all())
        spells = proj.spells_in_hospital_on(conn, days[0], days[-1])
    return dtoc_return(year, month, spells, org_of_site, orgs)
