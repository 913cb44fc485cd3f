"""Text from outside is never markup: whatever a user types or a file holds, every error path
of the command line answers with one clear `error:` line naming what is wrong, exit code 2, and
no traceback; brackets, tags and emoji codes come out as typed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from homeflow.cli import app
from homeflow.store import db

# Printable text on one line: what a person can type into an option or a file's field.
typed = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40
).filter(lambda s: s.strip() == s and s.strip())
markup_like = st.sampled_from(["[/red]x", "[[service]]", "[bold]a[/bold]", ":cat:", "<b>x</b>"])


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("cli")
    url = f"sqlite:///{folder / 'homeflow.db'}"
    db.migrate(db.connect(url))
    yield url


def _file(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, "utf-8")
    return str(path)


# Each error path: the command line for a piece of outside text, in a scratch folder.
PATHS: dict[str, Callable[[str, Path], list[str]]] = {
    "census --date": lambda x, f: ["census", f"--date={x}"],
    "sitrep --date": lambda x, f: ["sitrep", f"--date={x}", f"--out={f / 'o.csv'}"],
    "dtoc --month": lambda x, f: ["dtoc", f"--month={x}", f"--out={f / 'o.csv'}"],
    "kpi --from": lambda x, f: [
        "kpi", "delayed-bed-days", f"--from={x}", "--to=2026-01-01", f"--out={f / 'o.csv'}"
    ],
    "kpi NAME": lambda x, f: [
        "kpi", "--from=2026-01-01", "--to=2026-01-02", f"--out={f / 'o.csv'}", "--", x
    ],
    "report weekly --date": lambda x, f: ["report", "weekly", f"--date={x}", f"--out={f / 'r.html'}"],
    "calibrate --from": lambda x, f: [
        "calibrate", f"--from={x}", "--to=2026-01-01", f"--out={f / 'm.toml'}"
    ],
    "spc file": lambda x, f: [
        "spc", "--input=" + _file(f, "in.csv", "date,value\n" + x + ",1\n"), f"--out={f / 'o.csv'}"
    ],
    "spc value": lambda x, f: [
        "spc", "--input=" + _file(f, "in.csv", "date,value\n2026-01-01," + x + "\n"),
        f"--out={f / 'o.csv'}",
    ],
    "append line": lambda x, f: ["append", _file(f, "events.jsonl", x + "\n")],
    "ingest census --date": lambda x, f: [
        "ingest", "census", _file(f, "census.csv", "x\n"), f"--date={x}"
    ],
    "ingest census file": lambda x, f: [
        "ingest", "census", _file(f, "census.csv", x + "\n" + x + "\n"), "--date=2026-01-01"
    ],
    "simulate model file": lambda x, f: [
        "simulate", _file(f, "model.toml", x + "\n"), f"--out={f / 'o.parquet'}", "--start=empty"
    ],
    "ingest hl7 --mapping": lambda x, f: [
        "ingest", "hl7", _file(f, "a.hl7", ""), f"--mapping={_file(f, 'map.toml', x)}"
    ],
    "token create --org": lambda x, f: ["token", "create", f"--org={x}"],
    "assessment import file": lambda x, f: [
        "assessment", "import", _file(f, "a.csv", x + "\n1,a,Sometimes,,,,\n"),
        "--framework=hicm-2015", "--system=QDE", "--date=2026-01-01",
    ],
    "assessment import --framework": lambda x, f: [
        "assessment", "import", _file(f, "a.csv", "Impact change,Where are you now,Status\n"),
        f"--framework={x}", "--system=QDE", "--date=2026-01-01",
    ],
    "assessment export --date": lambda x, f: [
        "assessment", "export", "--framework=hicm-2015", "--system=QDE", f"--date={x}",
        f"--out={f / 'o.csv'}",
    ],
    "framework add --tips": lambda x, f: [
        "framework", "add", "local-tips", f"--tips={_file(f, 't.csv', x)}", "--system=QDE",
        "--title=Tips",
    ],
    "pdsa list --date": lambda x, f: ["pdsa", "list", f"--date={x}"],
    "smart-list --date": lambda x, f: ["smart-list", f"--date={x}"],
}  # fmt: skip


def _run(database: str, args: list[str]) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, args, env={"HOMEFLOW_DATABASE_URL": database})
    return result.exit_code, result.output, result.exception


def _check(code: int, output: str, exception: BaseException | None, text: str) -> None:
    assert isinstance(exception, SystemExit), f"crashed: {exception!r}\n{output}"
    assert code == 2, output
    errors = [line for line in output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, output
    assert "Traceback" not in output


@pytest.mark.parametrize("path", sorted(PATHS))
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(typed, markup_like))
def test_every_error_path_names_the_problem_in_one_line(
    path: str, text: str, database: str, tmp_path: Path
) -> None:
    code, output, exception = _run(database, PATHS[path](text, tmp_path))
    if code == 0:
        return  # the text happened to be valid input (a real date, a known KPI name)
    _check(code, output, exception, text)


@pytest.mark.parametrize("text", ["[/red]x", "[[service]]", "[bold]a[/bold]", ":cat:", "<b>x</b>"])
def test_markup_in_input_comes_out_as_typed(text: str, database: str, tmp_path: Path) -> None:
    code, output, exception = _run(database, PATHS["census --date"](text, tmp_path))
    _check(code, output, exception, text)
    assert repr(text) in output
