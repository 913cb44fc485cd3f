"""Setting up and running homeflow: the database, the demo, users, tokens, the server."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine

from homeflow.cli.app import Commands, app
from homeflow.cli.database import open_database
from homeflow.cli.output import (
    OutputFormat,
    console,
    fail,
    print_rows,
    progress_bar,
    say,
    written_file,
    written_folder,
)
from homeflow.domain import clock
from homeflow.domain import events as ev
from homeflow.domain.clock import parse_date
from homeflow.domain.errors import InvalidInput
from homeflow.store import db
from homeflow.store.eventlog import EventLog
from homeflow.store.rebuild import rebuild


@app.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (HOMEFLOW_DATABASE_URL, default ./var/homeflow.db):
    the one command that changes a schema."""
    engine = open_database(any_schema=True)
    db.migrate(engine)
    say(f"database ready: {engine.url.render_as_string(hide_password=True)}")


HL7_OUT = written_folder("Also write the ADT events as HL7 v2.4 files, one per day, here.")
SCENARIOS_OUT = written_folder(
    "Also write the change its improvement programme makes (an integrated discharge team) as a "
    "capacity-model scenario here, for homeflow validate --scenario."
)


@app.command()
def demo(
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed and end give the same system.")
    ] = 7,
    days: Annotated[int, typer.Option(min=1, max=730, help="Days of history to simulate.")] = 120,
    end: Annotated[
        str | None, typer.Option(help="Last day simulated, YYYY-MM-DD (default today).")
    ] = None,
    hl7_out: Annotated[Path | None, HL7_OUT] = None,
    live: Annotated[
        bool,
        typer.Option(help="After the history, go on adding events as their moment comes."),
    ] = False,
    live_for: Annotated[
        float | None,
        typer.Option(min=0.0, help="With --live, stop after so many minutes (default: never)."),
    ] = None,
    mllp: Annotated[
        str | None,
        typer.Option(help="With --live, send the ADT events to this MLLP listener, HOST:PORT."),
    ] = None,
    scenarios_out: Annotated[Path | None, SCENARIOS_OUT] = None,
) -> None:
    """Build the demo health and care system and its history in the current database.

    Its history stops at the present moment: nothing in it lies in the future."""
    from homeflow.demo import system
    from homeflow.demo.generator import generate
    from homeflow.services.after_discharge import demo_support
    from homeflow.services.community import demo_community
    from homeflow.services.demo_feeds import record_demo_feeds
    from homeflow.services.improvement import demo_programme
    from homeflow.services.live_demo import split_at
    from homeflow.services.opel import demo_opel
    from homeflow.store import projections as proj
    from homeflow.store.garbage import without_cycle_collection
    from homeflow.store.registry import save_registry

    today = clock.today()
    last = parse_date("--end", end) if end else today
    if live and last != today:
        fail("--live: the demo must end today (leave out --end)")
    listener = _host_and_port(mllp) if mllp else None
    if listener is not None and not live:
        fail("--mllp: only with --live")
    engine = open_database()
    # Hundreds of thousands of events and no cycles: the cyclic collector is off meanwhile.
    with console.status("simulating the system"), without_cycle_collection():
        # Live, the simulation runs two days on: events to add as their moment comes.
        simulated = generate(seed, days, last + timedelta(days=2) if live else last)
    demo_events, later = split_at(simulated, clock.now())
    with engine.begin() as conn:
        save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
    with progress_bar() as progress:
        task = progress.add_task("appending events", total=len(demo_events))
        log = EventLog(engine)
        result = log.bulk_append(demo_events, on_batch=lambda n: progress.advance(task, n))
    with console.status("building the daily census"), engine.begin() as conn:
        proj.extend_census(conn, last, log.cache.states())
    demo_programme(engine, system.ICB.code, last)
    with console.status("building the community teams' caseloads"):
        demo_community(engine, seed, last)
    with console.status("following people after discharge"):
        demo_support(engine, seed, last)
    with console.status("entering the providers' OPEL parameters"):
        demo_opel(engine, seed, last - timedelta(days=days - 1), last)
    with console.status("receiving the last day of each trust's feed"):
        record_demo_feeds(engine, demo_events, seed, clock.now())
    if scenarios_out is not None:
        _write_team_scenario(scenarios_out, last)
    if hl7_out is not None:
        written = write_hl7_files(demo_events, hl7_out)
        say(f"wrote {written:,} HL7 v2.4 ADT messages to {hl7_out}")
    say(
        f"demo system: {len(result.applied):,} events applied, "
        f"{len(result.duplicates):,} already stored, {len(result.rejected)} rejected"
    )
    if live:
        _play(engine, demo_events, later, live_for, listener)


def _write_team_scenario(folder: Path, last: date) -> None:
    """The demo's integrated discharge team as a scenario file in `folder`."""
    from homeflow.demo.improvement import TEAM_SCENARIO_FILE, team_scenario

    folder.mkdir(parents=True, exist_ok=True)
    (folder / TEAM_SCENARIO_FILE).write_text(team_scenario(last), "utf-8")
    say(f"wrote the integrated discharge team's scenario to {folder / TEAM_SCENARIO_FILE}")


def _host_and_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        fail(f"--mllp: {text!r} is not HOST:PORT")
    return host, int(port)


def _play(
    engine: Engine,
    history: Sequence[ev.Event],
    later: Sequence[ev.Event],
    minutes: float | None,
    listener: tuple[str, int] | None,
) -> None:
    from homeflow.services.live_demo import Played, play_live, running_clock

    moment = running_clock()
    stop_at = moment() + timedelta(minutes=minutes) if minutes is not None else None
    say("live: adding events as they happen (Ctrl-C stops)")

    def progress(played: Played) -> None:
        console.print(
            f"{moment():%H:%M:%S} {played.appended:,} events stored, "
            f"{played.sent:,} ADT messages acknowledged, {played.refused:,} refused",
            highlight=False,
        )

    try:
        played = play_live(
            engine, history, later, stop_at, listener, clock=moment, on_batch=progress
        )
    except KeyboardInterrupt:
        say("live: stopped")
        return
    except OSError as error:
        fail(f"--mllp: {error}")
    say(f"live: stopped; {played.appended:,} events stored, {played.sent:,} ADT messages sent")


def write_hl7_files(events: Sequence[ev.Event], folder: Path) -> int:
    """The ADT events as HL7 files, one per local day, messages in the order they happened."""
    from homeflow.domain.clock import local_date
    from homeflow.ingest.hl7.writer import adt_messages

    folder.mkdir(parents=True, exist_ok=True)
    by_day: dict[date, list[str]] = {}
    ordered = sorted(events, key=lambda e: e.fold_order)
    for event, message in adt_messages(ordered):
        by_day.setdefault(local_date(event.occurred_at), []).append(message)
    for day, messages in by_day.items():
        (folder / f"adt-{day.isoformat()}.hl7").write_text("\n".join(messages), "utf-8")
    return sum(len(m) for m in by_day.values())


registry_app = Commands(help="Organisations, sites and wards.")
app.add_typer(registry_app, name="registry")


@registry_app.command("load-demo")
def registry_load_demo() -> None:
    """Load the demo system's organisations, sites and wards (no events)."""
    from homeflow.demo import system
    from homeflow.store.registry import save_registry

    engine = open_database()
    with engine.begin() as conn:
        save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
    say(f"loaded {len(system.WARDS)} wards of the demo system")


token_app = Commands(help="Bearer tokens for the APIs.")
app.add_typer(token_app, name="token")


class TokenScope(StrEnum):
    FHIR = "fhir"


@token_app.command("create")
def token_create(
    org: Annotated[str, typer.Option(help="The organisation (ODS code) the token acts for.")],
    scope: Annotated[TokenScope, typer.Option(help="What the token may call.")] = TokenScope.FHIR,
    days: Annotated[int, typer.Option(help="Days until it expires (1 to 366).")] = 90,
) -> None:
    """Print a new bearer token (shown once; only its hash is stored)."""
    from homeflow.store.api_tokens import create_token

    engine = open_database()
    print(create_token(engine, org, scope.value, days))


@token_app.command("list")
def token_list() -> None:
    """Every token: its id, organisation, scope, and when it was made, expires, was revoked."""
    from homeflow.store.api_tokens import list_tokens

    engine = open_database()
    rows = [
        {
            "id": i.token_id,
            "org": i.org_code,
            "scope": i.scope,
            "created": i.created_at.isoformat(timespec="minutes"),
            "expires": i.expires_at.isoformat(timespec="minutes"),
            "revoked": i.revoked_at.isoformat(timespec="minutes") if i.revoked_at else "",
        }
        for i in list_tokens(engine)
    ]
    print_rows(
        rows, ("id", "org", "scope", "created", "expires", "revoked"), OutputFormat.TABLE, "Tokens"
    )


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id, as `token list` shows it.")],
) -> None:
    """Revoke a token at once: every call with it is refused from now on."""
    from homeflow.store.api_tokens import revoke_token

    engine = open_database()
    revoke_token(engine, token_id)
    say(f"token {token_id} revoked")


user_app = Commands(help="People who sign in to the web app.")
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="Their email address; it is their user name.")],
    org: Annotated[str, typer.Option(help="The organisation (ODS code) they belong to.")],
    role: Annotated[
        str,
        typer.Option(help="ward-staff, discharge-team, system-coordinator, analyst or admin."),
    ],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a user, or replace one (which resets their password and signs them out)."""
    from homeflow.store.users import add_user

    if not password_stdin:
        fail("--password-stdin: give the password on standard input, never on the command line")
    password = sys.stdin.readline().rstrip("\r\n")
    engine = open_database()
    user = add_user(engine, email, org, role, password)
    say(f"{user.email} can sign in as {user.role.value} of {user.org_code}.")


@user_app.command("demo")
def user_demo() -> None:
    """Create a demo admin, a user per demo organisation and a nurse on one of RX1's medical
    wards (ward staff); print their sign-in details."""
    import secrets

    from homeflow.demo.system import ORGANISATIONS
    from homeflow.store.users import add_user

    engine = open_database()
    roles = {"icb": "system-coordinator", "local-authority": "discharge-team"}
    accounts = [("admin@demo.homeflow.test", ORGANISATIONS[0].code, "admin")]
    accounts += [
        (f"{o.code.lower()}@demo.homeflow.test", o.code, roles.get(o.type.value, "discharge-team"))
        for o in ORGANISATIONS
    ]
    accounts.append(("nurse.rx1@demo.homeflow.test", "RX1", "ward-staff"))
    for email, org_code, role in accounts:
        password = secrets.token_urlsafe(12)
        try:
            add_user(engine, email, org_code, role, password)
        except InvalidInput as problem:
            fail(f"{problem.field}: {problem.reason} (load the demo registry first)")
        print(f"{email}  {password}  {role} of {org_code}")


@app.command("rebuild")
def rebuild_command() -> None:
    """Drop every projection and refold it from the event log."""
    with console.status("refolding every spell from the event log"):
        spells = rebuild(open_database())
    say(f"rebuilt projections for {spells:,} spells")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Server processes (one per core suits a busy system).")
    ] = 1,
) -> None:
    """Serve the web app. Behind a reverse proxy, name it in HOMEFLOW_TRUSTED_PROXIES (its
    addresses, comma separated): only then is X-Forwarded-For believed."""
    import os

    import uvicorn

    from homeflow.web.logs import log_config

    open_database().dispose()  # each worker opens its own; this only finds the schema ready
    proxies = os.environ.get("HOMEFLOW_TRUSTED_PROXIES", "").strip()
    uvicorn.run(
        "homeflow.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=log_config(),
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )


@app.command("backup")
def backup_command(
    out: Annotated[Path, written_file("The file to write the copy to.")],
) -> None:
    """A consistent copy of the whole database, taken while the server and listener run."""
    from homeflow.store.backup import backup

    try:
        backup(open_database(any_schema=True), out)  # a copy of any schema: before an upgrade
    except OSError as error:
        fail(f"--out: cannot write {out}: {error.strerror}")
    say(f"backed up to {out} ({out.stat().st_size:,} bytes)")


@app.command("restore")
def restore_command(
    copy: Annotated[Path, typer.Argument(help="A file `homeflow backup` wrote.")],
) -> None:
    """Restore a backup into the current database, which must be empty."""
    from homeflow.store.backup import restore

    restore(open_database(any_schema=True), copy)  # into a database with no schema yet
    say(f"restored {copy}")
