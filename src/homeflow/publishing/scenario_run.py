"""A scenario run's comparison as a board paper: what each scenario saves and costs, NCTR by
pathway, and the fan charts drawn on the server (vl-convert), printed to A4 by Chromium."""

from __future__ import annotations

from typing import Any

import vl_convert
from jinja2 import Environment, PackageLoader, select_autoescape

from homeflow.domain import clock
from homeflow.domain.clock import SYSTEM_ZONE
from homeflow.reports.charts import fan_spec

_templates = Environment(
    loader=PackageLoader("homeflow.publishing", "templates"), autoescape=select_autoescape()
)
_templates.filters["count"] = lambda value: f"{value:,.0f}".replace("-", "−")
_templates.filters["pounds"] = lambda value: ("−£" if value < 0 else "£") + f"{abs(value):,.0f}"


def run_report_html(run: dict[str, Any]) -> str:
    """The finished run as one printable page (HTML, self-contained)."""
    results = run["results"]
    charts = [
        vl_convert.vegalite_to_svg(fan_spec(results[name], title, "patients", width=300))
        for name, title in (
            ("occupancy", "Patients in hospital beds"),
            ("nctr", "Patients who no longer meet the criteria to reside"),
        )
    ]
    made = clock.now().astimezone(SYSTEM_ZONE)
    return _templates.get_template("scenario_run.html").render(
        run=run, r=results, charts=charts, made=made
    )
