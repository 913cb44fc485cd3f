"""Text from outside is never markup: whatever a user types or a file holds, every error path
of the command line answers with one `error: FIELD: reason` line, exit code 2, and no
traceback; brackets, tags and emoji codes come out as typed.

The error paths are every parameter of every command that takes text (a word typed, or a file
or folder the command reads), found by walking the command line: each has a case here, or in
tests/integration/test_cli_refusals.py when it needs a database, or a reason it has none. Each
case's text is invalid by construction (a character no valid value holds, or a file that
cannot read), so every example must be refused. These run with no database: a case that
reached one would be answered about the database, and fail."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeflow.cli import app
from tests.support import homeflow

# Printable text on one line, as a person types it into an option or a file's field.
TYPED = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
# No valid day, month, number, code, name or level holds one of these.
MARKERS = "[]<>:*/"


def invalid(prefix: str = "") -> st.SearchStrategy[str]:
    """Typed text with a marker in it (markup-like text too): never a valid value."""
    marked = st.builds(
        lambda a, m, b: prefix + a + m + b,
        st.text(TYPED, max_size=12),
        st.sampled_from(MARKERS),
        st.text(TYPED, max_size=12),
    )
    markup = st.sampled_from(["[/red]x", "[[service]]", "[bold]a[/bold]", ":cat:", "<b>x</b>"])
    return st.one_of(marked, markup).filter(lambda s: s.strip() == s and s != "")


def fixed(*texts: str) -> st.SearchStrategy[str]:
    return st.sampled_from(texts)


def file(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, "utf-8")
    return str(path)


def checkpoints(folder: Path, text: str) -> str:
    """A folder holding one checkpoint file whose contents are `text`."""
    kept = folder / "checkpoints"
    kept.mkdir(exist_ok=True)
    (kept / "audit-checkpoint-000000000001.json").write_text(text, "utf-8")
    return str(kept)


@dataclass(frozen=True)
class Case:
    """An error path: the command line for a text (files made in a folder), the text, the
    field the error names (any, when empty) and whether it quotes the text."""

    run: Callable[[str, Path], list[str]]
    text: st.SearchStrategy[str]
    field: str
    echoed: bool = True
    makes_database: bool = False  # `restore` makes the database it restores into


D = "2026-03-31"
SERIES = "date,value\n2026-03-30,1\n2026-03-31,2\n"
TIPS = "tip\nAsk early\n"
NOT_CSV = fixed("x", "[bold]a[/bold]\n", "\x00\x01", ",,,\n1,2,3\n")
NOT_TOML = fixed("[x", "a = ", "[[service]]\nname = 1\n", "<b>x</b>")


def date_case(command: list[str], option: str, *after: str) -> Case:
    return Case(lambda x, f: [*command, f"{option}={x}", *after], invalid(), option)


CASES: dict[str, Case] = {
    # Days, months and the other words the command parses itself.
    "assessment export --date": date_case(
        ["assessment", "export", "--framework=hicm-2015", "--system=QDE", "--out=o.csv"], "--date"
    ),
    "assessment import --date": Case(
        lambda x, f: ["assessment", "import", file(f, "a.csv", ""), "--framework=hicm-2015",
                      "--system=QDE", f"--date={x}"], invalid(), "--date"),
    "audit export --from": date_case(["audit", "export", f"--to={D}", "--out=o.csv"], "--from"),
    "audit export --to": date_case(["audit", "export", f"--from={D}", "--out=o.csv"], "--to"),
    "calibrate --from": date_case(["calibrate", f"--to={D}", "--out=m.toml"], "--from"),
    "calibrate --to": date_case(["calibrate", f"--from={D}", "--out=m.toml"], "--to"),
    "calibrate --start": date_case(
        ["calibrate", f"--from={D}", f"--to={D}", "--out=m.toml"], "--start"
    ),
    "beds requests --site": Case(lambda x, f: ["beds", "requests", f"--site={x}"], invalid(),
                                 "--site"),
    "beds state --site": Case(lambda x, f: ["beds", "state", f"--site={x}"], invalid(), "--site"),
    "beds state --at": Case(lambda x, f: ["beds", "state", "--site=RX101", f"--at={x}"],
                            invalid(), "--at"),
    "predict discharges --date": date_case(["predict", "discharges"], "--date"),
    "predict discharges --at": Case(lambda x, f: ["predict", "discharges", f"--date={D}",
                                                  f"--at={x}"], invalid(), "--at"),
    "predict evaluate --from": date_case(["predict", "evaluate", f"--to={D}"], "--from"),
    "predict evaluate --to": date_case(["predict", "evaluate", f"--from={D}"], "--to"),
    "predict evaluate --at": Case(lambda x, f: ["predict", "evaluate", f"--from={D}",
                                                f"--to={D}", f"--at={x}"], invalid(), "--at"),
    "predict train --through": date_case(["predict", "train"], "--through"),
    "predict train --at": Case(lambda x, f: ["predict", "train", f"--through={D}", f"--at={x}"],
                               invalid(), "--at"),
    "census --date": date_case(["census"], "--date"),
    "validate --to": date_case(["validate"], "--to"),
    "forecast --to": date_case(["forecast", "--out=o.csv", "--level=icb"], "--to"),
    "backtest --to": date_case(["backtest", "--level=icb"], "--to"),
    "delays internal --date": date_case(["delays", "internal"], "--date"),
    "delays longest --date": date_case(["delays", "longest"], "--date"),
    "opel --date": date_case(["opel"], "--date"),
    "demo --end": date_case(["demo"], "--end"),
    "demo --mllp": Case(lambda x, f: ["demo", f"--mllp={x}"], invalid().map(lambda s: s + "*"),
                        "--mllp"),
    "dtoc --month": Case(lambda x, f: ["dtoc", f"--month={x}", "--out=o.csv"], invalid(),
                         "--month"),
    "framework add NAME": Case(
        lambda x, f: ["framework", "add", f"--tips={file(f, 't.csv', TIPS)}", "--system=QDE",
                      "--title=Tips", "--", x], invalid(), "NAME"),
    "home-care tree --date": date_case(["home-care", "tree"], "--date"),
    "drd --month": Case(lambda x, f: ["drd", f"--month={x}"], invalid(), "--month"),
    "drd --by": Case(lambda x, f: ["drd", f"--month={D[:7]}", f"--by={x}"], invalid(), "--by"),
    "mh-delays --month": Case(lambda x, f: ["mh-delays", f"--month={x}"], invalid(), "--month"),
    "mh-delays --by": Case(lambda x, f: ["mh-delays", f"--month={D[:7]}", f"--by={x}"],
                           invalid(), "--by"),
    "home-care tree --against": date_case(["home-care", "tree", f"--date={D}"], "--against"),
    "ingest census --date": Case(
        lambda x, f: ["ingest", "census", file(f, "c.csv", ""), f"--date={x}"], invalid(),
        "--date"),
    "kpi --from": date_case(["kpi", "nctr", f"--to={D}", "--out=o.csv"], "--from"),
    "kpi --to": date_case(["kpi", "nctr", f"--from={D}", "--out=o.csv"], "--to"),
    "kpi --baseline": date_case(["kpi", "nctr", f"--from={D}", f"--to={D}", "--out=o.csv"],
                                "--baseline"),
    "outcomes --from": date_case(["outcomes", f"--to={D}"], "--from"),
    "outcomes --to": date_case(["outcomes", f"--from={D}"], "--to"),
    "outcomes --level": Case(
        lambda x, f: ["outcomes", f"--from={D}", f"--to={D}", f"--level={x}"], invalid(),
        "--level"),
    "outcomes --baseline-from": date_case(
        ["outcomes", f"--from={D}", f"--to={D}", f"--baseline-to={D}"], "--baseline-from"
    ),
    "outcomes --baseline-to": date_case(
        ["outcomes", f"--from={D}", f"--to={D}", f"--baseline-from={D}"], "--baseline-to"
    ),
    "ic-return --week-ending": date_case(["ic-return", "--out=o.csv"], "--week-ending"),
    "pdsa list --date": date_case(["pdsa", "list"], "--date"),
    "report weekly --date": date_case(["report", "weekly", "--out=r.html"], "--date"),
    "series import --id": Case(
        lambda x, f: ["series", "import", file(f, "s.csv", SERIES), "--system=QDE",
                      "--title=Falls", "--better=lower", f"--id={x}"], invalid(), "--id"),
    "sitrep --date": date_case(["sitrep", "--out=o.csv"], "--date"),
    "smart-list --date": date_case(["smart-list"], "--date"),
    "log detach --before": date_case(["log", "detach", "events_p0001"], "--before"),
    "log detach PARTITION": Case(
        lambda x, f: ["log", "detach", "--before=2026-01-01", "--", x], invalid(), "PARTITION"
    ),
    "log attach PARTITION": Case(lambda x, f: ["log", "attach", "--", x], invalid(), "PARTITION"),
    "spc --rebase": Case(
        lambda x, f: ["spc", f"--input={file(f, 's.csv', SERIES)}", "--out=o.csv",
                      f"--rebase={x}"], invalid(), "--rebase"),
    "team add CODE": Case(
        lambda x, f: ["team", "add", "--name=Team", "--org=RX1", "--", x], invalid(),
        "team_code"),
    "team add --org": Case(
        lambda x, f: ["team", "add", "t1", "--name=Team", f"--org={x}"], invalid(), "org_code"),
    "team add --review-weeks": Case(
        lambda x, f: ["team", "add", "t1", "--name=Team", "--org=RX1", f"--review-weeks={x}"],
        invalid(), "--review-weeks"),
    "team add --telephone": Case(
        lambda x, f: ["team", "add", "t1", "--name=Team", "--org=RX1", f"--telephone={x}"],
        invalid(), "--telephone"),
    # Files and folders the command reads: contents that cannot read.
    "append PATH": Case(
        lambda x, f: ["append", file(f, "events.jsonl", x + "\n")],
        st.one_of(invalid(prefix="{"), fixed("1", "[]", '"x"', "null", "{}")), "line 1",
        echoed=False),
    "backtest --input": Case(
        lambda x, f: ["backtest", f"--input={file(f, 'i.csv', x)}"],
        fixed("series_id,date,value\na,2026-01-01,ten\n", "x\n", "series_id,date\n"), "",
        echoed=False),
    "forecast --input": Case(
        lambda x, f: ["forecast", f"--input={file(f, 'i.csv', x)}", "--out=o.csv"],
        fixed("series_id,date,value\na,2026-01-01,ten\n", "x\n", "series_id,date\n"), "",
        echoed=False),
    "framework add --tips": Case(
        lambda x, f: ["framework", "add", "local-tips", f"--tips={file(f, 't.csv', x)}",
                      "--system=QDE", "--title=Tips"], NOT_CSV, "--tips", echoed=False),
    "ingest hl7 --mapping": Case(
        lambda x, f: ["ingest", "hl7", file(f, "a.hl7", ""), f"--mapping={file(f, 'm.toml', x)}"],
        NOT_TOML, "--mapping", echoed=False),
    "listen --mapping": Case(
        lambda x, f: ["listen", "--port=1", f"--mapping={file(f, 'm.toml', x)}"], NOT_TOML,
        "--mapping", echoed=False),
    "validate --scenario": Case(
        lambda x, f: ["validate", f"--to={D}", "--days=1", f"--scenario={file(f, 's.toml', x)}"],
        NOT_TOML, "--scenario", echoed=False),
    "messages replay --mapping": Case(
        lambda x, f: ["messages", "replay", "--all-rejected", f"--mapping={file(f, 'm.toml', x)}"],
        NOT_TOML, "--mapping", echoed=False),
    "restore COPY": Case(lambda x, f: ["restore", file(f, "copy.db", x)], NOT_CSV, "file",
                         echoed=False, makes_database=True),
    "series import PATH": Case(
        lambda x, f: ["series", "import", file(f, "s.csv", x), "--id=falls", "--system=QDE",
                      "--title=Falls", "--better=lower"],
        fixed("day,value\n2026-01-01,1\n", "date,value\n2026-01-01,ten\n",
              "date,value\nx,1\n", "date,value\n2026-01-01,1\n2026-01-01,2\n"), "",
        echoed=False),
    "spc --input": Case(
        lambda x, f: ["spc", f"--input={file(f, 's.csv', x)}", "--out=o.csv"],
        fixed("day,value\n2026-01-01,1\n", "date,value\n2026-01-01,ten\n", "date,value\nx,1\n"),
        "", echoed=False),
}  # fmt: skip

# The files and folders commands write (cli/output.py's written_file and written_folder): each
# is refused as the command line is read, before the other options and before any work, so
# with no database; a file under a folder that does not exist, a folder under a file.
WRITTEN_FILES = (
    "assessment export --out",
    "audit export --out",
    "backtest --out",
    "backup --out",
    "calibrate --out",
    "directory export --out",
    "dtoc --out",
    "forecast --out",
    "ic-return --out",
    "kpi --out",
    "report weekly --out",
    "simulate --out",
    "simulate --totals",
    "sitrep --out",
    "spc --out",
)
WRITTEN_FOLDERS = ("demo --hl7-out", "demo --scenarios-out")
# A path's own separator would make a typed name a folder and a file.
NAMED = invalid().filter(lambda s: "/" not in s)


def _written(name: str, under: Callable[[Path], Path]) -> Case:
    *command, option = name.split()
    return Case(lambda x, f: [*command, f"{option}={under(f) / x}"], NAMED, option)


CASES |= {name: _written(name, lambda f: f / "no such folder") for name in WRITTEN_FILES}
CASES |= {name: _written(name, lambda f: Path(file(f, "a file", ""))) for name in WRITTEN_FOLDERS}

# The parameters that take text yet have no error path of their own: why.
FREE = "free text: any is accepted"
NO_PATHS: dict[str, str] = {
    "framework add --title": FREE,
    "framework add --version": FREE,
    "series import --title": FREE,
    "series import --unit": FREE,
    "team add --name": FREE,
    "ingest capacity --source": FREE + " (names the feed)",
    "opel submit --source": FREE + " (names the feed)",
    "ingest census --source": FREE + " (names the feed)",
    "ingest episodes --source": FREE + " (names the feed)",
    "ingest mh-delays --source": FREE + " (names the feed)",
    "listen --host": "an address to bind: the operating system refuses it, not homeflow",
    "serve --host": "an address to bind: the operating system refuses it, not homeflow",
    "simulate --scheduler": "a Dask scheduler's address, reached by Dask",
    "dtoc --org": "a provider with no stays has an empty return, not an error",
    "delays internal --pathway": "a choice (P0-P3, not recorded), refused by Typer; read as a"
    " path here for the 'Path' in its type's name",
    "delays longest --pathway": "the same choice as delays internal --pathway",
    "ingest hl7 PATHS": "a message that does not read is rejected and kept, exit 1: test_feeds",
}


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    subcommands = getattr(command, "commands", {})
    if path and (not subcommands or command.callback is not None):
        yield " ".join(path), command
    for name, sub in subcommands.items():
        yield from _commands(sub, (*path, name))


def text_parameters() -> set[str]:
    """Every parameter that takes text or a path, as `command PARAMETER`."""
    found = set()
    for name, command in _commands(typer.main.get_command(app)):
        for param in command.params:
            kind = repr(param.type_descriptor.annotation)
            if "str" in kind or "Path" in kind:
                shown = (
                    param.name.upper()
                    if param.param_type_name == "argument"
                    else max(param.opts, key=len)
                )
                found.add(f"{name} {shown}")
    return found


def test_every_parameter_taking_text_has_an_error_path_or_a_reason() -> None:
    from tests.integration.test_cli_refusals import CASES as NEEDING_A_DATABASE

    covered = set(CASES) | set(NEEDING_A_DATABASE) | set(NO_PATHS)
    assert text_parameters() == covered, text_parameters() ^ covered
    assert not set(CASES) & set(NEEDING_A_DATABASE)


def check(case: Case, text: str, done: Any) -> None:
    assert done.returncode == 2, (text, done.returncode, done.stdout, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), (text, done.stderr)
    assert lines[0].startswith(f"error: {case.field}"), (text, case.field, lines[0])
    assert done.stdout == "", done.stdout
    if case.echoed:  # as typed: markup would have lost its brackets, tags or colons
        assert text in lines[0] or repr(text) in lines[0], (text, lines[0])


@pytest.mark.parametrize("path", sorted(CASES))
@settings(max_examples=6, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_error_path_names_the_problem_in_one_line(
    path: str, data: st.DataObject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = CASES[path]
    text = data.draw(case.text)
    monkeypatch.chdir(tmp_path)
    nowhere = tmp_path / "no" / "homeflow.db"  # reaching a database is answered about it
    check(case, text, homeflow(f"sqlite:///{nowhere}", *case.run(text, tmp_path)))
    assert nowhere.parent.exists() is case.makes_database


@pytest.mark.parametrize("name", WRITTEN_FILES)
def test_a_folder_named_where_a_file_is_written_is_refused(name: str, tmp_path: Path) -> None:
    *command, option = name.split()
    nowhere = tmp_path / "no" / "homeflow.db"
    done = homeflow(f"sqlite:///{nowhere}", *command, f"{option}={tmp_path}")
    assert done.returncode == 2, done
    assert done.stderr == f"error: {option}: {tmp_path} is a folder; name a file in it\n"
    assert not nowhere.parent.exists()
