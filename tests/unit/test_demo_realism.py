"""The demo holds up beside real trusts (issue 29, finding 16): the generator's figures an NHS
reader checks, each inside the range real trusts publish (demo/realism.py, the same checks
scripts/compare_demo_with_real.py reports). One short simulation (no database), shared by the
module, its discharges followed by the demo's support after discharge."""

from __future__ import annotations

from datetime import date

import pytest

from homeflow.demo import realism
from homeflow.demo.after_discharge import capacity_returns, support_episodes
from homeflow.demo.generator import DemoSystem

END = date(2026, 3, 31)  # tests/support.py DEMO_END, SHORT_DEMO's seed


@pytest.fixture(scope="module")
def sim() -> DemoSystem:
    sim = DemoSystem(5, 14, END)
    sim.run()
    return sim


@pytest.fixture(scope="module")
def found(sim: DemoSystem) -> list[realism.Found]:
    return realism.measures(sim)


def _levels(found: list[realism.Found], measure: str) -> set[str]:
    return {f.level for f in found if f.measure == measure}


def test_every_measure_is_inside_real_trusts_range(found: list[realism.Found]) -> None:
    assert realism.outside(found) == []


def test_measures_are_taken_at_ward_site_and_system_level(found: list[realism.Found]) -> None:
    measured = {f.measure for f in found}
    assert measured | set(realism.SUPPORT_MEASURES) == set(realism.RANGES)
    assert _levels(found, "site occupancy %") == {"RX101", "RX102", "RX201"}
    assert len(_levels(found, "adult ward occupancy %")) == 50
    assert _levels(found, "delayed 14+ days share %") == {"system", "RX101", "RX102", "RX201"}
    assert len(_levels(found, "elderly-care median age")) == 6
    # The discharge ready date measures as `homeflow drd --by trust` reads them, and England's.
    assert _levels(found, "discharged on their DRD %") == {"system", "RX1", "RX2"}
    assert _levels(found, "days after DRD, 1+ day delays") == {"system", "RX1", "RX2"}


def test_support_after_discharge_mostly_ends_by_its_plan_and_beds_add_up(sim: DemoSystem) -> None:
    episodes = support_episodes(realism.discharges(sim, sim.org_of_site), 5, END)
    found = realism.support_measures(episodes, capacity_returns(episodes, 5, END))
    assert len(found) == len(realism.SUPPORT_MEASURES)
    assert realism.outside(found) == []
