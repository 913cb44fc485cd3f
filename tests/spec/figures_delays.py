"""The longest delays and internal delays over 48 hours of a day (docs/daily-call.md), as a
spec case expects them: `[expect.delays.DAY]` with `longest` and `internal`, the spell keys
each list holds at the midnight ending DAY (in any order), and `"days past|SPELL"` (on the
longest list) or `"hours internal|SPELL"` (on the internal list, to a tenth) of a patient
listed. Read through the lists the command line and the daily call show, for the whole system."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine

from homeflow.domain.flow import snapshot_at
from homeflow.domain.long_delays import DelayKind
from homeflow.domain.privacy import Role
from homeflow.store.access.long_delays import DelayLevel, delay_rows
from homeflow.store.access.scope import Viewer

VIEWER = Viewer("spec", "-", Role.ANALYST, "spec")
DETAILS = {"days past": (DelayKind.LONGEST, "days_past"),
           "hours internal": (DelayKind.INTERNAL, "hours_internal")}  # fmt: skip


def read(engine: Engine, key: str, wanted: dict[str, Any]) -> dict[str, Any]:
    day = date.fromisoformat(key)
    rows = {
        kind: delay_rows(engine, VIEWER, kind, snapshot_at(day), DelayLevel.SYSTEM, None, day)
        for kind in DelayKind
    }
    found: dict[str, Any] = {}
    for name, value in wanted.items():
        if name in {k.value for k in DelayKind}:
            listed = sorted(r.spell_key for r in rows[DelayKind(name)])
            found[name] = listed if listed != sorted(value) else value
            continue
        detail, _, spell_key = name.partition("|")
        assert detail in DETAILS, f"the delay lists have no figure {name!r}"
        kind, column = DETAILS[detail]
        row = next((r for r in rows[kind] if r.spell_key == spell_key), None)
        assert row is not None, f"{spell_key} is not on the {kind.value} list on {key}"
        found[name] = row.as_dict()[column]
    return found
