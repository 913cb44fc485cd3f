"""The audit log for the information-governance team: verify its hash chain (against the
checkpoints kept outside the database), write a checkpoint, export it, prune it after its
retention period (leaving a checkpoint of where it cut)."""

from __future__ import annotations

import csv
import getpass
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from homeflow.cli.app import Commands, app
from homeflow.cli.database import open_database
from homeflow.cli.output import console, fail, say, warn, written_file
from homeflow.domain import clock
from homeflow.domain.audit_chain import Checkpoint
from homeflow.domain.clock import parse_date
from homeflow.domain.privacy import Role
from homeflow.reports.cells import safe_row

audit_app = Commands(help="The audit log: verify, checkpoint, export, prune.")
app.add_typer(audit_app, name="audit")

COLUMNS = (
    "id",
    "at_utc",
    "user",
    "organisation",
    "action",
    "what",
    "spell",
    "client",
    "prev_hash",
    "row_hash",
)


Checkpoints = Annotated[
    Path | None,
    typer.Option(
        "--checkpoints",
        envvar="HOMEFLOW_AUDIT_CHECKPOINTS",
        help="The folder of checkpoints kept outside the database (or HOMEFLOW_AUDIT_CHECKPOINTS).",
    ),
]


def _read(folder: Path, option: str) -> list[Checkpoint]:
    from homeflow.store.audit_checkpoints import read_checkpoints

    found = read_checkpoints(folder, option)
    if not found:
        warn(f"{option}: {folder} holds no checkpoint yet")
    return found


def _whole_or_exit(folder: Path | None, option: str = "--checkpoints") -> tuple[int, str | None]:
    """The chain checked (against the folder's checkpoints too); exit 1 naming where it breaks."""
    from homeflow.store.access.audit import verify_audit

    engine = open_database()  # a database to check first: its schema before any folder
    checked, broken, head = verify_audit(engine, _read(folder, option) if folder else [])
    if broken is not None:
        console.print(f"audit log broken at row {broken.row_id}: {broken.reason}", highlight=False)
        raise typer.Exit(1)
    return checked, head


@audit_app.command("verify")
def audit_verify(checkpoints: Checkpoints = None) -> None:
    """Check every row's hash, its link to the row before, the chain's start, and the rows the
    checkpoints recorded; exit 1 naming the first broken row."""
    checked, head = _whole_or_exit(checkpoints)
    against = f", and agrees with the checkpoints in {checkpoints}" if checkpoints else ""
    say(f"audit log whole: {checked:,} rows chained{against}; newest hash {head or '-'}")
    if checkpoints is None:
        warn("no --checkpoints: rows deleted from the newest end cannot be found")


@audit_app.command("checkpoint")
def audit_checkpoint(
    to: Annotated[
        Path | None,
        typer.Option(
            "--to",
            envvar="HOMEFLOW_AUDIT_CHECKPOINTS",
            help="The folder to keep it in, outside the database (or HOMEFLOW_AUDIT_CHECKPOINTS).",
        ),
    ] = None,
) -> None:
    """Record the chain's start and newest row in a file outside the database, once the chain
    is whole and agrees with the checkpoints already there."""
    from homeflow.store.access.audit import chain_ends
    from homeflow.store.audit_checkpoints import settle, write_pending

    if to is None:
        fail("--to: name the folder the checkpoints are kept in")
    _whole_or_exit(to, "--to")
    ends = chain_ends(open_database())
    if ends is None:
        fail("audit: the audit log is empty: nothing to checkpoint")
    kept, rows = ends
    path = settle(write_pending(to, kept, rows, "checkpoint", "--to"))
    say(f"checkpoint {path}: rows {kept.start.row_id} to {kept.newest_id} ({rows:,} rows)")
    say(f"newest hash {kept.newest_hash}")


@audit_app.command("export")
def audit_export_command(
    first: Annotated[str, typer.Option("--from", help="First day (UTC), YYYY-MM-DD.")],
    last: Annotated[str, typer.Option("--to", help="Last day (UTC), YYYY-MM-DD.")],
    out: Annotated[Path, written_file("The CSV file to write.")],
) -> None:
    """The rows written from --from to --to as CSV, hashes included, for the IG team."""
    from homeflow.store.access.audit import audit_rows

    since, until = parse_date("--from", first), parse_date("--to", last)
    if until < since:
        fail("--to: must not be before --from")
    rows = audit_rows(open_database(), since, until)
    try:
        with out.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(COLUMNS)
            for r in rows:
                writer.writerow(
                    safe_row([
                        r.id, r.at.isoformat(sep=" "), r.user_email, r.org_code, r.action,
                        r.what, r.spell_key or "", r.client, r.prev_hash or "", r.row_hash or "",
                    ])
                )  # fmt: skip
    except OSError as error:
        fail(f"--out: cannot write {out}: {error.strerror}")
    say(f"{len(rows):,} audit rows written to {out}")


@audit_app.command("prune")
def audit_prune(
    checkpoints: Checkpoints = None,
    older_than_days: Annotated[
        int | None,
        typer.Option(min=1, help="Delete rows older than so many days (default: the setting)."),
    ] = None,
) -> None:
    """Delete rows past the retention period (\\[audit] retention_days, or --older-than-days),
    once the chain is whole; the chain records where it now starts, and so does a checkpoint
    written to --checkpoints before the rows go."""
    from homeflow.config import audit_retention_days
    from homeflow.store.access import Viewer
    from homeflow.store.access.audit import prune_audit

    days = older_than_days or audit_retention_days()
    if days is None:
        fail("--older-than-days: no retention period is set ([audit] retention_days)")
    if checkpoints is None:
        fail("--checkpoints: name the folder the checkpoint of this prune is kept in")
    _whole_or_exit(checkpoints)
    before = clock.now().date() - timedelta(days=days)
    viewer = Viewer(f"cli:{getpass.getuser()}", "-", Role.ADMIN, "cli")
    gone, path = prune_audit(open_database(), before, viewer, checkpoints)
    say(f"{gone:,} audit rows older than {before.isoformat()} deleted; checkpoint {path}")
