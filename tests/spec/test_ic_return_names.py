"""The intermediate care return's spec reader fails on a figure homeflow does not give (a
misspelt metric, a service a provider does not hold, a day outside the week), and reads a real
zero as zero."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeflow.store.registry import save_registry
from tests.conftest import fresh_database
from tests.spec.figures_ic_return import read
from tests.spec.test_cases import ORGANISATIONS, SITES, WARDS

BEDS = "RY1|Bed-based: community beds"


@pytest.mark.parametrize(
    "name",
    [
        f"{BEDS}|2026-03-08|Patients discharged|Daily|Totl",
        f"{BEDS}|2026-03-09|Patients discharged|Daily|Total",  # the next week's Monday
        "RY1|Bed-based: discharge to assess beds|2026-03-08|Patients in the service|Weekly snapshot|Total",
        "RX1|Bed-based: community beds|2026-03-08|Patients in the service|Weekly snapshot|Total",
    ],
)
def test_a_figure_the_return_does_not_give_fails(name: str, tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as engine:
        with engine.begin() as conn:
            save_registry(conn, ORGANISATIONS, SITES, WARDS)
        with pytest.raises(AssertionError, match="has no figure"):
            read(engine, "2026-03-08", {name: 0})


def test_a_real_zero_reads_as_zero(tmp_path: Path) -> None:
    wanted = {
        f"{BEDS}|2026-03-02|Patients no longer meeting the criteria to reside|Daily|Total": 0,
        f"{BEDS}|2026-03-08|Additional bed days|Weekly snapshot|Total": 0,
        f"{BEDS}|2026-03-08|Patients leaving the service|Length of stay|42 days or more": 0,
    }
    with fresh_database("sqlite", tmp_path) as engine:
        with engine.begin() as conn:
            save_registry(conn, ORGANISATIONS, SITES, WARDS)
        assert read(engine, "2026-03-08", wanted) == wanted
