"""Bed requests on a site as a spec case's figures, under the site's code: "<request>|status"
(waiting, allocated, placed, cancelled), "<request>|in allocated bed" (true/false, absent until
placed), and the waits from decision to admit to bed of the requests placed, by specialty
and for "all": "<specialty>|placed", "|over 4 hours", "|over 12 hours", "|mean hours" and
"|90th centile hours" (hours to two decimal places). A name homeflow does not give fails."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from homeflow.domain import bed_requests as br
from homeflow.services.bed_requests import site_requests


def _waits(found: dict[str, Any], name: str, waits: br.Waits) -> None:
    found[f"{name}|placed"] = len(waits.placed)
    found[f"{name}|over 4 hours"] = len(waits.over_four_hours)
    found[f"{name}|over 12 hours"] = len(waits.over_twelve_hours)
    for measure, value in (
        ("mean hours", waits.mean_hours),
        ("90th centile hours", waits.ninetieth_centile_hours),
    ):
        found[f"{name}|{measure}"] = None if value is None else round(value, 2)


def read(engine: Engine, site: str, wanted: dict[str, Any]) -> dict[str, Any]:
    requests = site_requests(engine, site)
    found: dict[str, Any] = {}
    for request in requests:
        # The request's visit number: the same through every write path.
        name = request.request_id.rpartition(":")[2]
        found[f"{name}|status"] = request.status.value
        if request.in_allocated_bed is not None:
            found[f"{name}|in allocated bed"] = request.in_allocated_bed
    _waits(found, "all", br.waits(requests))
    for specialty, waits in br.waits_by_specialty(requests).items():
        _waits(found, specialty, waits)
    unknown = set(wanted) - set(found)
    assert not unknown, f"the bed requests have no figure {sorted(unknown)}"
    return {name: found[name] for name in wanted}
