"""A demo system served over HTTP, with a user of each role, for the web tests and the browser
tests (each test module gets its own server and database)."""

from __future__ import annotations

import functools
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import httpx
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.pool import NullPool

from homeflow.domain.clock import local_date
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.users import add_user
from tests import demo_templates
from tests.conftest import demo_database
from tests.support import ServerProcess, homeflow

EXAMPLES = Path(__file__).parent.parent / "examples"
PASSWORD = "correct horse battery staple"
USERS = {
    "nurse@rx1.test": ("RX1", "ward-staff"),
    "flow@rx1.test": ("RX1", "discharge-team"),
    "cmht@rw1.test": ("RW1", "discharge-team"),
    "social-worker@lar01.test": ("LAR01", "discharge-team"),
    "hub@ry1.test": ("RY1", "discharge-team"),
    "coordinator@qde.test": ("QDE", "system-coordinator"),
    "admin@qde.test": ("QDE", "admin"),
    "analyst@qde.test": ("QDE", "analyst"),
}


@dataclass
class Site:
    url: str
    base: str
    models: Path | None = None  # the served models folder (HOMEFLOW_MODELS), when known


def add_users(url: str) -> None:
    """A user of each role (tests/integration/test_web.py adds one with the real command)."""
    engine = db.connect(url)
    for email, (org, role) in USERS.items():
        add_user(engine, email, org, role, PASSWORD)
    engine.dispose()


@contextmanager
def served_demo(kind: str, folder: Path) -> Iterator[Site]:
    """A demo system ending yesterday, its users, and `homeflow serve` in front of it."""
    # The demo runs to the end of its last day: ending yesterday, nothing in it lies in the
    # future, so what a user records now is the latest word.
    yesterday = (local_date(datetime.now(UTC)) - timedelta(days=1)).isoformat()
    with demo_database(kind, folder, *_demo_args(yesterday), prepare=add_users) as url:
        models = folder / "models"
        (models / "scenarios").mkdir(parents=True)
        shutil.copy(_calibrated(kind, url, yesterday), models / "demo.toml")
        for trained in _discharge_model(kind, url, yesterday):
            shutil.copy(trained, models / trained.name.split(".", 1)[1])
        (models / "scenarios" / "demand.toml").write_text(
            (EXAMPLES / "demand-plus-8.toml").read_text()
        )
        (models / "scenarios" / "broken.toml").write_text('name = "Broken"\ndemand = "lots"\n')
        # The demo's feeds' mappings (written beside the templates when the demo was built),
        # a copy of the site's own: the feeds page reads whose each feed is from them.
        mappings = folder / "mappings"
        with demo_templates.locked("mappings"):
            shutil.copytree(demo_templates.FOLDER / "mappings", mappings)
        env = {"HOMEFLOW_MODELS": str(models), "HOMEFLOW_MAPPINGS": str(mappings)}
        server = ServerProcess(url, env=env)
        try:
            yield Site(url, server.base, models)
        finally:
            server.stop()


def _calibrated(kind: str, url: str, yesterday: str) -> Path:
    """The capacity model `homeflow calibrate` fits to the site's demo (as `make run` does),
    fitted once per demo template and kept beside it: every copy of the demo fits the same."""
    template = demo_templates.template_name(kind, _demo_args(yesterday), add_users, False)
    model = demo_templates.FOLDER / f"{template}.model.toml"
    with demo_templates.locked(f"{template}.model"):
        if not model.exists():
            first = (date.fromisoformat(yesterday) - timedelta(days=9)).isoformat()
            made = homeflow(url, "calibrate", "--from", first, "--to", yesterday, "--out", str(model), measured=False)  # fmt: skip
            assert made.returncode == 0, made.stderr
    return model


def _discharge_model(kind: str, url: str, yesterday: str) -> list[Path]:
    """The discharge predictions' model (`homeflow predict train`, as `make run` does), trained
    once per demo template and kept beside it (its files named `<template>.discharge-...`)."""
    from homeflow.services.discharge_predictions import ABOUT_FILE, MODEL_FILE

    template = demo_templates.template_name(kind, _demo_args(yesterday), add_users, False)
    found = [demo_templates.FOLDER / f"{template}.{name}" for name in (MODEL_FILE, ABOUT_FILE)]
    with demo_templates.locked(f"{template}.discharge"):
        if not all(path.exists() for path in found):
            folder = demo_templates.FOLDER / f"{template}.discharge"
            env = {"HOMEFLOW_MODELS": str(folder)}
            made = homeflow(url, "predict", "train", "--through", yesterday, env=env, measured=False)  # fmt: skip
            assert made.returncode == 0, made.stderr
            for path in found:
                shutil.move(folder / path.name.split(".", 1)[1], path)
            folder.rmdir()
    return found


def _demo_args(yesterday: str) -> tuple[str, ...]:
    return ("--days", "10", "--end", yesterday, "--seed", "5")


def sign_in_form(client: httpx.Client) -> dict[str, str]:
    """The sign-in page's hidden field (its pre-session token), the cookie now in `client`."""
    page = client.get("/")
    found = re.search(r'name="pre_session" value="([^"]+)"', page.text)
    assert found, "no pre-session token on the sign-in page"
    return {"pre_session": found.group(1)}


def signed_in(site: Site, email: str) -> httpx.Client:
    client = httpx.Client(base_url=site.base, timeout=30)
    form = {"email": email, "password": PASSWORD, **sign_in_form(client)}
    answer = client.post("/sign-in", data=form)
    assert answer.status_code == 303, answer.text
    return client


def spell_links(page: str) -> list[str]:
    """The spell keys a page links to (its links carry them URL-encoded)."""
    return [unquote(k) for k in re.findall(r'href="/spells/([^"?]+)"', page)]


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def every_page(client: httpx.Client, path: str) -> list[str]:
    """A list's first page and every page after it, following its Next links."""
    pages = [client.get(path).text]
    while found := re.search(r'href="([^"]+)" rel="next"', pages[-1]):
        pages.append(client.get(found.group(1).replace("&amp;", "&")).text)
    return pages


@functools.cache
def _engine_of(url: str) -> Engine:
    """One engine a site's database, its dialect set up once (a new engine a query cost 8.6 ms
    on PostgreSQL against 3.2 ms), with no pool: nothing stays connected to a database its
    fixture drops."""
    return create_engine(url, poolclass=NullPool)


def rows_of(site: Site, query: object) -> list[object]:
    with _engine_of(site.url).connect() as conn:
        return list(conn.execute(query))  # type: ignore[call-overload]


def wait_run_done(site: Site, run_id: int) -> None:
    """Wait for a simulation run to finish; it must end done, not failed. Up to ten minutes,
    though a run takes seconds: the wait ends when the run does, and a run queued behind
    others on a machine busy with the rest of the suite took more than two."""
    runs = t.simulation_runs
    for _ in range(3000):
        status = rows_of(site, select(runs.c.status).where(runs.c.id == run_id))[0][0]  # type: ignore[index]
        if status in ("done", "failed"):
            assert status == "done"
            return
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish")


def rx1_ward_with_patients(site: Site) -> str:
    s = t.spells
    found = rows_of(
        site,
        select(s.c.ward_code, func.count())
        .where(s.c.status == "admitted", s.c.ward_code.like("RX101-M%"))
        .group_by(s.c.ward_code)
        .order_by(func.count().desc(), s.c.ward_code),
    )
    return str(found[0][0])  # type: ignore[index]
