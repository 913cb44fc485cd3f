"""The `homeflow` command: each area's module adds its commands to this app, or to an area's
`Commands` added under it.

Every command ends a refused input (`InvalidInput`, from the domain, a store or a file's
reader) the same way: one line `error: FIELD: reason`, exit code 2, no traceback. A field that
is one of the command's own parameters is named as the person typed it (`org` is `--org`, a
KPI's `name` is `NAME`); any other (`line 3, date`, a setting's name) is named as it is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandFunctionType

from homeflow.cli.database import close_databases
from homeflow.cli.output import fail, shown
from homeflow.domain.errors import InvalidInput


def parameter_named(command: Any, field: str) -> str:
    """What the person typed that `field` names, when it is one of `command`'s parameters."""
    for param in command.params:
        if field in {param.name, *param.opts, *(opt.lstrip("-") for opt in param.opts)}:
            return shown(param)
    return field


def _refused(ctx: Any, problem: InvalidInput) -> None:
    fail(f"{parameter_named(ctx.command, problem.field)}: {problem.reason}")


class _Answered:
    """Answers a refused input in the one error format, and closes the databases the command
    opened (a test runs many commands in one process)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except InvalidInput as problem:
            _refused(ctx, problem)
        finally:
            close_databases()


class Command(_Answered, TyperCommand):
    """A command that answers as `_Answered` says."""


class Group(_Answered, TyperGroup):
    """A group of commands whose own callback (`homeflow messages`) answers alike."""


class Commands(typer.Typer):
    """A Typer whose commands and groups are `Command` and `Group`."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(cls=Group, **settings)

    def command(
        self, *args: Any, **settings: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        return super().command(*args, cls=Command, **settings)


app = Commands(help="homeflow: patient flow and discharge for health and care systems.")
