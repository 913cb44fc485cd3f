"""Mental health delayed days of a month (docs/returns.md "Mental health delayed discharges"),
as a spec case expects them: `[expect.mh_delays."YYYY-MM"]` with `"provider|CODE"` or
`"council|CODE"` and the days. Read through the figures the command line and the page show; a
breakdown or organisation homeflow does not know fails rather than reading as zero (a row it
does not list, once the name is checked, is a real zero)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine

from homeflow.reports.dtoc import month_days
from homeflow.reports.mh_delays import By
from homeflow.services.mh_delays import mh_delays
from homeflow.store.db import reading
from homeflow.store.registry import organisation_types


def read(engine: Engine, key: str, wanted: dict[str, Any]) -> dict[str, Any]:
    year, number = (int(part) for part in key.split("-"))
    days: list[date] = month_days(year, number)
    with reading(engine) as conn:
        kinds = organisation_types(conn)
    found: dict[str, Any] = {}
    for name in wanted:
        by, _, code = name.partition("|")
        breakdown = By(by)  # a breakdown homeflow does not give raises here
        assert code in kinds, f"no organisation {code}"
        expected_kind = "mental-health" if breakdown is By.PROVIDER else "local-authority"
        assert kinds[code].value == expected_kind, f"{code} is not a {expected_kind} organisation"
        rows = {r.code: r.delayed_days for r in mh_delays(engine, days[0], days[-1], breakdown)}
        found[name] = rows.get(code, 0)
    return found
