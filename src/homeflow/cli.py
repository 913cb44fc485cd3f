"""The `homeflow` command line."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from homeflow.domain import events as ev
from homeflow.domain.errors import InvalidInput
from homeflow.ingest.mapping import FeedMapping, load_mapping
from homeflow.reports.kpi import Level, Period
from homeflow.reports.spc import Better
from homeflow.store import db
from homeflow.store.codec import event_from_record
from homeflow.store.eventlog import EventLog, rebuild
from homeflow.store.queries import CENSUS_COLUMNS, census

app = typer.Typer(help="homeflow: patient flow and discharge for health and care systems.")
console = Console(stderr=True)


class OutputFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


def print_rows(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], output_format: OutputFormat, title: str
) -> None:
    """Rows to standard output as a table for people, or as CSV or JSON for programs."""
    if output_format is OutputFormat.CSV:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    elif output_format is OutputFormat.JSON:
        json.dump(list(rows), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        table = Table(title=title)
        for name in columns:
            numeric = any(isinstance(r.get(name), int | float) for r in rows)
            table.add_column(name, justify="right" if numeric else "left")
        for row in rows:
            table.add_row(*("" if row.get(name) is None else str(row[name]) for name in columns))
        Console(width=200).print(table)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _fail(message: str) -> NoReturn:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


@app.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (HOMEFLOW_DATABASE_URL, default ./var/homeflow.db)."""
    engine = db.connect()
    db.migrate(engine)
    console.print(f"database ready: {engine.url.render_as_string(hide_password=True)}")


@app.command()
def demo(
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed and end give the same system.")
    ] = 7,
    days: Annotated[int, typer.Option(min=1, max=730, help="Days of history to simulate.")] = 120,
    end: Annotated[
        str | None, typer.Option(help="Last day simulated, YYYY-MM-DD (default today).")
    ] = None,
    hl7_out: Annotated[
        Path | None,
        typer.Option(help="Also write the ADT events as HL7 v2.4 files, one per day, here."),
    ] = None,
) -> None:
    """Build the demo health and care system and its history in the current database."""
    from homeflow.demo import system
    from homeflow.demo.generator import generate
    from homeflow.store import projections as proj
    from homeflow.store.registry import save_registry

    last = _parse_date("--end", end) if end else date.today()
    engine = db.connect()
    db.migrate(engine)
    with console.status("simulating the system"):
        demo_events = generate(seed, days, last)
    with engine.begin() as conn:
        save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
    with _progress() as progress:
        task = progress.add_task("appending events", total=len(demo_events))
        result = EventLog(engine).bulk_append(
            demo_events, on_batch=lambda n: progress.advance(task, n)
        )
    with console.status("building the daily census"), engine.begin() as conn:
        proj.extend_census(conn, last)
    if hl7_out is not None:
        written = write_hl7_files(demo_events, hl7_out)
        console.print(f"wrote {written:,} HL7 v2.4 ADT messages to {hl7_out}")
    console.print(
        f"demo system: {len(result.applied):,} events applied, "
        f"{len(result.duplicates):,} already stored, {len(result.rejected)} rejected"
    )


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


@app.command()
def append(
    path: Annotated[Path, typer.Argument(help="JSON lines: one event per line, or - for stdin.")],
) -> None:
    """Append events (key, type, source, occurred_at, spell_key, payload) to the log."""
    lines = (
        sys.stdin.read().splitlines() if str(path) == "-" else path.read_text("utf-8").splitlines()
    )
    received = datetime.now(UTC)
    batch: list[ev.Event] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            batch.append(event_from_record(json.loads(line), received))
        except json.JSONDecodeError as error:
            _fail(f"line {number}: not JSON ({error.msg})")
        except InvalidInput as error:
            _fail(f"line {number}: {error.field}: {error.reason}")
    result = EventLog(db.connect()).append(batch)
    for rejection in result.rejected:
        console.print(f"[red]rejected[/red] {rejection.key}: {rejection.field}: {rejection.reason}")
    console.print(
        f"{len(result.applied)} applied, {len(result.duplicates)} duplicate, "
        f"{len(result.rejected)} rejected"
    )
    if result.rejected:
        raise typer.Exit(1)


registry_app = typer.Typer(help="Organisations, sites and wards.")
app.add_typer(registry_app, name="registry")


@registry_app.command("load-demo")
def registry_load_demo() -> None:
    """Load the demo system's organisations, sites and wards (no events)."""
    from homeflow.demo import system
    from homeflow.store.registry import save_registry

    engine = db.connect()
    db.migrate(engine)
    with engine.begin() as conn:
        save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
    console.print(f"loaded {len(system.WARDS)} wards of the demo system")


ingest_app = typer.Typer(help="Take in feeds: HL7 v2 files.")
app.add_typer(ingest_app, name="ingest")


def _mapping(path: Path | None) -> FeedMapping:
    if path is None:
        return FeedMapping()
    try:
        return load_mapping(path)
    except (OSError, InvalidInput) as error:
        _fail(f"--mapping: {error}")
        raise


@ingest_app.command("hl7")
def ingest_hl7(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of HL7 v2 messages.")],
    mapping: Annotated[Path | None, typer.Option(help="The feed's mapping file (TOML).")] = None,
    batch: Annotated[int, typer.Option(min=1, help="Messages applied per transaction.")] = 10_000,
) -> None:
    """Apply HL7 v2 ADT messages from files: MLLP-framed or not, batches, any line ending."""
    from homeflow.ingest.feeds import APPLIED, DUPLICATE, HELD, REJECTED, import_hl7
    from homeflow.ingest.hl7.mllp import split_file

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        _fail(f"PATH: {', '.join(missing)} does not exist")
    feed = _mapping(mapping)
    files = sorted(
        p for path in paths for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file()
    )
    engine = db.connect()
    db.migrate(engine)
    counts = dict.fromkeys((APPLIED, DUPLICATE, REJECTED, HELD), 0)

    with _progress() as progress:
        task = progress.add_task("ingesting HL7", total=len(files))

        def messages() -> Iterator[str]:
            for path in files:
                for raw in split_file(path.read_bytes()):
                    yield raw.decode("utf-8", errors="replace")
                progress.advance(task)

        for outcome in import_hl7(engine, messages(), feed, batch):
            counts[outcome.outcome] += 1
    console.print(
        f"{counts[APPLIED]:,} applied, {counts[DUPLICATE]:,} duplicate, "
        f"{counts[REJECTED]:,} rejected, {counts[HELD]:,} held for mapping"
    )
    if counts[REJECTED] or counts[HELD]:
        raise typer.Exit(1)


@ingest_app.command("census")
def ingest_census(
    path: Annotated[Path, typer.Argument(help="The census CSV: one row per current inpatient.")],
    on: Annotated[str, typer.Option("--date", help="The census day, YYYY-MM-DD.")],
    source: Annotated[str, typer.Option(help="Names the feed on the feeds page.")] = "csv-census",
) -> None:
    """Reconcile a CSV census: admit the new, discharge those no longer listed, update the rest."""
    from homeflow.ingest.feeds import receive_census

    day = _parse_date("--date", on)
    if not path.is_file():
        _fail(f"FILE: {path} does not exist")
    engine = db.connect()
    db.migrate(engine)
    try:
        changes = receive_census(engine, path.read_text("utf-8-sig"), day, source)
    except InvalidInput as problem:
        _fail(f"{problem.field}: {problem.reason}" if problem.field != "census" else problem.reason)
    for kind, keys in changes.items():
        console.print(
            f"{kind}: {len(keys)}"
            + (f" ({', '.join(keys[:10])}{' …' if len(keys) > 10 else ''})" if keys else "")
        )


@app.command()
def listen(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="MLLP port.")] = 2575,
    mapping: Annotated[Path | None, typer.Option(help="The feed's mapping file (TOML).")] = None,
    max_message_bytes: Annotated[int, typer.Option(min=1024, help="Largest message accepted.")] = 1
    << 20,
) -> None:
    """Receive HL7 v2 ADT over MLLP; ACK each message once its effect is committed."""
    import asyncio
    import logging

    from homeflow.ingest.hl7.listener import Listener

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    feed = _mapping(mapping)
    engine = db.connect()
    db.migrate(engine)
    asyncio.run(Listener(engine, feed, max_message_bytes).serve(host, port))


messages_app = typer.Typer(help="Messages received from feeds.", invoke_without_command=True)
app.add_typer(messages_app, name="messages")


@messages_app.callback()
def messages_list(
    ctx: typer.Context,
    rejected: Annotated[
        bool, typer.Option("--rejected", help="Only rejected or held messages.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1)] = 200,
) -> None:
    """List received messages, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    from homeflow.ingest.feeds import HELD, REJECTED, list_messages

    found = list_messages(db.connect(), [REJECTED, HELD] if rejected else None, limit)
    table = Table(title="Rejected and held messages" if rejected else "Messages")
    for name in ("id", "received", "source", "type", "control id", "outcome", "field", "reason"):
        table.add_column(name)
    for m in found:
        table.add_row(
            str(m.id),
            m.received_at.isoformat(timespec="seconds"),
            m.source,
            m.message_type or "",
            m.control_id or "",
            m.outcome,
            m.field or "",
            m.reason or "",
        )
    Console(width=200).print(table)


@messages_app.command("replay")
def messages_replay(
    message_ids: Annotated[list[int] | None, typer.Argument(help="Message ids to replay.")] = None,
    all_rejected: Annotated[
        bool, typer.Option("--all-rejected", help="Replay every rejected or held message.")
    ] = False,
    mapping: Annotated[Path | None, typer.Option(help="The feed's mapping file (TOML).")] = None,
) -> None:
    """Re-apply rejected or held messages after the mapping (or registry) is fixed."""
    from homeflow.ingest.feeds import replay

    if not message_ids and not all_rejected:
        _fail("give message ids or --all-rejected")
    chosen = None if all_rejected else message_ids
    done = replay(db.connect(), _mapping(mapping), chosen, datetime.now(UTC))
    for message_id, outcome in done:
        detail = f" {outcome.field}: {outcome.reason}" if outcome.reason else ""
        console.print(f"message {message_id}: {outcome.outcome}{detail}")
    if any(not outcome.accepted for _, outcome in done):
        raise typer.Exit(1)


@app.command()
def feeds(
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Feed health: messages in the last hour and day, last message, lag, rejected."""
    from homeflow.ingest.feeds import feed_health

    health = [h.as_dict() for h in feed_health(db.connect(), datetime.now(UTC))]
    columns = (
        "source",
        "messages_last_hour",
        "messages_last_day",
        "last_received_at",
        "mean_lag_seconds_last_day",
        "rejected",
        "held",
    )
    print_rows(health, columns, output_format, "Feeds")


token_app = typer.Typer(help="Bearer tokens for the APIs.")
app.add_typer(token_app, name="token")


class TokenScope(StrEnum):
    FHIR = "fhir"


@token_app.command("create")
def token_create(
    org: Annotated[str, typer.Option(help="The organisation (ODS code) the token acts for.")],
    scope: Annotated[TokenScope, typer.Option(help="What the token may call.")] = TokenScope.FHIR,
) -> None:
    """Print a new bearer token (shown once; only its hash is stored)."""
    from homeflow.ingest.fhir_api import create_token

    engine = db.connect()
    db.migrate(engine)
    try:
        print(create_token(engine, org, scope.value))
    except InvalidInput as problem:
        _fail(f"--{problem.field}: {problem.reason}")


user_app = typer.Typer(help="People who sign in to the web app.")
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
        _fail("--password-stdin: give the password on standard input, never on the command line")
    password = sys.stdin.readline().rstrip("\r\n")
    engine = db.connect()
    db.migrate(engine)
    try:
        user = add_user(engine, email, org, role, password)
    except InvalidInput as problem:
        _fail(f"{problem.field}: {problem.reason}")
    console.print(f"{user.email} can sign in as {user.role.value} of {user.org_code}.")


@user_app.command("demo")
def user_demo() -> None:
    """Create a demo admin and a user per demo organisation; print their sign-in details."""
    import secrets

    from homeflow.demo.system import ORGANISATIONS
    from homeflow.store.users import add_user

    engine = db.connect()
    db.migrate(engine)
    roles = {"icb": "system-coordinator", "local-authority": "discharge-team"}
    accounts = [("admin@demo.homeflow.test", ORGANISATIONS[0].code, "admin")]
    accounts += [
        (f"{o.code.lower()}@demo.homeflow.test", o.code, roles.get(o.type.value, "discharge-team"))
        for o in ORGANISATIONS
    ]
    for email, org_code, role in accounts:
        password = secrets.token_urlsafe(12)
        try:
            add_user(engine, email, org_code, role, password)
        except InvalidInput as problem:
            _fail(f"{problem.field}: {problem.reason} (load the demo registry first)")
        print(f"{email}  {password}  {role} of {org_code}")


class FileFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


def write_table(
    out: Path, columns: Sequence[str], rows: Sequence[Sequence[Any]], file_format: FileFormat | None
) -> None:
    """A return or measure as CSV or an Excel workbook (format from the option, else from
    the file's suffix)."""
    chosen = file_format or (FileFormat.XLSX if out.suffix.lower() == ".xlsx" else FileFormat.CSV)
    try:
        if chosen is FileFormat.CSV:
            with out.open("w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(columns)
                writer.writerows(["" if v is None else v for v in row] for row in rows)
            return
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(out.stem[:31] or "homeflow")
        sheet.append(list(columns))
        for row in rows:
            sheet.append(list(row))
        book.save(out)
    except OSError as error:
        _fail(f"--out: cannot write {out}: {error.strerror}")


@app.command("sitrep")
def sitrep_command(
    on: Annotated[str, typer.Option("--date", help="The day reported, YYYY-MM-DD.")],
    out: Annotated[
        Path, typer.Option(help="Where to write the return (NHS England's long format).")
    ],
    org: Annotated[
        str | None, typer.Option(help="One acute trust (ODS code); default all.")
    ] = None,
    file_format: Annotated[
        FileFormat | None,
        typer.Option("--format", help="csv or xlsx; default from the file's suffix."),
    ] = None,
) -> None:
    """The daily discharge situation report for a day, in NHS England's long format."""
    from homeflow.reports.sitrep import COLUMNS
    from homeflow.store.queries import sitrep_rows

    day = _parse_date("--date", on)
    rows = sitrep_rows(db.connect(), day, org)
    if not rows:
        _fail(
            f"--org: {org!r} is not an acute trust in the registry"
            if org
            else "no acute trusts in the registry"
        )
    write_table(out, COLUMNS, [r.as_list() for r in rows], file_format)
    orgs = sorted({r.org_code for r in rows})
    console.print(
        f"sitrep for {day.isoformat()}: {len(rows)} rows for {', '.join(orgs)} written to {out}"
    )


@app.command("kpi")
def kpi_command(
    name: Annotated[str, typer.Argument(help="The KPI; `homeflow kpi list` names them all.")],
    first: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")] = "",
    last: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = "",
    level: Annotated[Level, typer.Option(help="ward, site, org or system.")] = Level.ORG,
    period: Annotated[Period, typer.Option(help="daily or weekly.")] = Period.DAILY,
    baseline: Annotated[
        str | None,
        typer.Option(help="A day whose period every value is compared with (% change)."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Where to write it (CSV or .xlsx).")] = None,
    file_format: Annotated[
        FileFormat | None,
        typer.Option("--format", help="csv or xlsx; default from the file's suffix."),
    ] = None,
) -> None:
    """A KPI per ward, site, organisation or the system, daily or weekly, against its target."""
    from homeflow.config import kpi_targets
    from homeflow.reports.kpi import KPIS
    from homeflow.store.queries import KPI_COLUMNS, kpi_rows

    if name == "list":
        for kpi in KPIS.values():
            print(f"{kpi.name:34} {kpi.description} ({kpi.better.value} is better)")
        return
    if not first or not last or out is None:
        _fail("--from, --to and --out are required")
    try:
        rows = kpi_rows(
            db.connect(),
            name,
            level,
            _parse_date("--from", first),
            _parse_date("--to", last),
            period,
            _parse_date("--baseline", baseline) if baseline else None,
            kpi_targets(),
        )
    except InvalidInput as problem:
        _fail(f"{_option(problem.field)}: {problem.reason}")
    write_table(out, KPI_COLUMNS, [[r[c] for c in KPI_COLUMNS] for r in rows], file_format)
    console.print(f"{name}: {len(rows)} values written to {out}")


def _option(field: str) -> str:
    """The command-line option a domain field came from."""
    return {"name": "NAME", "to": "--to", "from": "--from", "period": "--period"}.get(
        field, field if "." in field else f"--{field}"
    )


def _read_series(path: Path) -> Any:
    """The `--input` series, cleaned; a bad row ends the command naming its line and field."""
    from homeflow.forecasting.demand import prepare, read_series

    try:
        return prepare(read_series(path))
    except InvalidInput as problem:
        _fail(f"{problem.field}: {problem.reason}")


@app.command("forecast")
def forecast_command(
    input_path: Annotated[Path, typer.Option("--input", help="CSV: series_id,date,value.")],
    out: Annotated[Path, typer.Option(help="Where to write the forecast (CSV).")],
    horizon: Annotated[int, typer.Option(min=1, max=366, help="Days ahead.")] = 14,
    jobs: Annotated[int, typer.Option(min=1, help="Processes to fit with.")] = 1,
) -> None:
    """Forecast each daily series, its model chosen by cross-validation, with 80/95% intervals."""
    from homeflow.forecasting.demand import FORECAST_COLUMNS, forecast

    series = _read_series(input_path)
    with console.status(f"choosing and fitting models for {series['unique_id'].nunique()} series"):
        made = forecast(series, horizon, jobs)
    write_table(out, FORECAST_COLUMNS, made.values.tolist(), FileFormat.CSV)
    console.print(
        f"{len(made)} forecast days for {made['series_id'].nunique()} series written to {out}"
    )


@app.command("backtest")
def backtest_command(
    input_path: Annotated[Path, typer.Option("--input", help="CSV: series_id,date,value.")],
    horizon: Annotated[int, typer.Option(min=1, max=366, help="Days ahead.")] = 14,
    windows: Annotated[int, typer.Option(min=1, help="Rolling origins to evaluate.")] = 4,
    out: Annotated[Path | None, typer.Option(help="Per-series results (CSV).")] = None,
    jobs: Annotated[int, typer.Option(min=1, help="Processes to fit with.")] = 1,
) -> None:
    """Rolling-origin evaluation: MASE and interval coverage beside seasonal naive."""
    from homeflow.forecasting.demand import backtest

    series = _read_series(input_path)
    count = series["unique_id"].nunique()
    with console.status(f"evaluating {windows} origins of {horizon} days for {count} series"):
        result = backtest(series, horizon, windows, jobs)
    frame = result.per_series
    if out is not None:
        write_table(out, list(frame.columns), frame.round(4).values.tolist(), FileFormat.CSV)
    table = Table(title=f"Backtest: {count} series, {windows} origins × {horizon} days")
    for name in ("measure", "chosen model", "seasonal naive"):
        table.add_column(name)
    table.add_row(
        "median MASE", f"{frame['mase'].median():.3f}", f"{frame['naive_mase'].median():.3f}"
    )
    table.add_row("series where the model beats naive", f"{result.beats_naive:.0%}", "")
    for level in (80, 95):
        table.add_row(
            f"{level}% interval coverage (mean)", f"{frame[f'coverage{level}'].mean():.1%}", ""
        )
    models = frame["model"].value_counts()
    table.add_row("models chosen", ", ".join(f"{m} {n}" for m, n in models.items()), "")
    Console().print(table)


class StartFrom(StrEnum):
    CENSUS = "census"
    EMPTY = "empty"


def _read_model_file(path: Path, parse: Any) -> Any:
    try:
        text = path.read_text("utf-8")
    except OSError as error:
        _fail(f"{path}: cannot read it ({error.strerror})")
    try:
        return parse(text, str(path))
    except InvalidInput as problem:
        _fail(f"{path}: {problem.field}: {problem.reason}")


@app.command("calibrate")
def calibrate_command(
    first: Annotated[str, typer.Option("--from", help="First day of history, YYYY-MM-DD.")],
    last: Annotated[str, typer.Option("--to", help="Last day of history, YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option(help="Where to write the model (TOML).")],
    start: Annotated[
        str | None, typer.Option(help="First day a run simulates (default: the day after --to).")
    ] = None,
) -> None:
    """Fit the capacity model (arrivals, lengths of stay, NCTR, pathways) to the event history."""
    from datetime import timedelta

    from homeflow.sim.calibrate import calibrate
    from homeflow.sim.model import model_to_toml
    from homeflow.store.queries import bed_base, stay_history

    since, until = _parse_date("--from", first), _parse_date("--to", last)
    begins = _parse_date("--start", start) if start else until + timedelta(days=1)
    engine = db.connect()
    with console.status("reading the stays"):
        history = stay_history(engine, since, until)
    with console.status(f"fitting the model to {len(history):,} stays"):
        try:
            model, notes = calibrate(history, bed_base(engine), since, until, begins)
        except InvalidInput as problem:
            _fail(f"--{problem.field}: {problem.reason}")
    out.write_text(model_to_toml(model, notes), "utf-8")
    console.print(f"{len(model.services)} services fitted to {len(history):,} stays: {out}")


@app.command("simulate")
def simulate_command(
    model_path: Annotated[Path, typer.Argument(help="The model file (TOML).")],
    out: Annotated[Path, typer.Option(help="Daily results per scenario and service (Parquet).")],
    scenario: Annotated[
        list[Path] | None, typer.Option(help="A scenario file (TOML); give it once per scenario.")
    ] = None,
    reps: Annotated[int, typer.Option(min=1, help="Replications.")] = 1000,
    horizon: Annotated[int, typer.Option(min=1, max=3660, help="Days to simulate.")] = 120,
    start: Annotated[
        StartFrom, typer.Option(help="Start from today's census or from empty after a warm-up.")
    ] = StartFrom.CENSUS,
    warmup: Annotated[
        int | None, typer.Option(min=0, help="Warm-up days from empty (default: the model's).")
    ] = None,
    seed: Annotated[
        int, typer.Option(min=0, help="Seed; the same seed gives the same results.")
    ] = 0,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Run on a local Dask cluster of this many workers.")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Run on the Dask cluster at this scheduler address.")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Replications per batch.")] = 100,
    totals: Annotated[
        Path | None, typer.Option(help="Also write the per-scenario totals here (CSV).")
    ] = None,
) -> None:
    """Replications of the model and each scenario: occupancy, NCTR, delays, queues and cost."""
    from contextlib import ExitStack
    from datetime import UTC, datetime

    import pandas as pd

    from homeflow.sim.calibrate import census_at
    from homeflow.sim.model import parse_model, parse_scenario, with_forecasts
    from homeflow.sim.runner import simulate
    from homeflow.store.queries import open_stays

    if workers and scheduler:
        _fail("--workers and --scheduler: give one, not both")
    model = _read_model_file(model_path, parse_model)
    try:
        model = with_forecasts(model, lambda name: (model_path.parent / name).read_text("utf-8"))
    except InvalidInput as problem:
        _fail(f"{model_path}: {problem.field}: {problem.reason}")
    scenarios = [_read_model_file(path, parse_scenario) for path in scenario or []]
    census = None
    if start is StartFrom.CENSUS:
        census = census_at(open_stays(db.connect()), model, datetime.now(UTC))
        if not census.patients:
            _fail("--start census: nobody is in a bed in the database; use --start empty")
    with ExitStack() as stack:
        client = None
        if workers or scheduler:
            from distributed import Client, LocalCluster

            cluster = scheduler or stack.enter_context(
                LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None)  # type: ignore[no-untyped-call]
            )
            client = stack.enter_context(Client(cluster))  # type: ignore[no-untyped-call]
        with _progress() as progress:
            task = progress.add_task(
                f"{len(scenarios) + 1} scenarios × {reps} replications",
                total=reps * (len(scenarios) + 1),
            )
            try:
                result = simulate(
                    model,
                    scenarios,
                    reps=reps,
                    horizon=horizon,
                    census=census,
                    warmup_days=warmup,
                    seed=seed,
                    batch_size=batch_size,
                    client=client,
                    progress=lambda n: progress.advance(task, n),
                )
            except InvalidInput as problem:
                _fail(f"{problem.field}: {problem.reason}")
    result.daily().to_parquet(out, index=False)
    summary = result.totals()
    if totals is not None:
        summary.round(2).to_csv(totals, index=False)
    print_rows(
        [
            {
                "scenario": r.scenario,
                "delayed bed-days (90% range)": f"{r.delayed_bed_days_mean:,.0f} "
                f"({r.delayed_bed_days_p5:,.0f}–{r.delayed_bed_days_p95:,.0f})",
                "saved vs baseline": f"{r.bed_days_saved_mean:,.0f}",
                "cost £": f"{r.cost_mean:,.0f}",
                "extra cost £": f"{r.extra_cost_mean:,.0f}",
                "£ per bed-day saved": ""
                if pd.isna(r.cost_per_bed_day_saved)
                else f"{r.cost_per_bed_day_saved:,.0f}",
                "turned away": f"{r.turned_away_mean:,.1f}",
                "waiting for a bed at the end": f"{r.waiting_for_a_bed_at_end_p50:,.0f}",
            }
            for r in summary.itertuples()
        ],
        [
            "scenario",
            "delayed bed-days (90% range)",
            "saved vs baseline",
            "cost £",
            "extra cost £",
            "£ per bed-day saved",
            "turned away",
            "waiting for a bed at the end",
        ],
        OutputFormat.TABLE,
        f"{reps} replications of {horizon} days from {start.value}; daily results in {out}",
    )


report_app = typer.Typer(help="Reports to send round.")
app.add_typer(report_app, name="report")


@report_app.command("weekly")
def report_weekly(
    on: Annotated[str, typer.Option("--date", help="The last day of the week, YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option(help="report.html, or report.pdf (printed by Chromium).")],
) -> None:
    """The weekly system report: this week by organisation, and every measure as an SPC chart."""
    from homeflow.publishing.weekly import weekly_report, write_report

    day = _parse_date("--date", on)
    with console.status("drawing the charts"):
        html = weekly_report(db.connect(), day)
    try:
        write_report(html, out)
    except InvalidInput as problem:
        _fail(f"--{problem.field}: {problem.reason}")
    console.print(f"weekly report for the week ending {day.isoformat()} written to {out}")


@app.command()
def dtoc(
    month: Annotated[str, typer.Option(help="The month reported, YYYY-MM.")],
    out: Annotated[Path, typer.Option(help="Where to write the return (CSV).")],
    org: Annotated[str | None, typer.Option(help="One provider (ODS code); default all.")] = None,
    file_format: Annotated[
        FileFormat | None,
        typer.Option("--format", help="csv or xlsx; default from the file's suffix."),
    ] = None,
) -> None:
    """The monthly delayed transfers of care return for mental-health and community services."""
    from homeflow.reports.dtoc import COLUMNS
    from homeflow.store.queries import dtoc_rows

    try:
        year, number = (int(part) for part in month.split("-"))
        date(year, number, 1)
    except ValueError:
        _fail(f"--month: {month!r} is not a month (YYYY-MM)")
    rows = dtoc_rows(db.connect(), year, number, org)
    write_table(out, COLUMNS, [r.as_list() for r in rows], file_format)
    total = sum(r.delayed_days for r in rows)
    console.print(
        f"DToC return for {month}: {total:,} delayed days in {len(rows)} rows written to {out}"
    )


@app.command()
def spc(
    input_path: Annotated[Path, typer.Option("--input", help="CSV with columns date,value.")],
    out: Annotated[Path, typer.Option(help="Where to write the chart's points (CSV).")],
    better: Annotated[Better | None, typer.Option(help="Which direction is improvement.")] = None,
    target: Annotated[
        float | None, typer.Option(help="The target, for the assurance icon.")
    ] = None,
    rebase: Annotated[
        list[str] | None, typer.Option(help="Recalculate limits from this date (repeatable).")
    ] = None,
) -> None:
    """An XmR chart the Making Data Count way: limits, special causes, variation, assurance."""
    from homeflow.reports.spc import spc_chart

    if not input_path.is_file():
        _fail(f"--input: {input_path} does not exist")
    days: list[date] = []
    values: list[float] = []
    with input_path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if not {"date", "value"} <= set(reader.fieldnames or []):
            _fail("--input: the file needs the columns date and value")
        for number, row in enumerate(reader, start=2):
            days.append(_parse_date(f"line {number}, date", row["date"]))
            try:
                values.append(float(row["value"]))
            except ValueError:
                _fail(f"line {number}, value: {row['value']!r} is not a number")
    changes = [_parse_date("--rebase", d) for d in rebase or []]
    try:
        chart = spc_chart(days, values, better, target, changes)
    except InvalidInput as problem:
        _fail(f"{problem.field}: {problem.reason}")
    rows = chart.rows()
    write_table(out, list(rows[0]), [list(r.values()) for r in rows], None)
    for warning in chart.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    console.print(f"latest point: {chart.latest.variation.value}; {chart.assurance.value}")


@app.command("rebuild")
def rebuild_command() -> None:
    """Drop every projection and refold it from the event log."""
    with console.status("refolding every spell from the event log"):
        spells = rebuild(db.connect())
    console.print(f"rebuilt projections for {spells:,} spells")


@app.command("census")
def census_command(
    on: Annotated[
        str | None, typer.Option("--date", help="Day, YYYY-MM-DD (default today).")
    ] = None,
    org: Annotated[
        str | None, typer.Option(help="Only this organisation's wards (ODS code).")
    ] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """One row per ward: beds, occupied, NCTR, stranded at midnight; that day's flows."""
    day = _parse_date("--date", on) if on else date.today()
    rows = census(db.connect(), day, org)
    if org and not rows:
        _fail(f"--org: no wards for organisation {org!r}")
    title = f"Census for {day.isoformat()} (midnight snapshot)"
    print_rows([r.as_dict() for r in rows], CENSUS_COLUMNS, output_format, title)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Server processes (one per core suits a busy system).")
    ] = 1,
) -> None:
    """Serve the web app."""
    import uvicorn

    uvicorn.run(
        "homeflow.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


def _parse_date(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)")
        raise  # unreachable: _fail exits


if __name__ == "__main__":
    app()
