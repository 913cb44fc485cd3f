"""A large system for benchmarks: the demo system run for a year, cloned into copies.

The demo is one ICB with about 1,700 beds; the page and return benchmarks ask for a system
of at least 5,000 open spells with a year of history: four copies hold about 6,000. Each copy gets its own organisations,
sites, wards, patients and spells (codes suffixed K1, K2, ...), under the same ICB, so
every page and return sees one system four times the size, with real-looking wards.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from homeflow.demo import system
from homeflow.demo.generator import generate
from homeflow.domain import events as ev
from homeflow.domain.organisations import Organisation, Site, Ward
from homeflow.domain.payloads import payload_from_dict, payload_to_dict
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.eventlog import EventLog
from homeflow.store.registry import save_registry

# Fields whose values name a person or a stay rather than a place: suffixed in every copy.
_IDENTITIES = (
    "patient_id",
    "referral_id",
    "action_id",
    "surviving_patient_id",
    "merged_patient_id",
)


def _codes(copy: int) -> dict[str, str]:
    suffix = f"K{copy}"
    places: dict[str, str] = {}
    for o in system.ORGANISATIONS:
        if o.type.value != "icb":
            places[o.code] = o.code + suffix
    for s in system.SITES:
        places[s.code] = s.code + suffix
    for w in system.WARDS:
        site, _, rest = w.code.partition("-")
        places[w.code] = f"{site}{suffix}-{rest}"
    return places


def _registry(copy: int) -> tuple[list[Organisation], list[Site], list[Ward]]:
    if copy == 0:
        return list(system.ORGANISATIONS), list(system.SITES), list(system.WARDS)
    codes = _codes(copy)
    orgs = [
        dataclasses.replace(o, code=codes[o.code], name=f"{o.name} ({copy + 1})")
        for o in system.ORGANISATIONS
        if o.code in codes
    ]
    sites = [
        dataclasses.replace(
            s, code=codes[s.code], name=f"{s.name} ({copy + 1})", org_code=codes[s.org_code]
        )
        for s in system.SITES
    ]
    wards = [
        dataclasses.replace(w, code=codes[w.code], site_code=codes[w.site_code])
        for w in system.WARDS
    ]
    return orgs, sites, wards


def _clone(event: ev.Event, copy: int, codes: dict[str, str]) -> ev.Event:
    suffix = f"K{copy}"
    data: dict[str, Any] = payload_to_dict(event.payload)
    for name, value in data.items():
        if isinstance(value, str):
            data[name] = value + suffix if name in _IDENTITIES else codes.get(value, value)
    return dataclasses.replace(
        event,
        key=f"{event.key}#{suffix}",
        spell_key=None if event.spell_key is None else event.spell_key + suffix,
        payload=payload_from_dict(event.type, data),
    )


def build(path: Path, copies: int = 4, days: int = 365, end: date | None = None) -> Engine:
    """A SQLite database at `path` holding `copies` of a `days`-long demo system (copies
    already there are kept, so a database can be grown)."""
    engine = db.connect(f"sqlite:///{path}")
    db.migrate(engine)
    with engine.connect() as conn:
        present = set(conn.execute(select(t.organisations.c.code)).scalars())
    demo = generate(seed=11, days=days, end=end or date.today())
    log = EventLog(engine)
    for copy in range(copies):
        orgs, sites, wards = _registry(copy)
        if orgs[-1].code in present:
            continue
        with engine.begin() as conn:
            save_registry(conn, orgs, sites, wards)
        if copy == 0:
            log.bulk_append(demo)
        else:
            codes = _codes(copy)
            log.bulk_append([_clone(e, copy, codes) for e in demo])
    return engine
