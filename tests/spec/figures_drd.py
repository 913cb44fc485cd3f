"""The month's discharge ready date measures (docs/returns.md, "Discharge ready date"), as a
spec case expects them: `[expect.drd."MONTH|BY"]` with `"PLACE|MEASURE"` (a measure under
the publication's name, of a trust, site, ward, icb or council) and `"ready date|SPELL"`, the
stay's discharge ready date as the data item records it ("" when it has none). Read through
what the command line and the page show; a place or measure homeflow does not give fails."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from homeflow.domain.ready_date import discharge_ready_date
from homeflow.reports.drd import MEASURES
from homeflow.services.drd import By, drd_month
from homeflow.store.access.people import spells_by_key


def read(engine: Engine, key: str, wanted: dict[str, Any]) -> dict[str, Any]:
    month, _, by = key.partition("|")
    year, number = (int(part) for part in month.split("-"))
    rows = {row["Code"]: row for row in drd_month(engine, year, number, By(by)).rows()}
    found: dict[str, Any] = {}
    for name, _value in wanted.items():
        what, _, which = name.partition("|")
        if what == "ready date":
            [spell] = spells_by_key(engine, [which]) or [None]
            assert spell is not None, f"no stay {which}"
            ready = discharge_ready_date(spell)
            found[name] = ready.isoformat() if ready else ""
            continue
        assert what in rows, f"the measures by {by} have no place {what!r}"
        assert which in MEASURES, f"the measures have no {which!r}"
        found[name] = rows[what][which]
    return found
