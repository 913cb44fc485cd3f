"""The longest delays and internal delays over 48 hours (UEC plan 2025/26), as lists of the
patients at the midnight ending a day, by ward, site, trust or system."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from homeflow.cli.app import Commands, app
from homeflow.cli.database import open_database
from homeflow.cli.output import OutputFormat, ended_date, print_rows
from homeflow.domain.long_delays import KIND_TITLES, NO_PATHWAY, DelayKind
from homeflow.store.access.long_delays import CSV_COLUMNS, DelayLevel

delays_app = Commands(
    help="Patients 21+ days past their discharge ready date, and internal delays over 48 hours."
)
app.add_typer(delays_app, name="delays")

Day = Annotated[str, typer.Option("--date", help="The day, YYYY-MM-DD: its midnight's list.")]
LevelOption = Annotated[DelayLevel, typer.Option("--level", help="ward, site, trust or system.")]
Place = Annotated[
    str | None, typer.Option("--place", help="One ward, site, trust or system (its code).")
]


class Pathway(StrEnum):
    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    NOT_RECORDED = NO_PATHWAY


PathwayOption = Annotated[
    Pathway | None, typer.Option("--pathway", help="Only one pathway's patients.")
]
Format = Annotated[OutputFormat, typer.Option("--format")]


def _print(
    kind: DelayKind,
    on: str,
    level: DelayLevel,
    place: str | None,
    pathway: Pathway | None,
    output_format: OutputFormat,
) -> None:
    from homeflow.domain.clock import today
    from homeflow.domain.flow import snapshot_at
    from homeflow.domain.privacy import Role
    from homeflow.store.access.long_delays import delay_rows
    from homeflow.store.access.scope import Viewer

    day = ended_date("--date", on)
    # At the command line the operator reads the whole system, as an analyst of no one trust:
    # patients by initials and age, as the smart list and the system call show them.
    viewer = Viewer("cli", "-", Role.ANALYST, "cli")
    engine = open_database()
    at = snapshot_at(day)
    rows = delay_rows(
        engine, viewer, kind, at, level, place, today(), pathway=pathway.value if pathway else None
    )
    title = f"{KIND_TITLES[kind]}, {day:%d/%m/%Y}"
    print_rows([r.as_dict() for r in rows], CSV_COLUMNS, output_format, title)


@delays_app.command("longest")
def longest_command(
    on: Day,
    level: LevelOption = DelayLevel.SYSTEM,
    place: Place = None,
    pathway: PathwayOption = None,
    output_format: Format = OutputFormat.TABLE,
) -> None:
    """Patients 21 or more days past their discharge ready date at the midnight ending a day
    (days counted as the sitrep's delayed bed-days), the longest first."""
    _print(DelayKind.LONGEST, on, level, place, pathway, output_format)


@delays_app.command("internal")
def internal_command(
    on: Day,
    level: LevelOption = DelayLevel.SYSTEM,
    place: Place = None,
    pathway: PathwayOption = None,
    output_format: Format = OutputFormat.TABLE,
) -> None:
    """Patients whose delay reason has been internal to the hospital (Hospital process) for
    more than 48 hours at the midnight ending a day."""
    _print(DelayKind.INTERNAL, on, level, place, pathway, output_format)
