"""The weekly intermediate care return as a spec case's figures: under the Sunday the week
ends on, each figure named "org|service|period|metric|metric type|metric group" (docs/returns.md,
"Weekly intermediate care return"). Every figure of a provider's services is in the return,
zero or not, so a name it does not give fails rather than reading as zero."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine

from homeflow.services.intermediate_care import ic_rows


def read(engine: Engine, week_ending: str, wanted: dict[str, Any]) -> dict[str, Any]:
    rows = {
        "|".join(
            (r.org_code, r.service, r.period.isoformat(), r.metric, r.metric_type, r.metric_group)
        ): r.value
        for r in ic_rows(engine, date.fromisoformat(week_ending))
    }
    unknown = set(wanted) - set(rows)
    assert not unknown, f"the intermediate care return has no figure {sorted(unknown)}"
    return {name: rows[name] for name in wanted}
