"""The `homeflow` command: each area's module adds its commands to this app."""

import typer

app = typer.Typer(help="homeflow: patient flow and discharge for health and care systems.")
