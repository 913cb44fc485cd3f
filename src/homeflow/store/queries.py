"""Read models the CLI and web pages share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine, and_, select

from homeflow.domain.flow import CENSUS_MEASURES
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
    if day > (today or date.today()) + MATERIALISED_AHEAD:
        return _census_ahead(engine, day, org_code)
    with engine.begin() as conn:
        proj.extend_census(conn, day)
        c = t.daily_census
        query = (
            select(
                t.sites.c.org_code,
                t.wards.c.site_code,
                t.wards.c.code,
                t.wards.c.name,
                t.wards.c.beds,
                *(getattr(c.c, name) for name in CENSUS_MEASURES),
            )
            .select_from(
                t.wards.join(t.sites, t.sites.c.code == t.wards.c.site_code).outerjoin(
                    c, and_(c.c.ward_code == t.wards.c.code, c.c.day == day)
                )
            )
            .order_by(t.sites.c.org_code, t.wards.c.site_code, t.wards.c.code)
        )
        if org_code:
            query = query.where(t.sites.c.org_code == org_code)
        return [
            CensusRow(*row[:5], *(value or 0 for value in row[5:])) for row in conn.execute(query)
        ]


def _census_ahead(engine: Engine, day: date, org_code: str | None) -> list[CensusRow]:
    with engine.connect() as conn:
        counts = proj.census_for_day(conn, day)
        wards = conn.execute(
            select(
                t.sites.c.org_code,
                t.wards.c.site_code,
                t.wards.c.code,
                t.wards.c.name,
                t.wards.c.beds,
            )
            .join(t.sites, t.sites.c.code == t.wards.c.site_code)
            .order_by(t.sites.c.org_code, t.wards.c.site_code, t.wards.c.code)
        ).all()
    empty = dict.fromkeys(CENSUS_MEASURES, 0)
    return [
        CensusRow(*w, *(counts.get(w.code, empty)[name] for name in CENSUS_MEASURES))
        for w in wards
        if not org_code or w.org_code == org_code
    ]
