"""The system overview: beds, NCTR, stranded and flows by site and service, or by ward."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from sqlalchemy import Engine, select

from homeflow.domain.escalation import EscalationRules
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.access.caches import per_log_version
from homeflow.store.access.scope import NotFound
from homeflow.store.queries import census


@dataclass(slots=True)
class OverviewRow:
    org_code: str
    site_code: str
    place: str  # "site – service" at system level, the ward's name when drilled down
    link: str | None
    wards: str  # the query that names its wards, for the lists behind its figures
    beds: int = 0
    occupied: int = 0
    nctr: int = 0
    delayed_bed_days_yesterday: int = 0
    stranded: int = 0
    super_stranded: int = 0
    admissions_today: int = 0
    admissions_yesterday: int = 0
    discharges_today: int = 0
    discharges_yesterday: int = 0
    discharges_before_noon_yesterday: int = 0
    pressure_level: int = 1

    @property
    def occupancy_percent(self) -> float | None:
        return 100 * self.occupied / self.beds if self.beds else None

    @property
    def nctr_per_100_beds(self) -> float | None:
        return 100 * self.nctr / self.beds if self.beds else None

    @property
    def percent_before_noon(self) -> float | None:
        if not self.discharges_yesterday:
            return None
        return 100 * self.discharges_before_noon_yesterday / self.discharges_yesterday


def overview(
    engine: Engine, today: date, rules: EscalationRules, site_code: str | None = None
) -> list[OverviewRow]:
    """A row per site and service (or per ward of one site). Counts only: nothing here
    identifies a patient, so every signed-in user sees the whole system."""
    return per_log_version(
        engine,
        f"overview {site_code}",
        (today, rules),
        lambda: _overview(engine, today, rules, site_code),
    )


def _overview(
    engine: Engine, today: date, rules: EscalationRules, site_code: str | None
) -> list[OverviewRow]:
    with db.reading(engine) as conn:
        ward_info = {
            r.code: r
            for r in conn.execute(
                select(t.wards.c.code, t.wards.c.type, t.sites.c.name.label("site_name")).join(
                    t.sites, t.sites.c.code == t.wards.c.site_code
                )
            )
        }
    yesterday = today - timedelta(days=1)
    before = {r.ward_code: r for r in census(engine, yesterday, today=today)}
    rows: dict[str, OverviewRow] = {}
    for now in census(engine, today, today=today):
        if site_code is not None and now.site_code != site_code:
            continue
        info = ward_info[now.ward_code]
        if site_code is None:
            key = f"{now.site_code}/{info.type}"
            place, link = f"{info.site_name} – {info.type}", f"/overview?site={now.site_code}"
            wards = urlencode({"site": now.site_code, "type": info.type})
        else:
            key, place, link = now.ward_code, now.ward_name, f"/wards/{now.ward_code}"
            wards = urlencode({"ward": now.ward_code})
        row = rows.setdefault(key, OverviewRow(now.org_code, now.site_code, place, link, wards))
        then = before.get(now.ward_code)
        row.beds += now.beds
        row.occupied += now.occupied
        row.nctr += now.nctr
        row.stranded += now.stranded
        row.super_stranded += now.super_stranded
        row.admissions_today += now.admissions
        row.discharges_today += now.discharges
        if then is not None:
            # A patient without criteria to reside at midnight is one delayed bed-day.
            row.delayed_bed_days_yesterday += then.nctr
            row.admissions_yesterday += then.admissions
            row.discharges_yesterday += then.discharges
            row.discharges_before_noon_yesterday += then.discharges_before_noon
    for row in rows.values():
        row.pressure_level = rules.pressure_level(row.beds, row.occupied, row.nctr)
    return list(rows.values())


def site_name(engine: Engine, site_code: str) -> str:
    """The name of a site, for the heading of its drill-down."""
    with db.reading(engine) as conn:
        name = conn.execute(
            select(t.sites.c.name).where(t.sites.c.code == site_code)
        ).scalar_one_or_none()
    if name is None:
        raise NotFound(f"site {site_code}")
    return str(name)
