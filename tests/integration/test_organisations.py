"""Two organisations' systems hand out the same visit numbers: each keeps its own spell, on
every page and in every return, whichever way the issuer is told."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from homeflow.demo import system
from homeflow.domain import events as ev
from homeflow.domain.organisations import spell_key
from homeflow.domain.privacy import Role
from homeflow.ingest.feeds import import_hl7
from homeflow.ingest.hl7.writer import adt_messages
from homeflow.ingest.mapping import FeedMapping
from homeflow.services.returns import sitrep_rows
from homeflow.store import access
from homeflow.store import schema as t
from homeflow.store.eventlog import EventLog
from homeflow.store.queries import census
from homeflow.store.registry import save_registry
from tests.conftest import empty_all

DAY = date(2026, 3, 10)
AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
WARDS = {"RX1": ("RX101", "RX101-M01"), "RX2": ("RX201", "RX201-M01")}
visit_numbers = st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=20)


def _viewer(org: str) -> access.Viewer:
    return access.Viewer(f"nurse@{org.lower()}.test", org, Role.WARD_STAFF, "test")


def _admissions(visit: str) -> list[ev.Event]:
    return [
        ev.Event(
            f"pas-{org}-{visit}",
            "pas",
            AT,
            AT,
            spell_key(org, visit),
            ev.Admitted(f"P-{org}", site, ward, "01", local_id=f"{org}-{visit}"),
        )
        for org, (site, ward) in WARDS.items()
    ]


@given(visit=visit_numbers, with_authority=st.booleans())
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_two_organisations_with_one_visit_number_keep_two_spells(
    engine: Engine, visit: str, with_authority: bool
) -> None:
    empty_all(engine)
    with engine.begin() as conn:
        save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
    messages = [m for _, m in adt_messages(_admissions(visit))]
    if not with_authority:  # the issuer is then the trust of the site the message names
        messages = [
            m.replace(f"|{visit}^^^RX1|", f"|{visit}|").replace(f"|{visit}^^^RX2|", f"|{visit}|")
            for m in messages
        ]
    outcomes = list(import_hl7(engine, iter(messages), FeedMapping()))
    assert [o.outcome for o in outcomes] == ["applied", "applied"], outcomes
    # RX2's patient stops meeting the criteria to reside; RX1's does not.
    EventLog(engine).append(
        [
            ev.Event(
                f"ward-{visit}", "web", AT, AT, spell_key("RX2", visit),
                ev.CriteriaToResideAssessed(False, discharge_ready_date=DAY),
            )
        ]
    )  # fmt: skip
    with engine.connect() as conn:
        spells = dict(conn.execute(select(t.spells.c.spell_key, t.spells.c.site_code)).all())
    assert spells == {spell_key("RX1", visit): "RX101", spell_key("RX2", visit): "RX201"}
    by_ward = {r.ward_code: r for r in census(engine, DAY)}
    assert (by_ward["RX101-M01"].occupied, by_ward["RX101-M01"].nctr) == (1, 0)
    assert (by_ward["RX201-M01"].occupied, by_ward["RX201-M01"].nctr) == (1, 1)
    nctr = {
        r.org_code: r.value
        for r in sitrep_rows(engine, DAY)
        if (r.metric, r.metric_group)
        == ("Patients no longer meeting the criteria to reside", "Total")
    }
    assert nctr == {"RX1": 0, "RX2": 1}
    for org, (_site, ward) in WARDS.items():
        board = access.whiteboard(engine, _viewer(org), ward, DAY)
        assert [r.spell_key for r in board.rows] == [spell_key(org, visit)]
        assert board.rows[0].patient.identified
        other = "RX2" if org == "RX1" else "RX1"
        assert not access.whiteboard(engine, _viewer(other), ward, DAY).rows[0].patient.identified
        assert access.spell_view(engine, _viewer(org), spell_key(org, visit), DAY).may_record
        with pytest.raises(access.Forbidden):
            access.spell_view(engine, _viewer(other), spell_key(org, visit), DAY)


def test_a_trusts_feed_cannot_write_to_another_trusts_site(engine: Engine) -> None:
    with engine.begin() as conn:
        save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
    messages = [m for _, m in adt_messages(_admissions("V1")[:1])]  # RX1's admission
    rx2_feed = FeedMapping(organisation="RX2")
    outcomes = list(import_hl7(engine, iter(messages), rx2_feed))
    assert outcomes[0].outcome == "rejected" and outcomes[0].field == "PV1-3"
    with engine.connect() as conn:
        assert list(conn.execute(select(t.spells))) == []
