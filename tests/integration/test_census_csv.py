"""The CSV census: reconciled into events, idempotent, all or nothing on bad input."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from homeflow.demo import system
from homeflow.domain.errors import InvalidInput
from homeflow.ingest.feeds import receive_census
from homeflow.store import schema as t
from homeflow.store.queries import census
from homeflow.store.registry import save_registry

HEADER = "ward,bed,local_id,nhs_number,admitted,edd,discharge_ready_date,delay_reason,pathway,responsible_agency\n"
MONDAY = HEADER + (
    "RY101-C1,01,MB001,9434765919,2026-03-20,2026-04-02,,,,\n"
    "RY101-C1,02,MB002,,2026-03-25,,2026-03-29,E,P1,SC\n"
    "RY101-C2,05,MB004,,2026-03-28,,,,,\n"
)
TUESDAY = HEADER + (
    "RY101-C1,01,MB001,9434765919,2026-03-20,2026-04-03,2026-03-30,CAP05,P1,\n"
    "RY101-C2,05,MB004,,2026-03-28,,,,,\n"
    "RY101-C2,06,MB003,,2026-03-30,,,,,\n"
)


@pytest.fixture
def registry(engine: Engine) -> Engine:
    with engine.begin() as conn:
        save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
    return engine


def ward(engine: Engine, day: date, code: str) -> dict[str, int | str]:
    return next(r.as_dict() for r in census(engine, day) if r.ward_code == code)


def test_a_census_admits_the_new_discharges_the_missing_and_updates_the_rest(
    registry: Engine,
) -> None:
    first = receive_census(registry, MONDAY, date(2026, 3, 30))
    assert len(first["admitted"]) == 3 and first["discharged"] == [] and first["updated"] == []
    second = receive_census(registry, TUESDAY, date(2026, 3, 31))
    assert second["admitted"] == ["RY1:csv:RY101:MB003:2026-03-30"]
    assert second["discharged"] == ["RY1:csv:RY101:MB002:2026-03-25"]
    assert second["updated"] == ["RY1:csv:RY101:MB001:2026-03-20"]
    monday = ward(registry, date(2026, 3, 29), "RY101-C1")
    assert monday["occupied"] == 2 and monday["nctr"] == 1  # MB002 ready since the 29th
    c1 = ward(registry, date(2026, 3, 30), "RY101-C1")
    assert (
        c1["discharges"] == 1 and c1["occupied"] == 1 and c1["nctr"] == 1
    )  # MB001 ready on the 30th
    with registry.connect() as conn:
        row = conn.execute(
            select(t.spells).where(t.spells.c.spell_key == "RY1:csv:RY101:MB001:2026-03-20")
        ).one()
    assert (
        row.delay_reason == "CAP05"
        and row.pathway == "P1"
        and str(row.expected_discharge_date) == "2026-04-03"
    )


def test_loading_the_same_census_twice_changes_nothing(registry: Engine) -> None:
    receive_census(registry, MONDAY, date(2026, 3, 30))
    with registry.connect() as conn:
        before = conn.execute(select(func.count()).select_from(t.events)).scalar_one()
    again = receive_census(registry, MONDAY, date(2026, 3, 30))
    assert again == {"admitted": [], "discharged": [], "updated": []}
    with registry.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.events)).scalar_one() == before


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("RY101-C9,01,X1,,2026-03-20,,,,,", "line 3, ward"),
        ("RY101-C1,01,X1,1234567890,2026-03-20,,,,,", "line 3, nhs_number"),
        ("RY101-C1,01,X1,,20/03/2026,,,,,", "line 3, admitted"),
        ("RY101-C1,01,X1,,2026-03-20,,2026-03-25,ZZ9,,", "line 3, delay_reason"),
        ("RY101-C1,01,X1,,2026-03-20,,,,P5,", "line 3, pathway"),
        ("RY101-C1,01,MB001,,2026-03-20,,,,,", "line 3, local_id"),
    ],
)
def test_a_bad_row_refuses_the_whole_file_naming_line_and_column(
    registry: Engine, row: str, message: str
) -> None:
    receive_census(registry, MONDAY, date(2026, 3, 30))
    with registry.connect() as conn:
        before = conn.execute(select(func.count()).select_from(t.events)).scalar_one()
    bad = HEADER + "RY101-C1,01,MB001,9434765919,2026-03-20,2026-04-02,,,,\n" + row + "\n"
    with pytest.raises(InvalidInput) as caught:
        receive_census(registry, bad, date(2026, 3, 31))
    assert message in caught.value.reason
    with registry.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.events)).scalar_one() == before


def test_a_file_without_a_required_column_is_refused(registry: Engine, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        receive_census(registry, "ward,bed\nRY101-C1,01\n", date(2026, 3, 31))
    assert caught.value.field == "local_id"
