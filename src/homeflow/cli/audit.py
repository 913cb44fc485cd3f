"""The audit log for the information-governance team: verify its hash chain, export it, prune
it after its retention period."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from homeflow.cli.app import app
from homeflow.cli.output import console, date_option, fail, say
from homeflow.domain.errors import InvalidInput
from homeflow.reports.cells import safe_row
from homeflow.store import db

audit_app = typer.Typer(help="The audit log: verify, export, prune.")
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


@audit_app.command("verify")
def audit_verify() -> None:
    """Check every row's hash and its link to the row before; exit 1 naming the first broken row."""
    from homeflow.store.access.audit import verify_audit

    checked, broken, head = verify_audit(db.connect())
    if broken is not None:
        console.print(f"audit log broken at row {broken.row_id}: {broken.reason}", highlight=False)
        raise typer.Exit(1)
    say(f"audit log whole: {checked:,} rows chained; newest hash {head or '-'}")


@audit_app.command("export")
def audit_export_command(
    first: Annotated[str, typer.Option("--from", help="First day (UTC), YYYY-MM-DD.")],
    last: Annotated[str, typer.Option("--to", help="Last day (UTC), YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option(help="The CSV file to write.")],
) -> None:
    """The rows written from --from to --to as CSV, hashes included, for the IG team."""
    from homeflow.store.access.audit import audit_rows

    since, until = date_option("--from", first), date_option("--to", last)
    if until < since:
        fail("--to: must not be before --from")
    rows = audit_rows(db.connect(), since, until)
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
    older_than_days: Annotated[
        int | None,
        typer.Option(min=1, help="Delete rows older than so many days (default: the setting)."),
    ] = None,
) -> None:
    """Delete rows past the retention period ([audit] retention_days, or --older-than-days)."""
    from homeflow.config import audit_retention_days
    from homeflow.store.access.audit import prune_audit

    try:
        days = older_than_days or audit_retention_days()
    except InvalidInput as problem:
        fail(f"{problem.field}: {problem.reason}")
    if days is None:
        fail("--older-than-days: no retention period is set ([audit] retention_days)")
    before = datetime.now(UTC).date() - timedelta(days=days)
    gone = prune_audit(db.connect(), before)
    say(f"{gone:,} audit rows older than {before.isoformat()} deleted")
