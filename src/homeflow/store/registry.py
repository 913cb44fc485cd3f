"""The organisation registry: organisations, sites and wards (configuration, not events)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, literal, select, union_all

from homeflow.domain.errors import InvalidInput
from homeflow.domain.organisations import (
    Organisation,
    OrganisationType,
    Site,
    Ward,
)
from homeflow.store import schema as t
from homeflow.store.bed_requests import refold_requests
from homeflow.store.db import upsert_insert


def save_registry(
    conn: Connection,
    organisations: Iterable[Organisation],
    sites: Iterable[Site],
    wards: Iterable[Ward],
) -> None:
    """Insert or update organisations, sites and wards (idempotent)."""
    wards = list(wards)
    sites_before = dict(conn.execute(select(t.wards.c.code, t.wards.c.site_code)).all())
    for table, rows in (
        (
            t.organisations,
            [
                {"code": o.code, "name": o.name, "type": o.type.value, "parent_code": o.parent_code}
                for o in organisations
            ],
        ),
        (t.sites, [{"code": s.code, "name": s.name, "org_code": s.org_code} for s in sites]),
        (
            t.wards,
            [
                {
                    "code": w.code,
                    "name": w.name,
                    "site_code": w.site_code,
                    "beds": w.beds,
                    "specialty": w.specialty,
                    "type": w.type.value,
                }
                for w in wards
            ],
        ),
    ):
        if not rows:
            continue
        stmt = upsert_insert(conn, table)
        updates = {c.name: stmt.excluded[c.name] for c in table.columns if c.name != "code"}
        conn.execute(stmt.on_conflict_do_update(index_elements=["code"], set_=updates), rows)
    # A bed request is placed by an admission into a ward of its site: a ward newly known, or
    # moved to another site, can place one or take its placement away.
    if any(sites_before.get(w.code) != w.site_code for w in wards):
        refold_requests(conn, None)


def require_organisation(conn: Connection, org_code: str, field: str = "org") -> None:
    known = conn.execute(
        select(t.organisations.c.code).where(t.organisations.c.code == org_code)
    ).first()
    if known is None:
        raise InvalidInput(field, f"{org_code!r} is not an organisation in the registry")


# Built once: the listener reads the registry with every group of messages it commits.
_SITE_ORGS = select(t.sites.c.code, t.sites.c.org_code)
_WARD_CODES = select(t.wards.c.code)
_PLACES = union_all(
    select(literal("o"), t.organisations.c.code, t.organisations.c.type),
    select(literal("s"), t.sites.c.code, t.sites.c.org_code),
    select(literal("w"), t.wards.c.code, t.wards.c.site_code),
)


def sites_and_wards(conn: Connection) -> tuple[dict[str, str], list[str]]:
    """Each site's organisation, and every ward code."""
    return dict(conn.execute(_SITE_ORGS).all()), list(conn.execute(_WARD_CODES).scalars())


def registry_places(conn: Connection) -> list[tuple[str, str, str]]:
    """The registry a feed maps with, in one statement (a feed reads it with every group of
    messages): ("o", organisation, its type), ("s", site, its organisation) and ("w", ward,
    its site) rows."""
    return [(kind, code, of) for kind, code, of in conn.execute(_PLACES)]


def organisation_types(conn: Connection) -> dict[str, OrganisationType]:
    """Each organisation's type, by code."""
    o = t.organisations
    return {code: OrganisationType(kind) for code, kind in conn.execute(select(o.c.code, o.c.type))}


def ward_places(conn: Connection) -> tuple[dict[str, str], dict[str, str]]:
    """Each ward's site, and each ward's organisation."""
    rows = conn.execute(
        select(t.wards.c.code, t.wards.c.site_code, t.sites.c.org_code).join(
            t.sites, t.sites.c.code == t.wards.c.site_code
        )
    ).all()
    return {r.code: r.site_code for r in rows}, {r.code: r.org_code for r in rows}


def organisations_within(conn: Connection, org_code: str) -> list[str]:
    """An organisation and those it holds (a system's trusts and councils), by code."""
    o = t.organisations
    found = conn.execute(
        select(o.c.code).where((o.c.code == org_code) | (o.c.parent_code == org_code))
    ).scalars()
    return sorted(found)


def organisation_names(conn: Connection) -> dict[str, str]:
    """Every organisation's name by its code, in order of name: what a person chooses from."""
    o = t.organisations
    return {
        code: name for code, name in conn.execute(select(o.c.code, o.c.name).order_by(o.c.name))
    }


def site_names(conn: Connection) -> dict[str, str]:
    """Every site's name by its code."""
    return {code: name for code, name in conn.execute(select(t.sites.c.code, t.sites.c.name))}


def ward_registry(conn: Connection) -> list[Any]:
    """Every ward with its site's trust and that trust's system, by site and ward."""
    w, s, o = t.wards, t.sites, t.organisations
    return list(
        conn.execute(
            select(w.c.code, w.c.name, w.c.site_code, w.c.beds, s.c.org_code, o.c.parent_code)
            .join(s, s.c.code == w.c.site_code)
            .join(o, o.c.code == s.c.org_code)
            .order_by(w.c.site_code, w.c.code)
        )
    )


def _system(kind: str, code: str, parent: str | None) -> str:
    # An integrated care board is its own system; a trust or council is its parent's (or its
    # own where it has none).
    return code if kind == OrganisationType.ICB.value or not parent else parent


def system_of(conn: Connection, org_code: str) -> str:
    """The system an organisation belongs to (itself when it is not in the registry)."""
    o = t.organisations
    row = conn.execute(select(o.c.type, o.c.parent_code).where(o.c.code == org_code)).first()
    return org_code if row is None else _system(row.type, org_code, row.parent_code)


def systems_of_places(conn: Connection, level: str) -> dict[str, str]:
    """Each organisation's (level "org") or site's system."""
    o, sites = t.organisations, t.sites
    parents = {
        code: _system(kind, code, parent)
        for code, kind, parent in conn.execute(select(o.c.code, o.c.type, o.c.parent_code))
    }
    if level != "site":
        return parents
    return {
        code: parents.get(org, org)
        for code, org in conn.execute(select(sites.c.code, sites.c.org_code))
    }


def home_system(conn: Connection) -> str | None:
    """The one system whose organisations hold the registry's sites (the system this
    deployment serves); None when several do."""
    found = set(systems_of_places(conn, "site").values())
    return found.pop() if len(found) == 1 else None


def systems(conn: Connection) -> list[str]:
    """The code of every ICB (system) in the registry."""
    o = t.organisations
    icbs = select(o.c.code).where(o.c.type == OrganisationType.ICB.value)
    return sorted(conn.execute(icbs).scalars())
