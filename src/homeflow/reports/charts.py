"""Vega-Lite specs for SPC charts: the same spec is drawn in the browser (vega-embed) and
rendered to SVG or PNG on the server (vl-convert) for the weekly report. Pure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from homeflow.reports.spc import SpcChart, Variation

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"

# Every chart's style: dates the UK way on axes ("6 Sep", "Oct", "2026", by the ticks' spacing)
# and in tooltips (06/09/2026).
CONFIG: dict[str, Any] = {
    "font": "Arial",
    "view": {"stroke": None},
    "timeFormat": "%d/%m/%Y",
    "axisTemporal": {
        "format": {
            "year": "%Y",
            "quarter": "%b",
            "month": "%b",
            "week": "%-d %b",
            "date": "%-d %b",
            "hours": "%H:%M",
        }
    },
}

# Making Data Count's colours: blue for improvement, orange for concern, grey for common cause.
VARIATION_COLOURS = {
    Variation.IMPROVEMENT_HIGH.value: "#005eb8",
    Variation.IMPROVEMENT_LOW.value: "#005eb8",
    Variation.CONCERN_HIGH.value: "#ed8b00",
    Variation.CONCERN_LOW.value: "#ed8b00",
    Variation.NEITHER_HIGH.value: "#768692",
    Variation.NEITHER_LOW.value: "#768692",
    Variation.COMMON_CAUSE.value: "#768692",
}


def _spc_points(chart: SpcChart, links: Sequence[str] | None = None) -> list[dict[str, Any]]:
    return [
        {
            **({"people": links[n]} if links else {}),
            "date": p.day.isoformat(),
            "value": round(p.value, 3),
            "mean": round(p.mean, 3),
            "lpl": round(p.lpl, 3),
            "upl": round(p.upl, 3),
            "phase": p.phase,
            "variation": p.variation.value,
            "special cause": ", ".join(p.rules) or "none",
        }
        for n, p in enumerate(chart.points)
    ]


def _spc_layers(
    x: dict[str, Any], present: list[str], y_title: str, linked: bool = False
) -> list[dict[str, Any]]:
    """The values as a line, each phase's mean and limits, and the points coloured by
    variation (the legend lists only the kinds present)."""
    return [
        {
            "mark": {"type": "line", "color": "#aeb7bd", "strokeWidth": 1.5},
            # Scaled to the data, not from zero: a flattened line hides the signal.
            "encoding": {
                "x": x,
                "y": {
                    "field": "value",
                    "type": "quantitative",
                    "title": y_title,
                    "scale": {"zero": False},
                },
            },
        },
        {
            "mark": {"type": "line", "color": "#212b32", "strokeWidth": 1},
            "encoding": {
                "x": x,
                "y": {"field": "mean", "type": "quantitative"},
                "detail": {"field": "phase"},
            },
        },
        *(
            {
                "mark": {
                    "type": "line",
                    "color": "#425563",
                    "strokeDash": [4, 3],
                    "strokeWidth": 1,
                },
                "encoding": {
                    "x": x,
                    "y": {"field": limit, "type": "quantitative"},
                    "detail": {"field": "phase"},
                },
            }
            for limit in ("lpl", "upl")
        ),
        {
            "mark": {"type": "point", "filled": True, "size": 36},
            "encoding": {
                "x": x,
                "y": {"field": "value", "type": "quantitative"},
                "color": {
                    "field": "variation",
                    "type": "nominal",
                    "scale": {
                        "domain": present,
                        "range": [VARIATION_COLOURS[v] for v in present],
                    },
                    "legend": {"orient": "bottom", "title": None, "columns": 2, "labelLimit": 0},
                },
                "tooltip": [
                    {"field": "date", "type": "temporal"},
                    {"field": "value", "type": "quantitative"},
                    {"field": "variation", "type": "nominal"},
                    {"field": "special cause", "type": "nominal"},
                ],
                # Each point opens to the patients behind it.
                **({"href": {"field": "people"}} if linked else {}),
            },
        },
    ]


def spc_spec(
    chart: SpcChart,
    title: str,
    unit: str = "",
    target: float | None = None,
    width: int = 560,
    changes: Sequence[tuple[date, str]] = (),
    links: Sequence[str] | None = None,
) -> dict[str, Any]:
    """An XmR chart: the values, coloured by variation; the mean and process limits of each
    phase; the target, if there is one; a dashed line at each change tested on the measure
    (a PDSA's change date), named in its tooltip."""
    values = _spc_points(chart, links)
    x = {"field": "date", "type": "temporal", "title": None}
    # Only the kinds of variation on this chart go in its legend; colours stay fixed.
    present = [v for v in VARIATION_COLOURS if any(row["variation"] == v for row in values)]
    y_title = unit or "value"
    layers = _spc_layers(x, present, y_title, bool(links))
    if target is not None:
        layers.append(
            {
                "mark": {"type": "rule", "color": "#d5281b", "strokeDash": [6, 3]},
                "encoding": {"y": {"datum": target}},
            }
        )
    if changes:
        layers.append(
            {
                "data": {
                    "values": [{"date": day.isoformat(), "change": idea} for day, idea in changes]
                },
                "mark": {"type": "rule", "color": "#330072", "strokeDash": [2, 2]},
                "encoding": {
                    "x": x,
                    "tooltip": [
                        {
                            "field": "date",
                            "type": "temporal",
                            "title": "Changed on",
                            "format": "%d/%m/%Y",
                        },
                        {"field": "change", "type": "nominal", "title": "Change"},
                    ],
                },
            }
        )
    return {
        "$schema": SCHEMA,
        "title": {
            "text": title,
            "subtitle": f"{chart.latest.variation.value}; {chart.assurance.value}",
        },
        "width": width,
        "height": 220,
        "data": {"values": values},
        "layer": layers,
        "config": CONFIG,
    }


def fan_spec(
    rows: list[dict[str, Any]], title: str, unit: str, width: int = 300, shared: bool = True
) -> dict[str, Any]:
    """A fan chart per scenario, side by side on one scale (`shared`; else each its own, for
    services of different sizes): the 5-95% and 25-75% bands of the replications and their
    median. `rows`: scenario, date, p5, p25, p50, p75, p95, and, when the run is compared with
    what happened, actual (drawn as a line with points); the scenarios are shown in the order
    they first appear."""
    x = {"field": "date", "type": "temporal", "title": None}
    scenarios = list(dict.fromkeys(row["scenario"] for row in rows))
    actual = (
        [
            {
                "mark": {
                    "type": "line",
                    "color": "#d5281b",
                    "point": {"color": "#d5281b"},
                    "strokeDash": [4, 2],
                },
                "encoding": {
                    "x": x,
                    "y": {"field": "actual", "type": "quantitative"},
                    "tooltip": [
                        {"field": "date", "type": "temporal"},
                        {"field": "actual", "title": "actual"},
                        {"field": "p5", "title": "5%"},
                        {"field": "p95", "title": "95%"},
                    ],
                },
            }
        ]
        if any("actual" in row for row in rows)
        else []
    )
    return {
        "$schema": SCHEMA,
        "title": title,
        "data": {"values": rows},
        "facet": {"field": "scenario", "type": "nominal", "title": None, "sort": scenarios},
        "columns": 2,
        "resolve": {"scale": {"y": "shared" if shared else "independent"}},
        "config": CONFIG,
        "spec": {
            "width": width,
            "height": 180,
            "layer": [
                {
                    "mark": {"type": "area", "color": "#005eb8", "opacity": 0.18},
                    "encoding": {
                        "x": x,
                        "y": {"field": "p5", "type": "quantitative", "title": unit},
                        "y2": {"field": "p95"},
                    },
                },
                {
                    "mark": {"type": "area", "color": "#005eb8", "opacity": 0.3},
                    "encoding": {
                        "x": x,
                        "y": {"field": "p25", "type": "quantitative"},
                        "y2": {"field": "p75"},
                    },
                },
                {
                    "mark": {"type": "line", "color": "#003087"},
                    "encoding": {
                        "x": x,
                        "y": {"field": "p50", "type": "quantitative"},
                        "tooltip": [
                            {"field": "date", "type": "temporal"},
                            {"field": "p5", "title": "5%"},
                            {"field": "p50", "title": "median"},
                            {"field": "p95", "title": "95%"},
                        ],
                    },
                },
                *actual,
            ],
        },
    }


def momentum_spec(rows: list[dict[str, Any]], width: int = 560) -> dict[str, Any]:
    """Momentum per action period as bars. `rows`: period (its title), starts, momentum."""
    return {
        "$schema": SCHEMA,
        "title": "Momentum: people taking part × actions and interactions, per action period",
        "width": width,
        "height": 200,
        "data": {"values": rows},
        "mark": {"type": "bar", "color": "#005eb8"},
        "encoding": {
            "x": {
                "field": "period",
                "type": "nominal",
                "sort": {"field": "starts"},
                "title": None,
                "axis": {"labelAngle": 0},
            },
            "y": {"field": "momentum", "type": "quantitative", "title": "momentum"},
            "tooltip": [
                {"field": "period", "type": "nominal"},
                {"field": "people", "type": "quantitative"},
                {"field": "actions", "type": "quantitative", "title": "actions and interactions"},
                {"field": "momentum", "type": "quantitative"},
            ],
        },
        "config": CONFIG,
    }


def split_tree_spec(
    levers: list[dict[str, Any]], gap: float, axis: str = "hours a week of the gap"
) -> dict[str, Any]:
    """The home-care split tree as bars: each lever's hours of the gap (or of its change),
    demand's levers above supply's, widening the gap to the right; what they add up to as a
    rule."""
    rows = [{"lever": r["lever"], "side": r["side"], "hours": r["hours_of_gap"]} for r in levers]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": "container",
        "height": 28 * len(rows),
        "data": {"values": rows},
        "layer": [
            {
                "mark": {"type": "bar"},
                "encoding": {
                    "y": {"field": "lever", "type": "nominal", "sort": None, "title": None},
                    "x": {
                        "field": "hours",
                        "type": "quantitative",
                        "title": axis,
                    },
                    "color": {
                        "field": "side",
                        "type": "nominal",
                        "scale": {"domain": ["demand", "supply"], "range": ["#005eb8", "#ed8b00"]},
                        "legend": {"orient": "bottom", "title": None},
                    },
                    "tooltip": [
                        {"field": "lever", "type": "nominal"},
                        {"field": "hours", "type": "quantitative", "format": ",.1f"},
                    ],
                },
            },
            {
                "data": {"values": [{"gap": gap}]},
                "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#212b32"},
                "encoding": {"x": {"field": "gap", "type": "quantitative"}},
            },
        ],
        "config": CONFIG,
    }


def flow_spec(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """From the pathway at discharge to where people were at 91 days: a bar for each place's
    pathway, split by where they were; each part opens to its people (`people`)."""
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": "container",
        "height": 32 * len({r["from"] for r in rows}),
        "data": {"values": rows},
        "mark": {"type": "bar", "cursor": "pointer"},
        "encoding": {
            "y": {"field": "from", "type": "nominal", "title": None, "sort": None},
            "x": {
                "field": "people",
                "type": "quantitative",
                "stack": "normalize",
                "title": "share at 91 days",
                "axis": {"format": "%"},
            },
            "color": {
                "field": "where",
                "type": "nominal",
                "legend": {"orient": "bottom", "title": None},
            },
            "href": {"field": "link"},
            "tooltip": [
                {"field": "from", "type": "nominal"},
                {"field": "where", "type": "nominal"},
                {"field": "people", "type": "quantitative"},
            ],
        },
        "config": CONFIG,
    }


def spec_json(spec: dict[str, Any]) -> str:
    """A spec as JSON safe inside a <script> data block: no "</" can close it early."""
    return json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
