"""A morning census as CSV, for services without a feed: reconciled into events.

One row per current inpatient. Rows new since the last census are admitted, patients no
longer listed are discharged (before midnight at the start of the census day), and changes
of ward, bed, expected date of discharge, discharge ready date, delay reason or pathway
become the events staff would have recorded. Every key is made from the site, the census
day and the patient's local id, so loading the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from homeflow.domain import codes
from homeflow.domain import events as ev
from homeflow.domain.clock import SYSTEM_ZONE, parse_date
from homeflow.domain.errors import InvalidInput
from homeflow.domain.organisations import (
    OrganisationType,
    check_identifier,
    check_local_authority,
    checked_nhs_number,
    patient_key,
    spell_key,
)

REQUIRED = (
    "ward",
    "bed",
    "local_id",
    "nhs_number",
    "admitted",
    "edd",
    "discharge_ready_date",
    "delay_reason",
    "pathway",
)


@dataclass(frozen=True, slots=True)
class CensusLine:
    line: int
    org: str
    site: str
    ward: str
    bed: str | None
    local_id: str
    nhs_number: str | None
    admitted: date
    edd: date | None
    discharge_ready_date: date | None
    delay: ev.DelayReasonSet | None
    pathway: str | None
    family_name: str
    given_name: str
    birth_date: date | None
    local_authority: str | None

    # The stay's key: the trust of its site, then the site, hospital number and day.
    spell_key: str


@dataclass(frozen=True, slots=True)
class StoredSpell:
    """What the store holds for an open census spell (read from the projections)."""

    spell_key: str
    ward: str | None
    bed: str | None
    edd: date | None
    discharge_ready_date: date | None
    delay_reason: str | None
    dtoc_reason: str | None
    pathway: str | None


class CensusProblems(InvalidInput):
    """Every bad cell in the file, each naming line and column."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("census", "; ".join(problems))
        self.problems = problems


def read_census(
    text: str,
    site_of_ward: dict[str, str],
    org_of_ward: dict[str, str],
    organisation_types: Mapping[str, OrganisationType] | None = None,
) -> list[CensusLine]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(missing[0], "column is missing from the census file")
    lines: list[CensusLine] = []
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for number, row in enumerate(reader, start=2):
        try:
            line = _line(number, row, site_of_ward, org_of_ward, organisation_types or {})
        except InvalidInput as problem:
            problems.append(f"line {number}, {problem.field}: {problem.reason}")
            continue
        if (line.site, line.local_id) in seen:
            problems.append(f"line {number}, local_id: {line.local_id!r} is listed twice")
        if lines and line.org != lines[0].org:
            # A census is one organisation's: its patients, its wards, and those of its
            # sites no longer listed are discharged.
            problems.append(
                f"line {number}, ward: {line.ward!r} belongs to {line.org}, not to "
                f"{lines[0].org} (the organisation of the file's first ward)"
            )
            continue
        seen.add((line.site, line.local_id))
        lines.append(line)
    if problems:
        raise CensusProblems(problems)
    return lines


def _line(
    number: int,
    row: dict[str, str],
    site_of_ward: dict[str, str],
    org_of_ward: dict[str, str],
    organisation_types: Mapping[str, OrganisationType],
) -> CensusLine:
    cell = {k: (v or "").strip() for k, v in row.items() if k}
    ward = cell["ward"]
    if ward not in site_of_ward:
        raise InvalidInput("ward", f"{ward!r} is not a ward in the registry")
    check_identifier("local_id", cell["local_id"])
    delay = None
    if cell["delay_reason"]:
        reason = cell["delay_reason"]
        if reason in codes.nctr_delay_reasons():
            delay = ev.DelayReasonSet(reason=reason)
        elif reason in codes.dtoc_reasons():
            agency = cell.get("responsible_agency") or ""
            if not agency:
                raise InvalidInput("responsible_agency", "required with a DToC delay reason")
            delay = ev.DelayReasonSet(dtoc_reason=reason, responsible_agency=agency)
        else:
            raise InvalidInput(
                "delay_reason", f"{reason!r} is not a sitrep (e.g. HP06) or DToC (e.g. E) reason"
            )
    pathway = cell["pathway"] or None
    if pathway:
        codes.discharge_pathways().check("pathway", pathway)
    ready = _date("discharge_ready_date", cell["discharge_ready_date"])
    if delay and not ready:
        raise InvalidInput("delay_reason", "a delay reason needs a discharge ready date")
    admitted = _required_date("admitted", cell["admitted"])
    visit = f"csv:{site_of_ward[ward]}:{cell['local_id']}:{admitted.isoformat()}"
    line = CensusLine(
        line=number,
        org=org_of_ward[ward],
        site=site_of_ward[ward],
        ward=ward,
        bed=cell["bed"] or None,
        local_id=cell["local_id"],
        nhs_number=checked_nhs_number(cell["nhs_number"], "nhs_number")
        if cell["nhs_number"]
        else None,
        admitted=admitted,
        edd=_date("edd", cell["edd"]),
        discharge_ready_date=ready,
        delay=delay,
        pathway=pathway,
        family_name=cell.get("family_name", ""),
        given_name=cell.get("given_name", ""),
        birth_date=_date("birth_date", cell.get("birth_date", "")),
        local_authority=check_local_authority(
            "local_authority", cell["local_authority"], organisation_types
        )
        if cell.get("local_authority")
        else None,
        spell_key=spell_key(org_of_ward[ward], visit, "local_id"),
    )
    return line


def _date(column: str, text: str) -> date | None:
    if not text:
        return None
    return parse_date(column, text)


def _required_date(column: str, text: str) -> date:
    found = _date(column, text)
    if found is None:
        raise InvalidInput(column, "is required")
    return found


def _admission(line: CensusLine, start: datetime) -> tuple[datetime, ev.Admitted]:
    """A patient new to the census, admitted on the day the line gives (at most ten years
    before the census)."""
    admitted_at = max(
        datetime.combine(line.admitted, time(0), SYSTEM_ZONE), start - timedelta(days=3650)
    )
    return admitted_at, ev.Admitted(
        patient_key(line.org, line.nhs_number, line.site, line.local_id, "local_id"),
        line.site,
        line.ward,
        line.bed,
        ev.AdmissionMethod.OTHER,
        nhs_number=line.nhs_number,
        local_id=line.local_id,
        family_name=line.family_name,
        given_name=line.given_name,
        birth_date=line.birth_date,
        local_authority=line.local_authority,
    )


def _changes(line: CensusLine, before: StoredSpell) -> list[tuple[str, int, ev.Payload]]:
    """What the line says that the stored spell does not: (kind, seconds after the census
    starts, payload) for each."""
    found: list[tuple[str, int, ev.Payload]] = []
    if (line.ward, line.bed) != (before.ward, before.bed):
        found.append(("moved", 0, ev.Transferred(line.ward, line.bed)))
    if line.edd != before.edd and line.edd is not None:
        found.append(("edd", 0, ev.ExpectedDischargeDateSet(line.edd)))
    if line.discharge_ready_date != before.discharge_ready_date:
        assessed = (
            ev.CriteriaToResideAssessed(False, discharge_ready_date=line.discharge_ready_date)
            if line.discharge_ready_date
            else ev.CriteriaToResideAssessed(True)
        )
        found.append(("criteria", 0, assessed))
    if line.delay is not None and (line.delay.reason or line.delay.dtoc_reason) not in (
        before.delay_reason,
        before.dtoc_reason,
    ):
        found.append(("delay", 1, line.delay))
    if line.pathway and line.pathway != before.pathway:
        found.append(("pathway", 0, ev.PathwayAssigned(line.pathway)))
    return found


def reconcile(
    lines: list[CensusLine],
    stored: dict[str, StoredSpell],
    day: date,
    source: str,
    received_at: datetime,
) -> tuple[list[ev.Event], dict[str, list[str]]]:
    """The events that bring the store in line with the census, and what changed (spell keys)."""
    start = datetime.combine(day, time(0), SYSTEM_ZONE)
    changes: dict[str, list[str]] = {"admitted": [], "discharged": [], "updated": []}
    made: list[ev.Event] = []

    def add(line_key: str, kind: str, at: datetime, spell_key: str, payload: ev.Payload) -> None:
        made.append(
            ev.Event(
                f"{line_key}:{day.isoformat()}:{kind}", source, at, received_at, spell_key, payload
            )
        )

    for line in lines:
        key = line.spell_key
        before = stored.get(key)
        line_key = f"csv:{line.site}:{line.local_id}"
        if before is None:
            admitted_at, admitted = _admission(line, start)
            add(line_key, "admitted", admitted_at, key, admitted)
            changes["admitted"].append(key)
            before = StoredSpell(key, line.ward, line.bed, None, None, None, None, None)
        found = _changes(line, before)
        for kind, seconds, payload in found:
            add(line_key, kind, start + timedelta(seconds=seconds), key, payload)
        if found and key not in changes["admitted"]:
            changes["updated"].append(key)
    listed = {line.spell_key for line in lines}
    for key in sorted(set(stored) - listed):
        # Gone since the last census: discharged before the midnight this census starts at.
        add(
            key,
            "discharged",
            start - timedelta(minutes=1),
            key,
            ev.Discharged(destination="not recorded"),
        )
        changes["discharged"].append(key)
    return made, changes
