"""What the intermediate care return is made from: the organisations, sites and wards with
their types, the spells in a bed during the week, and every support episode as last
recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, select

from homeflow.domain.after_discharge.outcomes import latest_versions
from homeflow.domain.after_discharge.records import SupportEpisodeRecorded
from homeflow.domain.spell import SpellState
from homeflow.store import db
from homeflow.store import projections as proj
from homeflow.store import schema as t
from homeflow.store.after_discharge import support_records


@dataclass(frozen=True, slots=True)
class IcData:
    names: dict[str, str]  # every organisation's name by its code
    org_of_site: dict[str, str]
    wards: dict[str, tuple[str, str]]  # each ward's type and organisation
    spells: list[SpellState]
    episodes: list[SupportEpisodeRecorded]


def ic_data(engine: Engine, first: date, last: date) -> IcData:
    """The registry, and the spells in a bed at some time from `first` to `last` and every
    support episode as last recorded."""
    w, s = t.wards, t.sites
    with db.reading(engine) as conn:
        names = dict(conn.execute(select(t.organisations.c.code, t.organisations.c.name)).all())
        org_of_site = dict(conn.execute(select(s.c.code, s.c.org_code)).all())
        wards = conn.execute(
            select(w.c.code, w.c.type, s.c.org_code).join(s, s.c.code == w.c.site_code)
        ).all()
        episodes = latest_versions(support_records(conn))
        spells = proj.spells_in_hospital_on(conn, first, last)
    return IcData(
        names, org_of_site, {r.code: (r.type, r.org_code) for r in wards}, spells, episodes
    )
