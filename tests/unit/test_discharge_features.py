"""No leakage: what the discharge predictions know of a patient at an instant never depends on
an event that had not happened, or had not been received, by then."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from homeflow.domain.discharge_features import inpatient_at, outcome
from tests.streams import spell_stream


def _same(a: object, b: object) -> bool:
    # NaN is not equal to itself: compare the features as text.
    return repr(a) == repr(b)


@settings(max_examples=40, deadline=None)
@given(spell_stream(), st.integers(0, 2000), st.data())
def test_a_feature_never_reads_an_event_after_the_instant(stream, hours, data) -> None:  # type: ignore[no-untyped-def]
    instant = stream[0].occurred_at + timedelta(hours=hours)
    known = inpatient_at("S1", stream, instant, {}, None)
    # Whatever is told after the instant changes nothing at it ...
    before = [e for e in stream if e.occurred_at <= instant]
    assert _same(inpatient_at("S1", before, instant, {}, None), known)
    # ... and an event that happened before it but arrived after it is not yet known.
    if before:
        late = data.draw(st.sampled_from(before))
        delayed = [
            replace(e, received_at=instant + timedelta(minutes=1)) if e is late else e
            for e in stream
        ]
        without = [e for e in stream if e is not late]
        assert _same(
            inpatient_at("S1", delayed, instant, {}, None),
            inpatient_at("S1", without, instant, {}, None),
        )


def test_the_outcome_counts_a_discharge_to_each_midnight() -> None:
    at = datetime(2026, 1, 5, 6, tzinfo=UTC)  # 06:00 in London in winter
    assert outcome(None, at) == (False, False)
    assert outcome(datetime(2026, 1, 5, 23, 59, tzinfo=UTC), at) == (True, True)
    assert outcome(datetime(2026, 1, 6, 10, tzinfo=UTC), at) == (False, True)
    assert outcome(datetime(2026, 1, 7, 0, 1, tzinfo=UTC), at) == (False, False)
    assert outcome(datetime(2026, 1, 5, 5, tzinfo=UTC), at) == (False, False)  # gone before
