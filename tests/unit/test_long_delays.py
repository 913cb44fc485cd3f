"""The longest and internal delays' rules beside the spec case: which reasons are internal, the
Measures page's daily counts against the lists they chart, and the local targets by pathway."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from homeflow.domain import codes
from homeflow.domain.errors import InvalidInput
from homeflow.domain.flow import snapshot_at
from homeflow.domain.long_delays import (
    NO_PATHWAY,
    DelayKind,
    daily_counts,
    delays,
    internal_reasons,
    is_internal,
)
from homeflow.domain.spell import fold_spell
from homeflow.services.delay_measures import delay_targets
from homeflow.services.measures import kpi_targets
from tests.spec.test_cases import read_case

CASE = Path(__file__).parents[1] / "spec" / "cases" / "longest_and_internal_delays.toml"


def test_the_hospital_process_family_and_only_it_is_internal() -> None:
    assert [c.code for c in internal_reasons()] == [f"HP0{n}" for n in range(1, 8)]
    reasons = codes.nctr_delay_reasons().codes
    assert sum(is_internal(c.code) for c in reasons) == 7 and len(reasons) == 37
    assert not is_internal(None) and not is_internal("CTH03") and not is_internal("IP03")


def test_the_daily_counts_the_measures_chart_are_the_lists_lengths() -> None:
    events, _ = read_case(CASE)
    by_spell: dict[str, list[object]] = {}
    for event in events:
        by_spell.setdefault(str(event.spell_key), []).append(event)
    spells = [fold_spell(key, found) for key, found in by_spell.items()]  # type: ignore[arg-type]
    first, last = date(2026, 2, 20), date(2026, 3, 25)
    counts = daily_counts(spells, first, last)
    assert counts  # both lists hold someone on some day
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        for kind in DelayKind:
            listed = Counter(
                (d.ward_code, d.spell.pathway or NO_PATHWAY)
                for d in delays(spells, snapshot_at(day), kind)
            )
            counted = Counter(
                {(w, p): c for (on, w, p, k), c in counts.items() if on == day and k is kind}
            )
            assert counted == listed, (day, kind)


def test_local_targets_by_pathway_are_read_and_kept_apart_from_the_kpis(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text(
        '[targets]\n"delayed-bed-days" = 400\n'
        "[targets.longest-delays]\nP1 = 4\nP3 = 6\n[targets.internal-delays]\nP0 = 0\n"
    )
    assert delay_targets(str(settings)) == {
        (DelayKind.LONGEST, "P1"): 4.0,
        (DelayKind.LONGEST, "P3"): 6.0,
        (DelayKind.INTERNAL, "P0"): 0.0,
    }
    assert kpi_targets(str(settings))["delayed-bed-days"].value == 400
    for table, problem in (("P9 = 1", "targets.longest-delays.P9"), ("P1 = -1", "P1")):
        settings.write_text(f"[targets.longest-delays]\n{table}\n")
        with pytest.raises(InvalidInput) as refused:
            delay_targets(str(settings))
        assert problem in refused.value.field
