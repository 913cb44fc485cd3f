"""Every shell example in README.md and docs/*.md runs, so the docs cannot drift from the code.

Each fenced ```sh block is read as a user would type it, its `homeflow` commands in order,
against one small demo built once for the module (`demo_database`), in one working folder
holding the files the examples name. On SQLite only (`one_engine`): what the docs say is the
same on either engine, and each command runs on PostgreSQL in its own tests (a backup restored
into PostgreSQL in `test_backup.py`, every format of every command in `test_cli_formats.py`).
A command that no longer exists, an option that was renamed, or a command that fails, fails
the block's test, naming the doc and line.

How the examples are read (the substitutions, all of them):
- `\\` continues a line; `#` starts a comment; `&&` and `|` separate commands; a command that
  is not `homeflow` (make, python, rm, echo) is not run, but `echo TEXT | homeflow ...` gives
  the command TEXT on its input, and `> FILE` writes its output to FILE.
- `VAR=value homeflow ...` and `export VAR=value` set the command's (the block's) environment.
- `[...]` is an optional part: it is given. `a|b|c` is a choice: the command runs once for
  every choice (every combination of them), so every format a command documents is run.
- An absolute path (`/var/backups/...`, `/tmp/...`) is taken inside the working folder, and
  `$(date +%F)` is the day the docs' restore names, 2026-12-03.
- The files the examples read are written by `write_inputs` below, small and by hand, each in
  the shape its doc describes (the mapping is the docs' own TOML block; the HL7 feed folders are the
  demo's ADT history, feeds.md's only RX1's messages, the feed its mapping is for;
  `var/models/demo.toml` is calibrated from the demo, as `make run` does; the settings file
  sets `[audit] retention_days`, which `audit prune` needs, as deployment.md says).
- The demo's audit log is given one row (a demo admin's view), as a live system's has.
- `homeflow init-db` and `homeflow restore` (into an empty database only) make a new database:
  each, and the commands after it in its block, run against a new SQLite file, unless the block
  names its own database.
- A comment `# error: TEXT` under a command is its documented refusal: the command must exit 2
  and print TEXT. Any other command must exit 0.
- Runs of the capacity model are shortened to `--reps 10` and `--days 7` (a `home-care tree`
  with a `--model` and its defaults too).
- The few commands not run are in `NOT_RUN`, each with its reason.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import shutil
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from homeflow.cli import app
from homeflow.domain.privacy import Role
from homeflow.store.access.audit import record
from homeflow.store.access.scope import Viewer
from tests.conftest import demo_database
from tests.support import hl7_messages, unmeasured

pytestmark = pytest.mark.one_engine

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PROGRAMS = {"homeflow", ".venv/bin/homeflow"}
DEMO_END = "2026-11-21"  # the README's demo ends here; the examples' dates are around it
BACKUP_DAY = "2026-12-03"  # the day deployment.md's restore names
SHORTER = {"--reps": "10", "--days": "7"}  # the capacity model's runs (no `demo` is run here)
SETTINGS = "homeflow.toml"  # the system's settings (HOMEFLOW_CONFIG), as deployment.md's

# A command's first words -> why it is not run here.
NOT_RUN: dict[tuple[str, ...], str] = {
    ("serve",): "serves the web app until stopped: tests/integration/test_cli_and_server.py "
    "starts it as a process and signs in",
    ("log",): "the event log's partitions are PostgreSQL's (this module runs on SQLite): "
    "tests/integration/test_log_partitions.py runs each `log` command on PostgreSQL, and on SQLite "
    "holds the refusal",
    ("listen",): "an MLLP listener until stopped: tests/integration/test_feeds.py starts it and "
    "sends it the demo's messages",
    ("demo",): "builds a demo of 30 to 120 days (40 s and more; --live never ends): the module's "
    "fixture builds its demo with this command (--days 10 --end 2026-11-21 and --hl7-out), "
    "and tests/integration/test_demo.py and test_cli_and_server.py run --live",
}
# A word anywhere in a command -> why it is not run here.
NOT_RUN_WORDS = {
    "var/trust_nctr.csv": "the national criteria-to-reside series from ../shared (not in the "
    "repository), for a 14-minute backtest",
    "--measure": "forecasts by ward, site, trust and ICB need months of history (the backtest ten "
    "windows of 14 days): the short demo here is refused; bench/bench_forecast.py runs it on a "
    "400-day demo and tests/integration/test_forecast_levels.py its refusals",
    "--against": "compares with a day 13 weeks before, which needs home-care packages in the 8 "
    "weeks before that: five months of demo (80 s an engine) for one option; "
    "tests/integration/test_after_discharge.py runs --against on its 100-day demo",
}
# A command that makes a new database: it and the commands after it in its block run against a
# new SQLite file, unless the block names its own database.
NEW_DATABASE = {"init-db", "restore"}


@dataclass(frozen=True)
class Command:
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    stdin: str | None = None
    stdout_to: str | None = None
    error: str | None = None  # the documented refusal, from a `# error: ...` line under it


@dataclass
class Block:
    where: str  # doc:line
    commands: list[Command] = field(default_factory=list)
    not_run: list[tuple[str, str]] = field(default_factory=list)  # (command, reason)


def _lines(body: str) -> Iterator[str]:
    """The block's lines, `\\`-continued lines joined."""
    pending = ""
    for line in body.splitlines():
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        yield pending + line
        pending = ""
    if pending:
        yield pending


def _choices(token: str) -> list[str]:
    token = token.strip("[]")
    return token.split("|") if "|" in token and token != "|" else [token]


def _variants(words: list[str]) -> list[list[str]]:
    """The words with every optional `[...]` part given, and with each left out in turn."""
    parts: list[tuple[int | None, str]] = []  # (optional group, word)
    group: int | None = None
    groups = 0
    for word in words:
        if word.startswith("["):
            group, groups = groups, groups + 1
        parts.append((group, word))
        if word.endswith("]"):
            group = None
    left_out: list[int | None] = [None, *range(groups)]
    return [[w for g, w in parts if g is None or g != out] for out in left_out]


def _outside(token: str) -> str:
    """An absolute path is taken inside the working folder."""
    return token.lstrip("/") if token.startswith("/") and len(token) > 1 else token


def _commands(line: str, env: dict[str, str]) -> list[Command]:
    """The `homeflow` commands of one line, each choice of `a|b` its own command."""
    line = line.replace("$(date +%F)", BACKUP_DAY)
    tokens = shlex.split(line, comments=True)
    found: list[Command] = []
    stdin: str | None = None
    for chain in _split(tokens, "&&"):
        for segment in _split(chain, "|"):
            words = list(segment)
            local = dict(env)
            while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
                name, value = words.pop(0).split("=", 1)
                local[name] = _outside(value)
            if words[:1] == ["time"]:
                words.pop(0)
            if words[:1] == ["echo"]:
                stdin = " ".join(words[1:]) + "\n"
                continue
            if not words or words[0] not in PROGRAMS:
                stdin = None
                continue
            out = None
            if ">" in words:
                at = words.index(">")
                out, words = _outside(words[at + 1]), words[:at]
            for variant in _variants(words[1:]):
                options = [_choices(_outside(w)) for w in variant]
                for argv in itertools.product(*options):
                    command = Command(argv, tuple(sorted(local.items())), stdin, out)
                    if command not in found:
                        found.append(command)
            stdin = None
    return found


def _split(tokens: list[str], separator: str) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for token in tokens:
        if token == separator:
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


def _reason(argv: tuple[str, ...]) -> str | None:
    for key, reason in NOT_RUN.items():
        if argv[: len(key)] == key:
            return reason
    return next((r for name, r in NOT_RUN_WORDS.items() if name in argv), None)


def doc_blocks() -> list[Block]:
    """Every ```sh block of the docs that has a `homeflow` command in it."""
    blocks: list[Block] = []
    fence = re.compile(r"^```(?:sh|bash|shell)\n(.*?)^```", re.S | re.M)
    for doc in DOCS:
        content = doc.read_text(encoding="utf-8")
        for match in fence.finditer(content):
            line = content[: match.start()].count("\n") + 1
            block = Block(f"{doc.relative_to(ROOT)}:{line}")
            env: dict[str, str] = {}
            for raw in _lines(match.group(1)):
                stripped = raw.strip()
                if stripped.startswith("# error:") and block.commands:
                    last = block.commands[-1]
                    block.commands[-1] = Command(
                        last.argv, last.env, last.stdin, last.stdout_to, stripped[2:]
                    )
                    continue
                if stripped.startswith("export "):
                    name, value = shlex.split(stripped, comments=True)[1].split("=", 1)
                    env[name] = _outside(value)
                    continue
                for command in _commands(raw, env):
                    reason = _reason(command.argv)
                    if reason:
                        block.not_run.append((" ".join(command.argv), reason))
                    else:
                        block.commands.append(_shortened(command))
            if block.commands or block.not_run:
                blocks.append(block)
    return blocks


def _shortened(command: Command) -> Command:
    argv = list(command.argv)
    if argv[:2] == ["home-care", "tree"] and "--model" in argv and "--reps" not in argv:
        argv += ["--reps", "100", "--days", "90"]  # its defaults, to be shortened
    for n, word in enumerate(argv[:-1]):
        if word in SHORTER:
            argv[n + 1] = SHORTER[word]
    return Command(tuple(argv), command.env, command.stdin, command.stdout_to, command.error)


BLOCKS = doc_blocks()


def write_inputs(folder: Path, url: str) -> None:
    """The files the examples read, small and written by hand in the shape their docs give."""
    files = {
        "services.json": '[{"id": "s-1", "name": "Debt advice", "status": "active", '
        '"attributes": [{"id": "s-1-a", "taxonomy_term_id": "money"}]}]\n',
        "services.csv": "id,name,needs\ns-2,Housing advice,housing\n",
        "measure.csv": _weekly("date,value", 24, lambda n: 400 - 3 * n),
        "delayed-bed-days.csv": _weekly("date,value", 24, lambda n: 420 - 2 * n),
        "falls.csv": _weekly("date,value", 12, lambda n: 5 + n % 3),
        "series.csv": "series_id,date,value\n"
        + "".join(f"RX1,{date(2026, 3, 1) + timedelta(days=n)},{20 + n % 7}\n" for n in range(120)),
        "tips.csv": "tip\nAsk about home on the first day\nPlan the discharge with the family\n",
        "llr.csv": LLR_SHEET,
        "census.csv": CENSUS,
        "millbrook-2026-11-22.csv": CENSUS,
        "capacity.csv": "provider,kind,on,commissioned,carers,contracted_hours,delivered_hours,"
        "vacancies,travel_share,start_delay_days\nHC-ACORN,home-care,2026-11-16,40,36,800,760,4,0.2,3\n",
        "episodes.csv": _episodes(url),
        "opel.csv": "org_code,date,parameter,value\nRX1,2026-11-20,ambulance-handover,34\n"
        "RW1,2026-11-20,out-of-area,2\n",
        "north.toml": _docs_mapping(),
    }
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in LLR_SHEET.splitlines():
        sheet.append(row.split(","))
    book.save(folder / "sheet.xlsx")
    # feeds.md's feed is RX1's (its mapping's organisation): the demo's messages from RX1's sites.
    rx1 = [m for m in hl7_messages(folder / "var" / "hl7") if m.split(b"|")[3].startswith(b"RX1")]
    (folder / "feeds" / "2026-11").mkdir(parents=True)
    (folder / "feeds" / "2026-11" / "rx1.hl7").write_bytes(b"\r\n".join(rx1) + b"\r\n")
    (folder / SETTINGS).write_text("[audit]\nretention_days = 3650\n", encoding="utf-8")
    shutil.copytree(ROOT / "examples", folder / "examples")
    (folder / "var" / "models").mkdir(parents=True, exist_ok=True)
    (folder / "var" / "backups" / "homeflow").mkdir(parents=True)
    (folder / "mnt" / "ig-checkpoints" / "homeflow").mkdir(parents=True)


def _weekly(header: str, weeks: int, value: Callable[[int], int]) -> str:
    start = date(2026, 6, 1)
    rows = [f"{start + timedelta(weeks=n)},{value(n)}" for n in range(weeks)]
    return header + "\n" + "\n".join(rows) + "\n"


LLR_SHEET = (
    "Impact change,Where are you now,Status,Spread,Gaps,What needs to be done,When by\n"
    + "".join(f"{n},Work under way,Established,UHL,,Keep going,2017-09-30\n" for n in range(1, 9))
)
CENSUS = (
    "ward,bed,local_id,nhs_number,admitted,edd,discharge_ready_date,delay_reason,pathway,"
    "responsible_agency\nRY101-C1,01,MB001,9434765919,2026-11-18,2026-11-25,,,,\n"
)


def _episodes(url: str) -> str:
    """One episode of reablement after a stay the demo discharged."""
    engine = create_engine(url)
    with engine.connect() as conn:
        spell, discharged = conn.execute(
            text(
                "SELECT spell_key, discharged_at FROM spells WHERE discharged_at IS NOT NULL "
                "ORDER BY spell_key LIMIT 1"
            )
        ).one()
    engine.dispose()
    day = str(discharged)[:10]
    return (
        "episode_id,spell_key,kind,provider,start,planned_end,end,hours_at_start,hours_at_end,"
        f"outcome,at_91_days,referrer\nDOC-1,{spell},reablement,HC-ACORN,{day},,,10,,,,hospital\n"
    )


def _docs_mapping() -> str:
    """The mapping file docs/feeds.md shows, as it shows it."""
    content = (ROOT / "docs" / "feeds.md").read_text(encoding="utf-8")
    found = re.search(r"^```toml\n(\[feed\].*?)^```", content, re.S | re.M)
    assert found, "docs/feeds.md shows a mapping file"
    return found.group(1)


@pytest.fixture(scope="module")
def docs_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A small demo, its ADT history as HL7 files, and the examples' files."""
    folder = tmp_path_factory.mktemp("docs")
    demo = ("--days", "10", "--end", DEMO_END, "--seed", "5")
    with demo_database("sqlite", folder, *demo, hl7=True) as url:
        (folder / "var").mkdir()
        shutil.move(folder / "hl7", folder / "var" / "hl7")
        write_inputs(folder, url)
        # A live system's audit log has rows (views and changes); the demo's has none.
        demo_admin = Viewer("admin@demo.test", "QDE", Role.ADMIN, "docs")
        audit_engine = create_engine(url)
        record(audit_engine, demo_admin, "view", "the docs' examples")
        audit_engine.dispose()
        model = folder / "var" / "models" / "demo.toml"
        calibrate = ("calibrate", "--from", "2026-11-11", "--to", DEMO_END, "--out", str(model))
        calibrated = run(Command(calibrate), url, folder)
        assert calibrated.exit_code == 0, calibrated.output
        yield url, folder


class Ran:
    def __init__(self, exit_code: int, output: str) -> None:
        self.exit_code = exit_code
        self.output = output


def run(command: Command, url: str, folder: Path) -> Ran:
    """The command in this process, as the shell would run it in `folder`, without coverage's
    tracing (it more than doubles a command's time): these tests hold the docs to the
    commands, and each command's code is measured by the tests about it."""
    env = {
        "HOMEFLOW_DATABASE_URL": url,
        "HOMEFLOW_CONFIG": str(folder / SETTINGS),
        # Where the shell's default (var/mappings in the folder it runs in) puts them.
        "HOMEFLOW_MAPPINGS": str(folder / "var" / "mappings"),
        "COLUMNS": "200",
        **dict(command.env),
    }
    if env["HOMEFLOW_DATABASE_URL"].startswith("sqlite:///") and not env[
        "HOMEFLOW_DATABASE_URL"
    ].startswith("sqlite:////"):
        relative = env["HOMEFLOW_DATABASE_URL"].removeprefix("sqlite:///")
        env["HOMEFLOW_DATABASE_URL"] = f"sqlite:///{folder / relative}"
    before = Path.cwd()
    os.chdir(folder)
    try:
        with unmeasured(True):
            result = CliRunner().invoke(app, list(command.argv), input=command.stdin, env=env)
    finally:
        os.chdir(before)
    output = result.stdout + result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        output += "".join(traceback.format_exception(result.exception))
    if command.stdout_to:
        (folder / command.stdout_to).parent.mkdir(parents=True, exist_ok=True)
        (folder / command.stdout_to).write_text(result.stdout, encoding="utf-8")
    return Ran(result.exit_code, output)


def test_the_docs_have_examples_and_few_are_not_run() -> None:
    """The reader found the examples (a broken reader would pass every block), and what is not
    run is the short list above."""
    commands = [c for b in BLOCKS for c in b.commands]
    assert len(BLOCKS) > 30 and len(commands) > 80
    not_run = [(b.where, *n) for b in BLOCKS for n in b.not_run]
    # Seven: the partitions' commands (PostgreSQL's) are the seventh reason.
    assert len({reason for *_, reason in not_run}) <= 7, not_run
    assert {reason for *_, reason in not_run} <= {*NOT_RUN.values(), *NOT_RUN_WORDS.values()}
    assert any(c.error for c in commands)  # the README's refused append
    outcomes = {
        (c.argv[c.argv.index("--level") + 1], c.argv[c.argv.index("--format") + 1])
        for c in commands
        if c.argv[0] == "outcomes" and "--format" in c.argv
    }
    assert len(outcomes) == 9  # outcomes.md's three levels in its three formats


@pytest.mark.parametrize("block", BLOCKS, ids=[b.where for b in BLOCKS])
def test_every_shell_example_in_the_docs_runs(block: Block, docs_demo: tuple[str, Path]) -> None:
    url, folder = docs_demo
    name = block.where.replace("/", "-").replace(":", "-")
    new = f"sqlite:///{folder / ('new-' + name + '.db')}"
    # A block that builds the demo (not run: the module's demo stands for it) makes its
    # tables for that demo: its `init-db` keeps the module's database.
    builds_demo = any(text.split()[0] == "demo" for text, _ in block.not_run)
    for command in block.commands:
        new_database = command.argv[0] in NEW_DATABASE and not (
            command.argv[0] == "init-db" and builds_demo
        )
        if new_database and "HOMEFLOW_DATABASE_URL" not in dict(command.env):
            url = new
        done = run(command, url, folder)
        shown = f"{block.where}: homeflow {' '.join(command.argv)}\n{done.output}"
        if command.error:
            assert done.exit_code == 2, shown
            assert command.error in done.output, shown
        else:
            assert done.exit_code == 0, shown
