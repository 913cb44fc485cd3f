"""The home-care split tree as a page: needed against deliverable hours, and each lever's
share of the gap, drawn with Vega-Lite and written out as a table."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from homeflow.domain.clock import parse_day
from homeflow.reports.charts import spec_json, split_tree_spec
from homeflow.services.home_care import home_care_tree, lever_moves, tree_rows
from homeflow.web.auth import Database, Signed
from homeflow.web.rendering import render, today

router = APIRouter()


@router.get("/home-care", response_class=HTMLResponse)
def home_care_page(
    request: Request, engine: Database, session: Signed, day: str = ""
) -> HTMLResponse:
    shown = parse_day("day", day) if day else today() - timedelta(days=1)
    market, tree = home_care_tree(engine, shown)
    rows = tree_rows(tree)
    levers = [r for r in rows if r["side"]]
    gap = next(r for r in rows if r["lever"] == "Gap")["hours_of_gap"]
    context = {
        "day": shown,
        "totals": [r for r in rows if not r["side"]],
        "levers": levers,
        "moves": lever_moves(market),
        "spec_json": spec_json(split_tree_spec(levers, gap)),
    }
    return render(request, "home_care.html", session, context)
