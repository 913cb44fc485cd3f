"""The rules behind the pages: pressure levels, escalation, identity, forms and settings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeflow.config import escalation_rules
from homeflow.domain import events as ev
from homeflow.domain.clock import parse_day
from homeflow.domain.errors import InvalidInput
from homeflow.domain.escalation import EscalationRules, Thresholds, escalation_flags
from homeflow.domain.privacy import Role, age_on, initials, may_identify
from homeflow.domain.spell import Action, fold_spell
from homeflow.store.access import parse_change

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

levels = st.tuples(*(st.floats(0, 200, allow_nan=False) for _ in range(3))).map(sorted)


@given(levels, st.floats(0, 300, allow_nan=False), st.floats(0, 300, allow_nan=False))
def test_a_pressure_level_never_falls_as_the_measure_rises(
    bounds: list[float], a: float, b: float
) -> None:
    thresholds = Thresholds(*bounds)
    low, high = sorted((a, b))
    assert 1 <= thresholds.level(low) <= thresholds.level(high) <= 4
    assert thresholds.level(bounds[2]) == 4 and thresholds.level(-1) == 1


def test_a_site_is_at_the_highest_level_any_measure_reaches() -> None:
    rules = EscalationRules(Thresholds(85, 92, 97), Thresholds(15, 22, 30))
    assert rules.pressure_level(beds=100, occupied=80, nctr=10) == 1
    assert rules.pressure_level(beds=100, occupied=93, nctr=10) == 3  # occupancy alone
    assert rules.pressure_level(beds=100, occupied=80, nctr=31) == 4  # NCTR alone
    assert rules.pressure_level(beds=0, occupied=0, nctr=0) == 1
    with pytest.raises(InvalidInput) as refused:
        Thresholds(90, 80, 95)
    assert refused.value.field == "thresholds"


def test_escalation_flags_long_delays_and_overdue_actions() -> None:
    today = date(2026, 11, 20)
    rules = EscalationRules(escalate_after_days_delayed=14)

    def action(status: str, due: date | None) -> Action:
        return Action("A1", "Chase care home", "Hub", "LAR01", due, status, T0, "x@y.test")

    assert escalation_flags(14, [], today, rules) == []
    assert escalation_flags(15, [], today, rules) == ["delayed over 14 days"]
    overdue = action("open", today - timedelta(days=1))
    assert escalation_flags(3, [overdue], today, rules) == ["action overdue: Chase care home"]
    assert escalation_flags(3, [action("done", today - timedelta(days=1))], today, rules) == []
    assert escalation_flags(3, [action("open", today)], today, rules) == []


@given(st.dates(date(1900, 1, 1), date(2026, 1, 1)), st.integers(0, 120))
def test_age_goes_up_by_one_on_each_birthday(born: date, years: int) -> None:
    try:
        birthday = born.replace(year=born.year + years)
    except ValueError:  # born on 29 February, no such day that year
        return
    assert age_on(born, birthday) == years
    assert age_on(born, birthday - timedelta(days=1)) == years - 1


def test_identity_is_for_the_treating_or_a_referred_to_organisation() -> None:
    assert may_identify("RX1", "RX1", ())
    assert may_identify("RY1", "RX1", {"RY1"})
    assert not may_identify("QDE", "RX1", {"RY1"})
    assert initials("Mary", "Seacole") == "MS"
    assert initials("", "") == "?"
    with pytest.raises(InvalidInput) as refused:
        Role.parse("boss")
    assert refused.value.field == "role" and "ward-staff" in refused.value.reason


def test_recording_an_action_again_updates_it_and_reviews_keep_their_reviewer() -> None:
    admitted = ev.Admitted("P1", "RX101", "RX101-M01")
    first = ev.ActionRecorded("A1", "Book transport", "Ward clerk", "RX1", date(2026, 11, 3))
    done = ev.ActionRecorded(
        "A1", "Book transport", "Ward clerk", "RX1", date(2026, 11, 3), ev.ActionStatus.DONE
    )
    review = ev.StrandedReviewRecorded(ev.ReviewOutcome.ESCALATED, "Ask CHC for a date")
    found = [
        ev.Event(f"k{n}", "web", T0 + timedelta(hours=n), T0, "S1", p, recorded_by="a@b.test")
        for n, p in enumerate((admitted, first, done, review))
    ]
    state = fold_spell("S1", reversed(found))
    assert [(a.action_id, a.status) for a in state.actions] == [("A1", "done")]
    assert [(r.reviewer, r.outcome) for r in state.stranded_reviews] == [("a@b.test", "escalated")]
    with pytest.raises(InvalidInput) as refused:
        ev.ActionRecorded("A2", "  ", "Hub")
    assert refused.value.field == "description"


@pytest.mark.parametrize(
    ("form", "fields", "field"),
    [
        ("edd", {"expected_discharge_date": "tomorrow"}, "expected_discharge_date"),
        ("criteria", {"meets": "maybe"}, "meets"),
        ("criteria", {"meets": "no"}, "discharge_ready_date"),
        ("delay-reason", {"reason": "XYZ99"}, "reason"),
        ("delay-reason", {"dtoc_reason": "A"}, "responsible_agency"),
        ("pathway", {"pathway": "P7"}, "pathway"),
        ("day", {"day": "2026-11-20", "colour": "red"}, "red_reason"),
        ("referral", {"step": "make", "service": "taxi"}, "service"),
        ("referral", {"step": "decline", "referral_id": "R1"}, "decline_reason"),
        ("action", {"description": "Chase", "owner": ""}, "owner"),
        ("stranded-review", {"outcome": "fine"}, "outcome"),
        ("mh-delay", {"reason": "18", "attributable_to": "05"}, "start_date"),
        (
            "mh-delay",
            {"start_date": "02/03/2026", "reason": "A2", "attributable_to": "05"},
            "reason",
        ),
        (
            "mh-delay",
            {"start_date": "02/03/2026", "reason": "18", "attributable_to": "07"},
            "attributable_to",
        ),
        (
            "mh-delay",
            {
                "start_date": "02/03/2026",
                "end_date": "01/03/2026",
                "reason": "18",
                "attributable_to": "05",
            },
            "end_date",
        ),
        ("no-such-form", {}, "form"),
    ],
)
def test_a_bad_form_is_refused_naming_the_field(
    form: str, fields: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_change(form, fields)
    assert refused.value.field == field


def test_settings_file_overrides_thresholds_and_names_bad_fields(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(
        "[pressure.occupancy_percent]\nlevel_2 = 80\nlevel_3 = 90\nlevel_4 = 95\n"
        "[daily_call]\nescalate_after_days_delayed = 7\n"
    )
    rules = escalation_rules(str(good))
    assert rules.occupancy_percent == Thresholds(80, 90, 95)
    assert rules.nctr_per_100_beds == EscalationRules().nctr_per_100_beds
    assert rules.escalate_after_days_delayed == 7
    for text, field in (
        ("[pressure.nctr_per_100_beds]\nlevel_2 = 'high'\n", "pressure.nctr_per_100_beds.level_2"),
        ("[pressure.occupancy_percent]\nlevel_2 = 99\n", "pressure.occupancy_percent"),
        (
            "[daily_call]\nescalate_after_days_delayed = 1.5\n",
            "daily_call.escalate_after_days_delayed",
        ),
        ("not toml at all [", "HOMEFLOW_CONFIG"),
    ):
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        with pytest.raises(InvalidInput) as refused:
            escalation_rules(str(bad))
        assert refused.value.field == field


def test_the_access_log_keeps_paths_not_query_strings() -> None:
    import logging

    from homeflow.web.logs import DropQueryStrings, log_config

    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/daily-call?q=MILLER", "1.1", 200), None,
    )  # fmt: skip
    assert DropQueryStrings().filter(record)
    assert "MILLER" not in record.getMessage() and "/daily-call" in record.getMessage()
    assert log_config()["handlers"]["access"]["filters"] == ["no_query"]


def test_the_longest_form_text_is_a_setting_within_the_domains_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from homeflow.config import max_text_chars
    from homeflow.domain.forms import MAX_TEXT_CHARS

    monkeypatch.delenv("HOMEFLOW_CONFIG", raising=False)
    monkeypatch.delenv("HOMEFLOW_MAX_TEXT_CHARS", raising=False)
    assert max_text_chars() == MAX_TEXT_CHARS
    monkeypatch.setenv("HOMEFLOW_MAX_TEXT_CHARS", "500")
    assert max_text_chars() == 500
    for bad in ("lots", "0", str(MAX_TEXT_CHARS + 1)):
        monkeypatch.setenv("HOMEFLOW_MAX_TEXT_CHARS", bad)
        with pytest.raises(InvalidInput) as refused:
            max_text_chars()
        assert refused.value.field == "web.max_text_chars"


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("03/12/2026", date(2026, 12, 3)),
        ("3/12/2026", date(2026, 12, 3)),
        (" 29/02/2028 ", date(2028, 2, 29)),
        ("2026-12-03", date(2026, 12, 3)),  # as addresses and files carry it
    ],
)
def test_a_day_is_typed_day_first(typed: str, day: date) -> None:
    assert parse_day("on", typed) == day


@pytest.mark.parametrize(
    "typed",
    [
        "12/31/2026",
        "31/02/2026",
        "29/02/2027",
        "2026/12/03",
        "3.12.2026",
        "",
        "tomorrow",
        "03/12/26",
    ],
)
def test_a_day_that_is_not_dd_mm_yyyy_is_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_day("on", typed)
    assert refused.value.field == "on" and "dd/mm/yyyy" in refused.value.reason


def test_a_run_prints_as_a_board_paper_with_every_scenario_and_its_range() -> None:
    from homeflow.publishing.scenario_run import run_report_html

    fan = [
        {"scenario": s, "date": f"2026-12-0{d}", "p5": 1.0, "p25": 2.0, "p50": 3.0, "p75": 4.0, "p95": 5.0}
        for s in ("Baseline", "<b>More</b>") for d in (1, 2)
    ]  # fmt: skip
    totals = [
        {"scenario": s, "delayed_bed_days_mean": 1200.0 - n * 100, "delayed_bed_days_p5": 1000.0,
         "delayed_bed_days_p95": 1400.0, "bed_days_saved_mean": n * 100.0, "bed_days_saved_p5": 50.0,
         "bed_days_saved_p95": 150.0, "cost_mean": 5000.0, "extra_cost_mean": 250.0,
         "cost_per_bed_day_saved": 2.5 if n else None, "turned_away_mean": 0.5,
         "waiting_for_a_bed_at_end_p50": 3.0}
        for n, s in enumerate(("Baseline", "<b>More</b>"))
    ]  # fmt: skip
    run = {
        "id": 7, "model": "demo.toml", "reps": 1000, "horizon": 60, "start_from": "census", "seed": 1,
        "results": {"totals": totals, "occupancy": fan, "nctr": fan, "services": ["RX101"],
                    "pathways": {p: [{"p5": 1, "p50": 2, "p95": 3}] * 2 for p in ("P0", "P1", "P2", "P3")}},
    }  # fmt: skip
    page = run_report_html(run)
    assert "&lt;b&gt;More&lt;/b&gt;" in page and "<b>More</b>" not in page.split("<svg", 1)[0]
    assert "1,100 (1,000 to 1,400)" in page and "100 (50 to 150)" in page and "£250" in page
    assert page.count("<svg") == 2 and "size: A4 landscape" in page


def test_the_board_lists_beds_in_order_and_marks_an_outlier_only_in_the_wards_vocabulary() -> None:
    from homeflow.store.access.scope import PatientLabel
    from homeflow.store.access.whiteboard import BedRow, Whiteboard

    def row(bed: str | None, specialty: str | None) -> BedRow:
        return BedRow(
            f"RX1:{bed}", bed, PatientLabel("A B", None, 80, True), 3, None, "", False, True,
            None, None, None, None, None, (), None, None, specialty, True, {},
        )  # fmt: skip

    rows = [row("10", "Orthopaedics"), row("02", "General Medicine"), row(None, "300")]
    board = Whiteboard(
        "RX101-S01", "Orthopaedics 1", "acute", "Riverside", "RX1", "Orthopaedics", 12, 3, rows,
        ["01", "03", "11"], frozenset({"Orthopaedics", "General Medicine"}),
    )  # fmt: skip
    assert [bed for bed, _ in board.lines()] == ["01", "02", "03", "10", "11", ""]
    assert [board.is_outlying(r) for r in rows] == [False, True, False]  # "300" cannot compare
    assert board.free == 9


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("correct horse battery staple", True),
        ("Tr4velling-by-tram", True),
        ("short pass", False),  # under 12 characters
        ("qwertyqwerty", False),  # among the most used
        ("QWERTYQWERTY", False),  # whatever its case
        ("1q2w3e4r5t6y", False),
        ("aaaaaaaaaaaaaaaa", False),  # one letter over and over
        ("x" * 257, False),
    ],
)
def test_a_local_password_is_long_and_not_one_people_use_most(
    password: str, accepted: bool
) -> None:
    from homeflow.domain.passwords import check_password

    if accepted:
        assert check_password(password) == password
    else:
        with pytest.raises(InvalidInput) as refused:
            check_password(password)
        assert refused.value.field == "password"
