"""Scenarios built and edited in the browser, kept as TOML files beside those an analyst
writes: a form's changes become a scenario file, checked exactly as a file is (it must read as
a scenario and every service it names must be in the model) before it is saved. Only the
folder's system's planners save or delete one (domain/planning), each change audited."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import Engine

from homeflow.domain.clock import parse_day
from homeflow.domain.errors import InvalidInput
from homeflow.sim.model import PATHWAYS, Model, parse_model
from homeflow.sim.scenarios import Scenario, parse_scenario, with_scenario
from homeflow.store import simulation_runs as runs
from homeflow.store.access import Conflict, NotFound, Viewer

FILE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}\.toml$")  # what the builder names files
# A file already in the folder, as an analyst named it: no folders, no hidden files.
EXISTING = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.toml$")
MAX_SCENARIO_CHARS = 100_000


def file_name(text: str) -> str:
    """A scenario's file name from what was typed: lower case, digits and hyphens, .toml."""
    stem = re.sub(r"[^a-z0-9]+", "-", text.strip().lower().removesuffix(".toml")).strip("-")
    name = f"{stem[:60]}.toml"
    if not FILE_NAME.match(name):
        raise InvalidInput("file", f"{text!r} makes no file name: use letters and digits")
    return name


def load_model(folder: Path, model_file: str) -> Model:
    path = folder / model_file
    if not EXISTING.match(model_file) or not path.is_file():
        raise InvalidInput("model", f"{model_file!r} is not a model file in {folder}")
    return parse_model(path.read_text("utf-8"), model_file)


def checked(text: str, model: Model) -> Scenario:
    """The scenario a text describes, refused as a file would be."""
    if len(text) > MAX_SCENARIO_CHARS:
        raise InvalidInput(
            "scenario", f"is {len(text):,} characters; at most {MAX_SCENARIO_CHARS:,}"
        )
    scenario = parse_scenario(text)
    with_scenario(model, scenario)
    return scenario


def save(
    engine: Engine,
    viewer: Viewer,
    system: str | None,
    folder: Path,
    name: str,
    text: str,
    model: Model,
    replace_existing: bool,
    opened: str | None = None,
) -> Scenario:
    """Keep the scenario as scenarios/`name` once it checks against the model, if `viewer`
    may change `system`'s scenarios; audited with the change. `opened`: the version of the
    file the editor was opened at; Conflict if it has changed since."""
    if not EXISTING.match(name):
        raise InvalidInput("file", f"{name!r} is not a scenario file name")
    scenario = checked(text, model)
    target = folder / "scenarios" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    # A draft of its own (hidden, not *.toml: never listed), so two saves never share one.
    written = target.with_name(f".{name}.{secrets.token_hex(6)}.new")
    written.write_text(text, "utf-8")

    def put() -> None:
        # Checked in the change's transaction (writers queue there), so two new files of the
        # same name cannot both be made.
        if target.exists() and not replace_existing:
            raise InvalidInput("file", f"{name} already exists: open it to change it")
        now = target.read_text("utf-8") if target.exists() else ""
        if opened is not None and version_of(now) != opened:
            raise Conflict(f"scenario file {name}", now, None, None)
        written.replace(target)  # whole or not at all

    how = "changed" if replace_existing else "made"
    try:
        runs.change_file(engine, viewer, system, f"scenario file {name} {how}", put)
    finally:
        written.unlink(missing_ok=True)  # refused: the draft goes, the file stays as it was
    return scenario


def version_of(text: str) -> str:
    """What the editor sends back to say which text it changed."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def delete(engine: Engine, viewer: Viewer, system: str | None, folder: Path, name: str) -> None:
    """Take scenarios/`name` away, if `viewer` may change `system`'s scenarios; audited."""
    target = folder / "scenarios" / name
    if not EXISTING.match(name) or not target.is_file():
        raise NotFound(f"scenario {name}")
    runs.change_file(engine, viewer, system, f"scenario file {name} deleted", target.unlink)


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def _percent(form: Mapping[str, str], field: str) -> float | None:
    text = form.get(field, "").strip().removesuffix("%")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(field, f"{text!r} is not a number (a % change, say -5 or 8)") from None
    if value <= -100:
        raise InvalidInput(field, "cannot take away 100% or more")
    return 1 + value / 100


def _share(field: str, text: str) -> float:
    """A pathway's share typed as a percentage, as a fraction."""
    if not text:
        return 0.0
    try:
        value = float(text.removesuffix("%"))
    except ValueError:
        raise InvalidInput(field, f"{text!r} is not a percentage") from None
    if not 0 <= value <= 100:
        raise InvalidInput(field, "must be from 0 to 100%")
    return value / 100


def scenario_text(form: Mapping[str, str], model: Model) -> str:
    """The scenario file a builder form describes. Per service: demand, length of stay and
    capacity as % changes (capacity from a day, to a day if given), and a pathway mix in %;
    new services and routes as TOML, added as typed."""
    name = form.get("name", "").strip()
    if not name:
        raise InvalidInput("name", "is required")
    lines = [f"name = {_quoted(name)}"]
    overall = _percent(form, "demand")
    if overall is not None:
        lines.append(f"demand = {overall:g}")
    demand, stay, mix, capacity = [], [], [], []
    for n, service in enumerate(model.services):
        key = _quoted(service.name)
        if (factor := _percent(form, f"demand-{n}")) is not None:
            demand.append(f"{key} = {factor:g}")
        if (factor := _percent(form, f"stay-{n}")) is not None:
            stay.append(f"{key} = {factor:g}")
        shares = {p: form.get(f"mix-{n}-{p}", "").strip() for p in PATHWAYS}
        if any(shares.values()):
            parts = [f"{p} = {_share(f'mix-{n}-{p}', text):g}" for p, text in shares.items()]
            mix.append(f"{key} = {{ {', '.join(parts)} }}")
        if (factor := _percent(form, f"capacity-{n}")) is not None:
            start = parse_day(f"capacity-{n}-from", form.get(f"capacity-{n}-from", ""))
            end_text = form.get(f"capacity-{n}-to", "").strip()
            end = (
                f", to = {parse_day(f'capacity-{n}-to', end_text).isoformat()}" if end_text else ""
            )
            capacity.append(
                f"[[capacity]]\nservice = {key}\nfrom = {start.isoformat()}{end}\nfactor = {factor:g}"
            )
    for table, rows in (
        ("demand_by_service", demand),
        ("length_of_stay", stay),
        ("pathway_mix", mix),
    ):
        if rows:
            lines += ["", f"[{table}]", *rows]
    for block in capacity:
        lines += ["", block]
    extra = form.get("extra", "").strip()
    if extra:
        lines += ["", extra]
    return "\n".join(lines) + "\n"
