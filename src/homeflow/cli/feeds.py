"""Taking in feeds: events, HL7 v2 files and MLLP, the census CSV; messages and feed health."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from homeflow.cli.app import Commands, app
from homeflow.cli.database import open_database
from homeflow.cli.output import (
    OutputFormat,
    console,
    fail,
    print_rows,
    progress_bar,
    say,
    tables,
)
from homeflow.config import future_tolerance
from homeflow.domain import clock
from homeflow.domain import events as ev
from homeflow.domain.clock import parse_date
from homeflow.domain.errors import InvalidInput
from homeflow.ingest.mapping import FeedMapping, load_mapping
from homeflow.store.codec import event_from_record
from homeflow.store.eventlog import EventLog


@app.command()
def append(
    path: Annotated[Path, typer.Argument(help="JSON lines: one event per line, or - for stdin.")],
) -> None:
    """Append events (key, type, source, occurred_at, spell_key, payload) to the log."""
    lines = (
        sys.stdin.read().splitlines() if str(path) == "-" else path.read_text("utf-8").splitlines()
    )
    received = clock.now()
    batch: list[ev.Event] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            batch.append(event_from_record(json.loads(line), received))
        except json.JSONDecodeError as error:
            fail(f"line {number}: not JSON ({error.msg})")
        except InvalidInput as error:
            fail(f"line {number}: {error.field}: {error.reason}")
    result = EventLog(open_database(), future_tolerance()).append(batch)
    for rejection in result.rejected:
        console.print(
            Text.assemble(
                ("rejected", "red"), f" {rejection.key}: {rejection.field}: {rejection.reason}"
            )
        )
    say(
        f"{len(result.applied)} applied, {len(result.duplicates)} duplicate, "
        f"{len(result.rejected)} rejected"
    )
    if result.rejected:
        raise typer.Exit(1)


ingest_app = Commands(help="Take in feeds: HL7 v2 files.")
app.add_typer(ingest_app, name="ingest")


def _mapping(path: Path | None) -> FeedMapping:
    if path is None:
        return FeedMapping()
    try:
        return load_mapping(path)
    except (OSError, UnicodeDecodeError, InvalidInput) as error:
        fail(f"--mapping: {error}")


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
        fail(f"PATH: {', '.join(missing)} does not exist")
    feed = _mapping(mapping)
    files = sorted(
        p for path in paths for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file()
    )
    engine = open_database()
    counts = dict.fromkeys((APPLIED, DUPLICATE, REJECTED, HELD), 0)

    with progress_bar() as progress:
        task = progress.add_task("ingesting HL7", total=len(files))

        def messages() -> Iterator[str]:
            for path in files:
                for raw in split_file(path.read_bytes()):
                    yield raw.decode("utf-8", errors="replace")
                progress.advance(task)

        for outcome in import_hl7(engine, messages(), feed, batch):
            counts[outcome.outcome] += 1
    say(
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

    day = parse_date("--date", on)
    if not path.is_file():
        fail(f"FILE: {path} does not exist")
    changes = receive_census(open_database(), path.read_text("utf-8-sig"), day, source)
    for kind, keys in changes.items():
        say(
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
    from homeflow.store.garbage import collect_garbage_for_long_lived_writers

    collect_garbage_for_long_lived_writers()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    feed = _mapping(mapping)
    engine = open_database()
    asyncio.run(Listener(engine, feed, max_message_bytes).serve(host, port))


messages_app = Commands(help="Messages received from feeds.", invoke_without_command=True)
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
    from homeflow.store.feed_messages import HELD, REJECTED, list_messages

    found = list_messages(open_database(), [REJECTED, HELD] if rejected else None, limit)
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
    tables.print(table)


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
        fail("give message ids or --all-rejected")
    chosen = None if all_rejected else message_ids
    feed = _mapping(mapping)
    done = replay(open_database(), feed, chosen)
    for message_id, outcome in done:
        detail = f" {outcome.field}: {outcome.reason}" if outcome.reason else ""
        say(f"message {message_id}: {outcome.outcome}{detail}")
    if any(not outcome.accepted for _, outcome in done):
        raise typer.Exit(1)


@app.command()
def feeds(
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Feed health: messages in the last hour and day, last message, lag, rejected."""
    from homeflow.store.feed_messages import feed_health

    health = [h.as_dict() for h in feed_health(open_database(), clock.now())]
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
