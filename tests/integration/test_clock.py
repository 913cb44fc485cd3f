"""The one clock, pinned to 23:30 UTC on a summer Saturday (00:30 BST, Sunday in England):
the demo ends that Sunday and stores nothing later, every page a user reaches without
parameters shows that day and never the machine's, the commands' default day is it, and the
event log's check for events from the future reads it. The server and the command are real
processes given HOMEFLOW_NOW; the demo is built in this process with it set."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
import typer
from fastapi.routing import APIRoute
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from homeflow.cli import app
from homeflow.domain import clock
from homeflow.domain import events as ev
from homeflow.domain.clock import format_day, local_date
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.codec import from_db_time
from homeflow.store.eventlog import EventLog
from homeflow.store.users import add_user
from homeflow.web import pages
from tests.clock import SUMMER_NIGHT, SUMMER_NIGHT_DAY, pinned_env
from tests.conftest import ENGINES, fresh_database, url_of
from tests.support import ServerProcess, homeflow
from tests.web_site import PASSWORD, Site, signed_in

USERS = {"coordinator@qde.test": "system-coordinator", "admin@qde.test": "admin"}


@dataclass
class Pinned:
    url: str
    clients: dict[str, httpx.Client]  # signed in, by email


@pytest.fixture(scope="module", params=ENGINES)
def pinned(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pinned]:  # fmt: skip
    """A two-day demo built with the clock pinned, served by a server pinned alike."""
    with fresh_database(request.param, tmp_path_factory.mktemp("pinned")) as engine:
        url = url_of(engine)
        built = CliRunner().invoke(
            app, ["demo", "--days", "2", "--seed", "5"], env=_env(url, **pinned_env())
        )
        assert built.exit_code == 0, built.output
        with clock.pinned(SUMMER_NIGHT):  # an account shows when it was made
            for email, role in USERS.items():
                add_user(engine, email, "QDE", role, PASSWORD)
        server = ServerProcess(url, env=pinned_env())
        site = Site(url, server.base)
        clients = {email: signed_in(site, email) for email in USERS}
        try:
            yield Pinned(url, clients)
        finally:
            for client in clients.values():
                client.close()
            server.stop()


def _env(url: str, **more: str) -> dict[str, str]:
    return {"HOMEFLOW_DATABASE_URL": url, **more}


def test_the_demo_ends_on_the_pinned_local_day_and_stores_nothing_later(pinned: Pinned) -> None:
    engine = db.connect(pinned.url)
    try:
        with engine.connect() as conn:
            last_day = conn.scalar(select(func.max(t.daily_census.c.day)))
            latest = conn.execute(
                select(func.max(t.events.c.occurred_at), func.max(t.events.c.received_at))
            ).one()
    finally:
        engine.dispose()
    assert last_day == SUMMER_NIGHT_DAY
    # Everything the demo stored (admissions, community records, support, improvement) was
    # received by the pinned moment, not the machine's.
    assert SUMMER_NIGHT - timedelta(days=1) < from_db_time(latest[1]) <= SUMMER_NIGHT
    assert from_db_time(latest[0]) <= SUMMER_NIGHT


def _machine_days() -> set[date]:
    """The days the wall clock could be showing, in England and in UTC, around now."""
    now = datetime.now(UTC)
    return {d for i in (-1, 0, 1) for d in (local_date(now) + timedelta(days=i), now.date())}


def _written(day: date) -> list[str]:
    return [day.isoformat(), format_day(day), f"{day:%d %B %Y}", f"{day:%d %b %Y}"]


PAGES = sorted(
    route.path
    for router in pages.ROUTERS
    for route in router.routes
    if isinstance(route, APIRoute) and "GET" in route.methods and "{" not in route.path
)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_of_the_pinned_day_not_the_machines(pinned: Pinned, path: str) -> None:
    answers = [client.get(path) for client in pinned.clients.values()]
    seen = [a for a in answers if a.status_code != 403]
    assert seen and all(a.status_code < 500 for a in seen), [a.status_code for a in answers]
    for answer in seen:
        text = answer.text + answer.headers.get("content-disposition", "")
        for day in _machine_days():
            assert not [w for w in _written(day) if w in text], (path, day)


def test_the_pages_that_name_today_name_the_pinned_local_day(pinned: Pinned) -> None:
    client = pinned.clients["coordinator@qde.test"]
    assert "Now, Sunday 29 June 2025." in client.get("/overview").text
    assert "Sunday 29/06/2025" in client.get("/daily-call").text
    csv = client.get("/daily-call.csv")
    assert "daily-call-2025-06-29.csv" in csv.headers["content-disposition"]


def test_a_command_run_as_a_process_takes_the_pinned_day_as_today(pinned: Pinned) -> None:
    # The census is of the last day that has ended: the pinned day's yesterday.
    done = homeflow(pinned.url, "census", env=pinned_env())
    assert done.returncode == 0, done.stderr
    assert f"Census for {(SUMMER_NIGHT_DAY - timedelta(days=1)).isoformat()}" in done.stdout


def _options_defaulting_to_today() -> list[tuple[list[str], str]]:
    """(command path, option) for every option whose help says it defaults to today (or to
    yesterday, the last day that has ended); the command path ends with `--format json` where
    the command offers it."""
    found = []

    def walk(command: object, path: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])
        params = getattr(command, "params", [])
        json = ["--format", "json"] if any("--format" in p.opts for p in params) else []
        for param in params:
            if "default today" in (getattr(param, "help", None) or "") or _to_yesterday(param):
                found.append(([*path, *json], max(param.opts, key=len)))

    walk(typer.main.get_command(app), [])
    return found


def _to_yesterday(param: object) -> bool:
    return "default yesterday" in (getattr(param, "help", None) or "")


TODAY_OPTIONS = _options_defaulting_to_today()


@pytest.mark.parametrize(
    ("command", "option"),
    # The demo's --end is checked by the fixture, which builds it pinned; `predict train` needs
    # weeks of history to learn from, more than the pinned two-day demo holds.
    [c for c in TODAY_OPTIONS if c[0][0] != "demo" and c[0][:2] != ["predict", "train"]],
    ids=lambda value: " ".join(value) if isinstance(value, list) else value,
)
def test_a_command_left_without_its_day_answers_as_for_the_pinned_day(
    pinned: Pinned, command: list[str], option: str
) -> None:
    runner, env = CliRunner(), _env(pinned.url, **pinned_env())
    default = runner.invoke(app, command, env=env)
    params = typer.main.get_command(app)
    for name in command:
        params = getattr(params, "commands", {}).get(name, params)
    day = SUMMER_NIGHT_DAY
    if any(_to_yesterday(p) for p in getattr(params, "params", []) if option in p.opts):
        day -= timedelta(days=1)
    named = runner.invoke(app, [*command, option, day.isoformat()], env=env)
    assert default.exit_code == named.exit_code == 0, default.output
    assert default.stdout == named.stdout


def _admitted(key: str, at: datetime) -> ev.Event:
    payload = ev.Admitted("P-" + key, "RX101", "RX101-M01", None, ev.AdmissionMethod.EMERGENCY)
    return ev.Event(key, "test", at, at, "RX1:" + key, payload)


@pytest.mark.parametrize("how", ["pinned", clock.NOW_VARIABLE])
def test_the_event_log_refuses_what_lies_after_the_pinned_moment(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """In the past of the machine's clock, an event after the pinned moment (beyond the five
    minutes' tolerance) is still in the future: refused naming occurred_at, nothing stored."""
    monkeypatch.setenv(clock.NOW_VARIABLE, SUMMER_NIGHT.isoformat())
    with clock.pinned(SUMMER_NIGHT) if how == "pinned" else contextlib.nullcontext():
        if how == "pinned":
            monkeypatch.delenv(clock.NOW_VARIABLE)
        result = EventLog(engine).append(
            [_admitted("BEFORE", SUMMER_NIGHT - timedelta(hours=1)),
             _admitted("AFTER", SUMMER_NIGHT + timedelta(minutes=6))]
        )  # fmt: skip
    assert result.applied == ["BEFORE"]
    assert [(r.key, r.field) for r in result.rejected] == [("AFTER", "occurred_at")]
    with engine.connect() as conn:
        assert sorted(k for (k,) in conn.execute(select(t.events.c.key))) == ["BEFORE"]
