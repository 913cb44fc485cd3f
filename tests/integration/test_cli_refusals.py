"""The command line's error paths that need a database to be refused (an organisation, a
system, a framework, a KPI or a token that is not there; a file read against the registry),
held like tests/unit/test_cli_errors.py's: one `error: FIELD: reason` line, exit code 2, the
text as typed, and nothing stored. The database holds the demo's registry, so that what is
refused is refused for the text, not for an empty registry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, inspect, select, table

from homeflow.store import schema as t
from tests.conftest import ENGINES, fresh_database, url_of
from tests.support import homeflow
from tests.unit.test_cli_errors import (
    NOT_CSV,
    NOT_TOML,
    Case,
    check,
    checkpoints,
    file,
    fixed,
    invalid,
)

D = "2026-03-31"
EPISODES = fixed("x\n1\n", "person_id,provider\n[bold]1[/bold],<b>x</b>\n", "\x00")

CASES: dict[str, Case] = {
    "assessment export --framework": Case(
        lambda x, f: ["assessment", "export", f"--framework={x}", "--system=QDE", f"--date={D}",
                      "--out=o.csv"], invalid(), "--framework"),
    "assessment export --system": Case(
        lambda x, f: ["assessment", "export", "--framework=hicm-2015", f"--system={x}",
                      f"--date={D}", "--out=o.csv"], invalid(), ""),
    "assessment import PATH": Case(
        lambda x, f: ["assessment", "import", file(f, "a.csv", x), "--framework=hicm-2015",
                      "--system=QDE", f"--date={D}"], NOT_CSV, "", echoed=False),
    "assessment import --framework": Case(
        lambda x, f: ["assessment", "import", file(f, "a.csv", ""), f"--framework={x}",
                      "--system=QDE", f"--date={D}"], invalid(), "--framework"),
    "assessment import --system": Case(
        lambda x, f: ["assessment", "import", file(f, "a.csv", ""), "--framework=hicm-2015",
                      f"--system={x}", f"--date={D}"], invalid(), ""),
    "audit checkpoint --to": Case(
        lambda x, f: ["audit", "checkpoint", f"--to={checkpoints(f, x)}"],
        fixed("{not json", "[]", "{}", "<b>x</b>"), "--to", echoed=False),
    "audit prune --checkpoints": Case(
        lambda x, f: ["audit", "prune", "--older-than-days=30", f"--checkpoints={checkpoints(f, x)}"],
        fixed("{not json", "[]", "{}", "<b>x</b>"), "--checkpoints", echoed=False),
    "audit verify --checkpoints": Case(
        lambda x, f: ["audit", "verify", f"--checkpoints={checkpoints(f, x)}"],
        fixed("{not json", "[]", "{}", "<b>x</b>"), "--checkpoints", echoed=False),
    "census --org": Case(lambda x, f: ["census", f"--date={D}", f"--org={x}"], invalid(),
                         "--org"),
    "directory import PATH": Case(
        lambda x, f: ["directory", "import", file(f, "d.json", x)],
        fixed("[{}]", "{", '[{"id": "[bold]x"}]', "<b>x</b>"), "", echoed=False),
    "framework add --system": Case(
        lambda x, f: ["framework", "add", "local-tips", f"--tips={file(f, 't.csv', 'tip' + chr(10) + 'a')}",
                      f"--system={x}", "--title=Tips"], invalid(), "--system"),
    "home-care tree --model": Case(
        lambda x, f: ["home-care", "tree", f"--date={D}", f"--model={file(f, 'm.toml', x)}"],
        NOT_TOML, "", echoed=False),
    "ingest capacity PATH": Case(
        lambda x, f: ["ingest", "capacity", file(f, "c.csv", x)], EPISODES, "", echoed=False),
    "ingest census PATH": Case(
        lambda x, f: ["ingest", "census", file(f, "c.csv", x), f"--date={D}"], EPISODES, "",
        echoed=False),
    "ingest mh-delays PATH": Case(
        lambda x, f: ["ingest", "mh-delays", file(f, "m.csv", x)], EPISODES, "", echoed=False),
    "ingest episodes PATH": Case(
        lambda x, f: ["ingest", "episodes", file(f, "e.csv", x)], EPISODES, "", echoed=False),
    "opel --org": Case(lambda x, f: ["opel", f"--date={D}", f"--org={x}"], invalid(), "--org"),
    "opel submit PATH": Case(
        lambda x, f: ["opel", "submit", file(f, "o.csv", x)], EPISODES, "", echoed=False),
    "kpi NAME": Case(
        lambda x, f: ["kpi", f"--from={D}", f"--to={D}", "--out=o.csv", "--", x],
        invalid().filter(lambda s: s != "list"), "NAME"),
    "series import --system": Case(
        lambda x, f: ["series", "import", file(f, "s.csv", "date,value\n2026-03-30,1\n"),
                      "--id=falls", f"--system={x}", "--title=Falls", "--better=lower"],
        invalid(), ""),
    "simulate MODEL_PATH": Case(
        lambda x, f: ["simulate", file(f, "m.toml", x), "--out=r.parquet", "--start=empty"],
        NOT_TOML, "", echoed=False),
    "simulate --scenario": Case(
        lambda x, f: ["simulate", "model.toml", f"--scenario={file(f, 's.toml', x)}",
                      "--out=r.parquet", "--start=empty"], NOT_TOML, "", echoed=False),
    "ic-return --org": Case(
        lambda x, f: ["ic-return", "--week-ending=2026-03-29", "--out=o.csv", f"--org={x}"],
        invalid(), "--org"),
    "delays internal --place": Case(
        lambda x, f: ["delays", "internal", f"--date={D}", "--level=site", f"--place={x}"],
        invalid(), "--place"),
    "delays longest --place": Case(
        lambda x, f: ["delays", "longest", f"--date={D}", "--level=ward", f"--place={x}"],
        invalid(), "--place"),
    "sitrep --org": Case(lambda x, f: ["sitrep", f"--date={D}", "--out=o.csv", f"--org={x}"],
                         invalid(), "--org"),
    "token create --org": Case(lambda x, f: ["token", "create", f"--org={x}"], invalid(),
                               "--org"),
    "token revoke TOKEN_ID": Case(lambda x, f: ["token", "revoke", "--", x], invalid(),
                                  "TOKEN_ID", echoed=False),
    "user add EMAIL": Case(
        lambda x, f: ["user", "add", "--org=RX1", "--role=analyst", "--password-stdin", "--", x],
        invalid().filter(lambda s: "@" not in s), "EMAIL", echoed=False),  # lower-cased
    "user add --org": Case(
        lambda x, f: ["user", "add", "a@b.test", f"--org={x}", "--role=analyst",
                      "--password-stdin"], invalid(), "--org"),
    "user add --role": Case(
        lambda x, f: ["user", "add", "a@b.test", "--org=RX1", f"--role={x}", "--password-stdin"],
        invalid(), "--role"),
}  # fmt: skip


@pytest.fixture(scope="module", params=ENGINES)
def registry(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    with fresh_database(request.param, tmp_path_factory.mktemp("refusals")) as engine:
        assert homeflow(url_of(engine), "registry", "load-demo").returncode == 0
        yield engine


# What a read may extend (the census reaching a new day): derived, not stored.
DERIVED = {projection.name for projection in t.PROJECTIONS}


def _rows(engine: Engine) -> dict[str, int]:
    """Rows per stored table: the events, audit log, users, tokens, registry, ..."""
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names()) - DERIVED
        return {n: conn.scalar(select(func.count()).select_from(table(n))) or 0 for n in names}


@pytest.mark.parametrize("path", sorted(CASES))
@settings(max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_error_path_needing_a_database_names_the_problem(
    path: str,
    data: st.DataObject,
    registry: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = CASES[path]
    text = data.draw(case.text)
    monkeypatch.chdir(tmp_path)
    before = _rows(registry)
    done = homeflow(url_of(registry), *case.run(text, tmp_path), stdin="a long enough password\n")
    check(case, text, done)
    assert _rows(registry) == before
