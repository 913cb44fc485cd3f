"""Mental health delayed discharge periods as CSV: what a trust's MHSDS extract of table MHS518
(Clinically Ready for Discharge) gives, one row a period, for services whose feed sends no ZDD.

    org,visit_number,period_id,start_date,end_date,reason,attributable_to

`org` issued the visit number (the hospital provider spell number, PV1-19 in its ADT feed);
`period_id` is the extract's identifier of the period (MHS518's record id), so a later extract
with the same period ended corrects it; dates are YYYY-MM-DD, the end blank while the patient is
still delayed; `reason` is the MHSDS v6 code (01-37, 98) and `attributable_to` 04, 05 or 06.
A row that says what is already recorded changes nothing; the whole file is taken or none of it.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from sqlalchemy import Engine

from homeflow.domain import clock
from homeflow.domain import events as ev
from homeflow.domain.clock import parse_date
from homeflow.domain.errors import InvalidInput
from homeflow.domain.organisations import spell_key
from homeflow.store.eventlog import append_in, lock_writers
from homeflow.store.mh_delays import known_spells

COLUMNS = (
    "org",
    "visit_number",
    "period_id",
    "start_date",
    "end_date",
    "reason",
    "attributable_to",
)


class PeriodProblems(InvalidInput):
    """Every bad cell in the file, each naming its line and column."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("file", "; ".join(problems))
        self.problems = problems


def read_periods(text: str) -> list[tuple[int, str, ev.MhDelayRecorded]]:
    """(line, spell key, period) for each row, or every row's problem at once."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(missing[0], "column is missing from the periods file")
    found, problems = [], []
    for number, row in enumerate(reader, start=2):
        cell = {k: (v or "").strip() for k, v in row.items() if k}
        try:
            key = spell_key(cell["org"], cell["visit_number"])
            period = ev.MhDelayRecorded(
                cell["period_id"],
                _date("start_date", cell["start_date"]) or _missing("start_date"),
                cell["reason"],
                cell["attributable_to"],
                _date("end_date", cell["end_date"]),
            )
        except InvalidInput as problem:
            field = "org" if problem.field == "org_code" else problem.field
            problems.append(f"line {number}, {field}: {problem.reason}")
            continue
        found.append((number, key, period))
    if problems:
        raise PeriodProblems(problems)
    return found


def receive_periods(engine: Engine, text: str, source: str = "csv-mh-delays") -> dict[str, int]:
    """Take the file's periods into the log, all or nothing: how many were new and how many
    were already recorded."""
    periods = read_periods(text)
    now = clock.now()
    with engine.begin() as conn:
        lock_writers(conn)
        known = known_spells(conn, {key for _, key, _ in periods})
        unknown = [
            f"line {n}, visit_number: no stay {key}" for n, key, _ in periods if key not in known
        ]
        if unknown:
            raise PeriodProblems(unknown)
        made = [
            ev.Event(
                key=f"{source}:{key}:{_fingerprint(p)}",
                source=source,
                # A microsecond a line: a later row of the same period stands.
                occurred_at=now + timedelta(microseconds=n),
                received_at=now,
                spell_key=key,
                payload=p,
            )
            for n, key, p in periods
        ]
        result = append_in(conn, made)
        if result.rejected:
            line = {e.key: n for e, (n, _, _) in zip(made, periods, strict=True)}
            raise PeriodProblems(
                [f"line {line[r.key]}, {r.field}: {r.reason}" for r in result.rejected]
            )
    return {"recorded": len(result.applied), "already recorded": len(result.duplicates)}


def _fingerprint(p: ev.MhDelayRecorded) -> str:
    # The same row again is the same event (a duplicate); a changed row is a new one.
    return f"{p.period_id}:{p.start_date}:{p.end_date or ''}:{p.reason}:{p.attributable_to}"


def _date(column: str, text: str) -> date | None:
    return parse_date(column, text) if text else None


def _missing(column: str) -> date:
    raise InvalidInput(column, "is required")
