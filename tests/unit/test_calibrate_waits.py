"""A pathway's wait (sim/calibrate), worked out by hand from stays as the event history gives
them: for community beds, whose capacity the record holds, the wait that is not for a bed (from
ready to the first referral, and from the bed being offered to leaving); for home care and care
homes, whose capacity it does not, the whole wait, and their capacity the most they took."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from homeflow.sim.calibrate import _service_waits, _stays, calibrate, most_taken
from homeflow.sim.level import level_spread
from homeflow.sim.model import P1_SERVICE

LONDON = ZoneInfo("Europe/London")
DAY0 = datetime(2026, 7, 6, tzinfo=LONDON)  # a Monday's start: ready dates are days' starts


def _stay(
    ready: float, referred: float | None, accepted: float | None, left: float, pathway: str = "P2"
) -> dict[str, object]:
    def at(days: float | None) -> datetime | None:
        return None if days is None else DAY0 + timedelta(days=days)

    return {
        "site_code": "RX101",
        "ward_type": "acute",
        "admitted_at": at(-5),
        "discharged_at": at(left),
        "ready_at": at(ready),
        "pathway": pathway,
        "referred_at": at(referred),
        "accepted_at": at(accepted),
    }


def test_a_community_bed_wait_is_to_the_referral_and_from_the_acceptance_to_leaving() -> None:
    history = [
        # Referred 2 days after ready, taken on day 5, left on day 6.5: 2 + 1.5 days.
        _stay(0, 2, 5, 6.5),
        # Referred and taken before they were ready (support arranged ahead), left on day 1:
        # no wait to the referral, 1 day from ready to leaving.
        _stay(0, -1, -0.5, 1),
        # Referred on day 3, no acceptance recorded: the wait is to the referral.
        _stay(0, 3, None, 7),
        # Never referred: not a wait for the service.
        _stay(0, None, None, 4),
    ]
    _, left = _stays(history, date(2026, 6, 1), date(2026, 7, 31))
    assert left.nctr.all()
    assert _service_waits(left) == pytest.approx([3.5, 1.0, 3.0])


BEDS = [{"site_code": "RX101", "site_name": "R", "ward_type": "acute", "beds": 100, "changes": []}]


def test_home_care_waits_are_fitted_whole_from_ready_to_leaving() -> None:
    # Every stay: referred 2 days after ready, taken on day 5, left on day 6.5. The queue for a
    # package is in the 6.5 days as it was; the model adds to it only beyond what was taken.
    history = [_stay(0, 2, 5, 6.5, "P1") for _ in range(20)]
    model, _ = calibrate(history, BEDS, date(2026, 6, 1), date(2026, 7, 31), date(2026, 8, 1))
    wait = model.service("RX101 R").pathways["P1"].wait
    assert wait is not None and wait.mean() == pytest.approx(6.5)


def _left_on(counts: list[int]) -> pd.Series:
    times = [DAY0 + timedelta(days=d, hours=10) for d, n in enumerate(counts) for _ in range(n)]
    return pd.Series(pd.to_datetime(times, utc=True))


def test_the_most_taken_is_the_busiest_28_days_running() -> None:
    # Forty days from 6 July: 7 a day for 28 days, 28 on the 29th, then none. Its busiest 28
    # days are the 2nd to the 29th: 27 × 7 + 28 = 217, 7.75 a day (the first 28: 7 a day).
    left = _left_on([7] * 28 + [28] + [0] * 11)
    assert most_taken(left, date(2026, 7, 6), date(2026, 8, 14)) == pytest.approx(7.75)
    # A window shorter than 28 days: its own days' mean, 6 over 3 days.
    short = _left_on([3, 0, 3])
    assert most_taken(short, date(2026, 7, 6), date(2026, 7, 8)) == pytest.approx(2.0)
    # Days with no one leaving count, and so do days after the last to leave: 28 in 35 days
    # are at most 28 in any 28 days running.
    sparse = _left_on([28])
    assert most_taken(sparse, date(2026, 7, 6), date(2026, 8, 9)) == pytest.approx(1.0)


def test_home_care_can_take_its_busiest_four_weeks_and_starts_with_its_recent_packages() -> None:
    # From 1 May to 30 August 2026 (122 days): 50 stays went home with home care (P1) after
    # waiting, all on 10 May, and 400 over the 50 days from 6 July, 8 a day. Lately (the last
    # 56 days) 400 / 56 a day: 300 packages in use at the start (× 42 days). Its busiest 28
    # days running: 8 a day (10 May's 50 are 1.8 a day over theirs), so capacity 8 × 42 = 336
    # packages, not 300: taken at its average the queue would sit on a knife edge.
    history = []
    for i in range(450):
        left = (DAY0 + timedelta(days=i % 50)) if i >= 50 else datetime(2026, 5, 10, tzinfo=LONDON)
        ready = left - timedelta(days=2 + i % 3)
        history.append(
            {
                "site_code": "RX101",
                "ward_type": "acute",
                "admitted_at": ready - timedelta(days=4 + i % 5),
                "discharged_at": left + timedelta(hours=12),
                "ready_at": ready,
                "pathway": "P1",
                "referred_at": ready + timedelta(days=1),
                "accepted_at": left,
            }
        )
    model, _ = calibrate(history, BEDS, date(2026, 5, 1), date(2026, 8, 30), date(2026, 8, 31))
    home_care = next(s for s in model.services if s.name == P1_SERVICE)
    assert home_care.capacity == 336
    assert home_care.occupied_at_start == 300


def test_a_site_whose_nctr_doubled_gets_the_wait_spread_of_its_days() -> None:
    # 120 days from 1 May: each day 2 patients (4 from the 61st day) are ready at 10:00 and
    # leave at 11:00 the next day, each counted once at midnight: the NCTR series is 2s, then 4s.
    first = date(2026, 5, 1)
    history = []
    for day in range(120):
        ready = datetime(2026, 5, 1, 10, tzinfo=LONDON) + timedelta(days=day)
        for _ in range(2 if day < 60 else 4):
            history.append(
                {
                    "site_code": "RX101",
                    "ward_type": "acute",
                    "admitted_at": ready - timedelta(days=3),
                    "discharged_at": ready + timedelta(days=1, hours=1),
                    "ready_at": ready,
                    "pathway": "P0",
                    "referred_at": None,
                    "accepted_at": None,
                }
            )
    last = first + timedelta(days=119)
    model, notes = calibrate(history, BEDS, first, last, last + timedelta(days=1))
    # The last day's 4 are still there at its midnight (they leave after the window).
    expected = level_spread(np.array([2.0] * 60 + [4.0] * 60))
    assert model.service("RX101 R").wait_spread == pytest.approx(round(expected, 3))
    assert any("moved by" in line for line in notes["RX101 R"])


def test_a_wait_is_of_the_last_56_days_when_they_hold_a_hundred() -> None:
    # To 30 August: 300 patients ready in the last 56 days wait a day each to leave; 100 in May
    # waited 5. Fitted to all, the wait would be 2 days on average; to the recent ones, 1.
    def stay(ready: datetime, waited: float) -> dict[str, object]:
        return {
            "site_code": "RX101",
            "ward_type": "acute",
            "admitted_at": ready - timedelta(days=3),
            "discharged_at": ready + timedelta(days=waited),
            "ready_at": ready,
            "pathway": "P0",
            "referred_at": None,
            "accepted_at": None,
        }

    recent = [stay(DAY0 + timedelta(hours=4 * i), 1.0) for i in range(300)]
    earlier = [stay(datetime(2026, 5, 3, 10, tzinfo=LONDON), 5.0) for _ in range(100)]
    model, notes = calibrate(
        [*recent, *earlier], BEDS, date(2026, 5, 1), date(2026, 8, 30), date(2026, 8, 31)
    )
    wait = model.service("RX101 R").pathways["P0"].wait
    assert wait is not None and wait.mean() <= 1.0 + 1e-6
    assert any("wait to leave in the last 56 days" in line for line in notes["RX101 R"])
