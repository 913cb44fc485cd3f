"""Nothing about a day that has not ended, in a return, a census or a measure: every route and
every command that takes a day refuses today (Europe/London) and later, naming its field.

The routes and commands are found by walking the app's routes and the command line, so a new
one is covered: every query parameter of a page or API route is either a day (tried here) or
named in NOT_DAYS; every option whose help asks for YYYY-MM-DD is tried here or has a reason in
NOT_COUNTED. A filter form answers a day it cannot use with the form again, as typed, the
problem beside the field; a page given an address it cannot read answers with a page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import typer
from fastapi.routing import APIRoute

from homeflow.cli import app as cli_app
from homeflow.domain.clock import local_date
from homeflow.web import api, pages
from tests.support import homeflow
from tests.web_site import Site, signed_in

# Words, dates, orders and refusals of pages: the same on either engine (tests/conftest.py).
pytestmark = pytest.mark.one_engine

# Query parameters that are not days, and a value each takes (what the route needs to reach
# its day).
NOT_DAYS = {
    "measure": "occupied", "ward": "", "site": "", "type": "x", "org": "RX1", "metric": "x",
    "group": "x", "kpi": "stranded", "level": "org", "place": "RX1", "lever": "posts",
    "only": "", "q": "", "page": "1", "print": "", "escalated": "", "service": "",
    "pathway": "", "show": "", "period": "daily", "charts": "system", "which": "counted",
    "kind": "x", "saved": "", "unchanged": "", "system": "QDE", "framework": "hicm-2015",
    "owner": "", "team": "", "goal": "", "text": "", "need": "", "area": "", "per_page": "10",
    "taxonomy_term_id": "", "user": "", "spell": "", "model": "", "problem": "",
    "by": "provider", "code": "RW1", "figure": "x", "specialty": "General Medicine",
    "horizon": "today",
}  # fmt: skip
DAYS = {
    "day", "start", "end", "on", "week", "month", "against", "date", "rebase", "week_ending",
}  # fmt: skip
# Days a route takes that are not a day counted, and why; and the one route whose day may be
# today.
NOT_COUNTED = {
    ("/improvement/heat-map", "on"): "the date of a self-assessment, a record",
    ("/improvement/heat-map", "against"): "the date of an earlier self-assessment, a record",
    ("/measures", "rebase"): "the day a change was made, where a chart's limits start again",
}
TODAY_IS_NOW = {
    ("/people/census", "day"): "the overview's figures of now open to it: the census so far",
    ("/improvement/collaborative/report", "month"): "a month so far, counted to yesterday",
    (
        "/improvement/smart-list",
        "on",
    ): "as at a day: the segments set by then, and the weeks ended before it",
}


def today() -> date:
    return local_date(datetime.now(UTC))


def get_routes() -> list[APIRoute]:
    every = [r for router in (api.router, *pages.ROUTERS) for r in router.routes]
    return [r for r in every if isinstance(r, APIRoute) and "GET" in r.methods]


def day_parameters() -> list[tuple[str, str]]:
    """Every (route, parameter) that takes a day."""
    found = []
    for route in get_routes():
        for param in route.dependant.query_params:
            assert param.alias in DAYS | set(NOT_DAYS), (
                f"{route.path} takes {param.alias!r}: add it to DAYS (and check the route "
                "refuses a day that has not ended) or to NOT_DAYS"
            )
            if param.alias in DAYS:
                found.append((route.path, param.alias))
    return found


def written(field: str, day: date, path: str) -> str:
    if field == "month":
        return f"{day:%Y-%m}"
    return day.isoformat() if path.startswith("/api/") else f"{day:%d/%m/%Y}"


def address(path: str, field: str, value: str) -> str:
    route = next(r for r in get_routes() if r.path == path)
    yesterday = today() - timedelta(days=1)
    query = {
        p.alias: written(p.alias, yesterday, path) if p.alias in DAYS else NOT_DAYS[p.alias]
        for p in route.dependant.query_params
    }
    query = {k: v for k, v in query.items() if v}
    query[field] = value
    return re.sub(r"\{[^}]+\}", "x", path) + "?" + urlencode(query)


def refused(answer: httpx.Response, field: str) -> bool:
    if answer.status_code != 400:
        return False
    if answer.headers["content-type"].startswith("application/json"):
        return bool(answer.json().get("field") == field)
    text = answer.text
    said = ("has not ended yet", "has not come yet", "has not begun yet")
    named = f"{field}: " in text or f'id="{field}-error"' in text
    return named and any(s in text for s in said)


def visible(page: str) -> str:
    """A page's words, without its header."""
    main = page.split("<main", 1)[-1]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


@pytest.fixture(scope="module")
def client(shared_site: Site) -> httpx.Client:
    return signed_in(shared_site, "analyst@qde.test")


def test_every_route_taking_a_day_refuses_one_that_has_not_ended(client: httpx.Client) -> None:
    tried, shown = 0, []
    for path, field in day_parameters():
        if (path, field) in NOT_COUNTED:
            continue
        after = today() + timedelta(days=1 if field != "month" else 31 - today().day + 1)
        days = [date(2099, 1, 1), after]
        if (path, field) not in TODAY_IS_NOW:
            days.append(today())
        for day in days:
            link = address(path, field, written(field, day, path))
            answer = client.get(link)
            if not refused(answer, field):
                shown.append((link, answer.status_code, visible(answer.text)[:300]))
            tried += 1
    assert not shown, shown
    assert tried >= 3 * 15


def test_the_sitrep_of_a_day_to_come_is_not_shown_nor_ready_to_submit(
    client: httpx.Client,
) -> None:
    page = client.get("/returns/sitrep?day=01/01/2099")
    assert page.status_code == 400
    assert "231" not in page.text and "sitrep.csv" not in page.text
    assert 'value="01/01/2099"' in page.text  # kept as typed, the problem beside it
    assert 'id="day-error"' in page.text and "01/01/2099 has not ended yet" in page.text
    assert client.get("/returns/sitrep.csv?day=2099-01-01").status_code == 400
    assert client.get("/api/census?date=2099-01-01").status_code == 400


FILTERS = {
    "/returns/sitrep": ("day",),
    "/measures": ("start", "end"),
    "/outcomes": ("start", "end"),
    "/home-care": ("day", "against"),
}


@pytest.mark.parametrize("path", sorted(FILTERS))
def test_a_filter_given_a_day_it_cannot_use_shows_its_form_again_as_typed(
    client: httpx.Client, path: str
) -> None:
    """Not a date, a date that does not exist, and a day not ended: every problem at once,
    each beside its field, the values as typed, and no "Check the address"."""
    typed = dict(zip(FILTERS[path], ("31/02/2026", f"{today():%d/%m/%Y}"), strict=False))
    if len(typed) == 1:
        typed[FILTERS[path][0]] = "next tuesday"
    page = client.get(path, params=typed)
    assert page.status_code == 400, page.text[:500]
    assert "Check the address" not in page.text
    assert 'class="nhsuk-error-summary"' in page.text
    for field, value in typed.items():
        assert f'value="{value}"' in page.text, (field, value)
        assert f'id="{field}-error"' in page.text, field
        assert f'href="#{field}"' in page.text, field  # the summary links to the field


PAGE_PREFIXES_NOT_PAGES = ("/api/", "/openapi", "/fhir", "/static", "/assets")


def test_every_page_given_an_address_it_cannot_read_answers_with_a_page(
    client: httpx.Client,
) -> None:
    """A required parameter left out, a number or a choice that is not one: a page in the
    design system naming the parameter, never FastAPI's JSON."""
    checked, wrong = 0, []
    for route in get_routes():
        if route.path.startswith(PAGE_PREFIXES_NOT_PAGES):
            continue
        params = route.dependant.query_params
        # Required parameters left out; every other given a value no number or choice takes.
        query = {p.alias: "x<y" for p in params if not p.field_info.is_required()}
        answer = client.get(re.sub(r"\{[^}]+\}", "x", route.path), params=query)
        checked += 1
        kind = answer.headers.get("content-type", "")
        missing = [p.alias for p in params if p.field_info.is_required()]
        named = all(f"{name}: is needed" in answer.text for name in missing)
        page = kind.startswith("text/html") and "<h1" in answer.text
        if answer.status_code >= 500 or (answer.status_code >= 400 and not page):
            wrong.append((route.path, answer.status_code, kind, answer.text[:200]))
        elif missing and (answer.status_code != 400 or not named):
            wrong.append((route.path, answer.status_code, visible(answer.text)[:300]))
    assert not wrong, wrong
    assert checked > 40
    for path in ("/scenarios/new", "/people/census?site=RX101", "/measures?level=nowhere"):
        answer = client.get(path)
        assert answer.status_code == 400, path
        assert answer.headers["content-type"].startswith("text/html"), path
    assert client.get("/no-such-page").headers["content-type"].startswith("text/html")
    assert client.get("/api/census").headers["content-type"].startswith("application/json")


# --- the command line ---------------------------------------------------------------------

# Options that take a day but not a day counted, and why.
NOT_COUNTED_OPTIONS = {
    "demo --end": "the last day a demo simulates: it may be today",
    "calibrate --start": "the first day a run simulates, which is ahead",
    "audit export --from": "the audit's rows of a day so far, not a figure",
    "audit export --to": "the audit's rows of a day so far, not a figure",
    "assessment import --date": "the date of a self-assessment, a record",
    "assessment export --date": "the date of a self-assessment, a record",
    "ingest census --date": "the day a census file was taken, received as it comes",
    "spc --rebase": "the day a change was made, in a series read from a file",
    "framework add --version": "a version's name, such as the date it was agreed",
}
# Options for a picture as at a day, which may be today but not later.
AS_AT = {
    "smart-list --date": ["smart-list", "--date={}"],
    "beds state --at": ["beds", "state", "--site=RX101", "--at={}"],
    "predict discharges --date": ["predict", "discharges", "--date={}"],
    "log detach --before": ["log", "detach", "events_p0001", "--before={}"],
}
# The rest of a command line that reaches the option.
COMMAND_LINES = {
    "sitrep --date": ["sitrep", "--out=o.csv", "--date={}"],
    "kpi --from": ["kpi", "stranded", "--out=o.csv", "--to=2026-01-01", "--from={}"],
    "kpi --to": ["kpi", "stranded", "--out=o.csv", "--from=2026-01-01", "--to={}"],
    "kpi --baseline": [
        "kpi", "stranded", "--out=o.csv", "--from=2026-01-01", "--to=2026-01-02", "--baseline={}",
    ],
    "census --date": ["census", "--date={}"],
    "drd --month": ["drd", "--month={}"],
    "opel --date": ["opel", "--date={}"],
    "ic-return --week-ending": ["ic-return", "--out=o.csv", "--week-ending={}"],
    "delays longest --date": ["delays", "longest", "--date={}"],
    "delays internal --date": ["delays", "internal", "--date={}"],
    "report weekly --date": ["report", "weekly", "--out=r.html", "--date={}"],
    "dtoc --month": ["dtoc", "--out=o.csv", "--month={}"],
    "mh-delays --month": ["mh-delays", "--month={}"],
    "outcomes --from": ["outcomes", "--to=2026-01-01", "--from={}"],
    "outcomes --to": ["outcomes", "--from=2026-01-01", "--to={}"],
    "outcomes --baseline-from": [
        "outcomes", "--from=2026-01-01", "--to=2026-01-02", "--baseline-to=2026-01-01",
        "--baseline-from={}",
    ],
    "outcomes --baseline-to": [
        "outcomes", "--from=2026-01-01", "--to=2026-01-02", "--baseline-from=2026-01-01",
        "--baseline-to={}",
    ],
    "home-care tree --date": ["home-care", "tree", "--date={}"],
    "home-care tree --against": ["home-care", "tree", "--date=2026-01-02", "--against={}"],
    "pdsa list --date": ["pdsa", "list", "--date={}"],
    "calibrate --from": ["calibrate", "--out=m.toml", "--to=2026-01-01", "--from={}"],
    "calibrate --to": ["calibrate", "--out=m.toml", "--from=2026-01-01", "--to={}"],
    "forecast --to": ["forecast", "--out=f.csv", "--level=icb", "--to={}"],
    "backtest --to": ["backtest", "--level=icb", "--to={}"],
    "predict train --through": ["predict", "train", "--through={}"],
    "predict evaluate --from": ["predict", "evaluate", "--to=2026-01-01", "--from={}"],
    "predict evaluate --to": ["predict", "evaluate", "--from=2026-01-01", "--to={}"],
    "validate --to": ["validate", "--to={}"],
}  # fmt: skip


def _commands(command: Any, path: tuple[str, ...] = ()) -> Any:
    subcommands = getattr(command, "commands", {})
    if path and (not subcommands or command.callback is not None):
        yield " ".join(path), command
    for name, sub in subcommands.items():
        yield from _commands(sub, (*path, name))


def day_options() -> set[str]:
    """Every option taking text whose help asks for a day, a date or a month."""
    found = set()
    for name, command in _commands(typer.main.get_command(cli_app)):
        for param in command.params:
            helped = getattr(param, "help", "") or ""
            text = "str" in repr(param.type_descriptor.annotation)
            if text and ("YYYY-MM" in helped or re.search(r"\b(day|date)\b", helped, re.I)):
                found.add(f"{name} {max(param.opts, key=len)}")
    return found


def test_every_command_taking_a_day_refuses_one_that_has_not_ended(tmp_path: Path) -> None:
    options = day_options()
    known = set(COMMAND_LINES) | set(NOT_COUNTED_OPTIONS) | set(AS_AT)
    assert options == known, options ^ known
    # The day is refused before the database is opened: there is none here.
    url = f"sqlite:///{tmp_path / 'none' / 'no.db'}"
    for option, line in COMMAND_LINES.items():
        field = option.rsplit(" ", 1)[1]
        for day in (today(), date(2099, 1, 1)):
            value = f"{day:%Y-%m}" if field == "--month" else day.isoformat()
            done = homeflow(url, *[part.format(value) for part in line])
            assert done.returncode == 2, (option, day, done.stdout, done.stderr)
            assert done.stderr.startswith(f"error: {field}: "), (option, done.stderr)
            assert "has not ended yet" in done.stderr, (option, done.stderr)
    for option, line in AS_AT.items():
        field = option.rsplit(" ", 1)[1]
        done = homeflow(url, *[part.format(date(2099, 1, 1).isoformat()) for part in line])
        assert done.returncode == 2 and done.stderr.startswith(f"error: {field}: "), done.stderr
        assert "has not come yet" in done.stderr, (option, done.stderr)
