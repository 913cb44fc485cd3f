"""The event log's partitions on PostgreSQL, for whoever runs the database: list them, close
the open one at the end of a quarter, detach an old one to archive it, attach it again
(store/log_partitions.py; docs/scale.md, "Partitioning the event log")."""

from __future__ import annotations

from typing import Annotated

import typer

from homeflow.cli.app import Commands, app
from homeflow.cli.database import open_database
from homeflow.cli.output import OutputFormat, fail, print_rows, say
from homeflow.domain import clock
from homeflow.domain.clock import parse_date

log_app = Commands(help="The event log's partitions on PostgreSQL: list, close, detach, attach.")
app.add_typer(log_app, name="log")

Partition = Annotated[str, typer.Argument(help="A partition's name (events_p0001).")]


def _named(partition: str) -> str:
    """A partition's name as `homeflow log partitions` lists them, before the database opens."""
    from homeflow.store.log_partitions import is_partition

    if not is_partition(partition):
        fail(f"PARTITION: {partition} is not a partition's name (events_p0001, as listed)")
    return partition


@log_app.command("partitions")
def list_partitions() -> None:
    """Each partition: in the log or detached, open or closed, its events and when they came."""
    from homeflow.store.log_partitions import partitions

    with open_database().connect() as conn:
        found = partitions(conn)
    rows = [
        {
            "partition": p.name,
            "state": "open" if p.open else "closed" if p.attached else "detached",
            "events": p.events,
            "first seq": p.first_seq,
            "last seq": p.last_seq,
            "first received": f"{p.first_received:%d/%m/%Y}" if p.first_received else "",
            "last received": f"{p.last_received:%d/%m/%Y}" if p.last_received else "",
        }
        for p in found
    ]
    columns = [
        "partition",
        "state",
        "events",
        "first seq",
        "last seq",
        "first received",
        "last received",
    ]
    print_rows(rows, columns, OutputFormat.TABLE, "The event log's partitions")


@log_app.command("close-partition")
def close() -> None:
    """End the open partition at the log's head and open the next (writers wait a moment)."""
    from homeflow.store.log_partitions import close_partition

    with open_database().begin() as conn:
        closed, opened = close_partition(conn)
    say(f"closed {closed}; new events go to {opened}")


@log_app.command("detach")
def detach(
    partition: Partition,
    before: Annotated[
        str,
        typer.Option(
            "--before",
            help="YYYY-MM-DD, the retention line: every event in the partition came before it.",
        ),
    ],
) -> None:
    """Take a closed partition out of the log, to archive with `pg_dump -t` and then drop.
    Refused while any of its spells or bed requests is open."""
    from homeflow.store.log_partitions import detach_partition

    name = _named(partition)
    line = parse_date("--before", before)
    if line > clock.today():  # a retention line is in the past (today: up to yesterday's)
        fail(f"--before: {before} has not come yet: the latest is today")
    with open_database().begin() as conn:
        spells = detach_partition(conn, name, line)
    say(
        f"detached {name}: {spells:,} spells archived (an event for one is refused until it is"
        f" attached again); archive it with `pg_dump --table={name}`, then `DROP TABLE {name}`"
    )


@log_app.command("attach")
def attach(partition: Partition) -> None:
    """Put a detached partition back in the log."""
    from homeflow.store.log_partitions import attach_partition

    name = _named(partition)
    with open_database().begin() as conn:
        attach_partition(conn, name)
    say(f"attached {name}: its events are in the log again")
