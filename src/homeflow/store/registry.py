"""The organisation registry: organisations, sites and wards (configuration, not events)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from homeflow.domain.organisations import (
    Organisation,
    OrganisationType,
    Site,
    Ward,
    WardType,
)
from homeflow.store import schema as t


def save_registry(
    conn: Connection,
    organisations: Iterable[Organisation],
    sites: Iterable[Site],
    wards: Iterable[Ward],
) -> None:
    """Insert or update organisations, sites and wards (idempotent)."""
    make_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
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
        stmt = make_insert(table)
        updates = {c.name: stmt.excluded[c.name] for c in table.columns if c.name != "code"}
        conn.execute(stmt.on_conflict_do_update(index_elements=["code"], set_=updates), rows)


def load_wards(conn: Connection) -> list[Ward]:
    return [
        Ward(r.code, r.name, r.site_code, r.beds, r.specialty, WardType(r.type))
        for r in conn.execute(select(t.wards).order_by(t.wards.c.code))
    ]


def load_organisations(conn: Connection) -> list[Organisation]:
    return [
        Organisation(r.code, r.name, OrganisationType(r.type), r.parent_code)
        for r in conn.execute(select(t.organisations).order_by(t.organisations.c.code))
    ]
