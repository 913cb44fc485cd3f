"""A pathway's wait that is not for the downstream service's capacity (sim/calibrate): from
ready to the first referral, and from the service taking the patient to their leaving the bed,
worked out by hand from stays as the event history gives them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from homeflow.sim.calibrate import _service_waits, _stays, calibrate
from homeflow.sim.model import P1_SERVICE

LONDON = ZoneInfo("Europe/London")
DAY0 = datetime(2026, 7, 6, tzinfo=LONDON)  # a Monday's start: ready dates are days' starts


def _stay(
    ready: float, referred: float | None, accepted: float | None, left: float
) -> dict[str, object]:
    def at(days: float | None) -> datetime | None:
        return None if days is None else DAY0 + timedelta(days=days)

    return {
        "site_code": "RX101",
        "ward_type": "acute",
        "admitted_at": at(-5),
        "discharged_at": at(left),
        "ready_at": at(ready),
        "pathway": "P1",
        "referred_at": at(referred),
        "accepted_at": at(accepted),
    }


def test_the_wait_is_to_the_referral_and_from_the_acceptance_to_leaving() -> None:
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


def test_home_care_takes_as_many_a_day_as_the_recent_discharges_send() -> None:
    # From 1 May to 30 August 2026 (122 days): 50 stays went home with home care (P1) after
    # waiting in May, and 400 in the 56 days from 6 July. The mix is of those recent weeks,
    # and so are the starts a day: 400 / 56, so capacity 400 / 56 × 42 = 300 packages (not
    # 450 / 122 × 42 = 155 over the whole history).
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
    beds = [
        {"site_code": "RX101", "site_name": "R", "ward_type": "acute", "beds": 100, "changes": []}
    ]
    model, _ = calibrate(history, beds, date(2026, 5, 1), date(2026, 8, 30), date(2026, 8, 31))
    home_care = next(s for s in model.services if s.name == P1_SERVICE)
    assert home_care.capacity == 300
