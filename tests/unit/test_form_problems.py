"""Every problem with a form at once, each naming its field (issue 29, finding 3)."""

from __future__ import annotations

import pytest

from homeflow.domain.errors import InvalidInput, InvalidInputs, problems_of
from homeflow.domain.forms import form_named
from homeflow.domain.improvement.forms import entry_cells

CELLS = ("where_now", "status", "spread", "gaps", "to_do", "when_by", "owner", "evidence")


def _problems(error: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return {p.field: p.reason for p in problems_of(error.value)}


def test_a_board_form_names_every_field_at_fault() -> None:
    with pytest.raises(InvalidInputs) as bad:
        form_named("edd").parse(
            {"expected_discharge_date": "31/02/2026", "clinical_criteria": "x" * 10_000}
        )
    assert _problems(bad) == {
        "expected_discharge_date": "'31/02/2026' is not a date (dd/mm/yyyy)",
        "clinical_criteria": "is 10,000 characters; at most 2,000",
    }
    with pytest.raises(InvalidInputs) as bad:
        form_named("day").parse({"day": "", "colour": "purple"})
    assert set(_problems(bad)) == {"day", "colour"}
    with pytest.raises(InvalidInput) as one:
        form_named("day").parse({"day": "2026-12-05", "colour": "red", "red_reason": " "})
    assert _problems(one) == {"red_reason": "a red day needs the reason nothing acute happened"}


def test_a_self_assessment_entry_says_something_and_its_dates_are_dates() -> None:
    with pytest.raises(InvalidInputs) as bad:
        entry_cells(dict.fromkeys(CELLS, "") | {"when_by": "by 31/02/2027"}, CELLS, 2000)
    assert set(_problems(bad)) == {"where_now", "when_by"}
    assert "'31/02/2027' is not a date" in _problems(bad)["when_by"]
    for written in ("2027-02-30", "30.02.27", "1/13/2027"):
        with pytest.raises(InvalidInput, match="is not a date"):
            entry_cells({"status": "Established", "when_by": written}, CELLS, 2000)
    kept = {"gaps": "No weekend team", "when_by": "1st July 2027, review 28/02/2027"}
    assert entry_cells(kept, CELLS, 2000)["when_by"] == kept["when_by"]
    with pytest.raises(InvalidInput, match="at most 10"):
        entry_cells({"status": "Established", "owner": "x" * 11}, CELLS, 10)
