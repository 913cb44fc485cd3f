"""Each spell's patient's local authority of residence, as the returns read it: from the HL7
feed (PID-11.9) into the patients projection, through a move and a merge, on each engine."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from homeflow.demo import system
from homeflow.ingest.feeds import import_hl7
from homeflow.ingest.mapping import FeedMapping
from homeflow.store import db
from homeflow.store.queries import local_authorities
from homeflow.store.rebuild import rebuild
from homeflow.store.registry import save_registry

FEED = FeedMapping(source="pas-rx1", organisation="RX1")


def _message(control: str, trigger: str, nhs: str, visit: str, address: str) -> str:
    segments = [
        f"MSH|^~\\&|PAS|RX101|HF|QDE|2026033010{control[-2:]}00||ADT^{trigger}|{control}|P|2.4",
        f"EVN|{trigger}|2026033010{control[-2:]}00",
        f"PID|1||{nhs}^^^NHS^NH||Doe^Dee||19400101|F|||{address}",
    ]
    if trigger == "A40":
        segments.append("MRG|9990000026^^^NHS^NH")
    else:
        segments.append(f"PV1|1|I|RX101-M01^^01^RX101|E|||||||||||||||{visit}")
    return "\r".join(segments) + "\r"


def test_a_spells_patient_lives_in_the_council_the_feed_last_gave(engine: Engine) -> None:
    with engine.begin() as conn:
        save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
    sent = [
        _message("M01", "A01", "9434765919", "V1", "1 High St^^Riverside^^^^H^^LAR01"),
        _message("M02", "A01", "9990000018", "V2", ""),  # no address: not known
        _message("M03", "A01", "9990000026", "V3", "^^^^^^H^^E06000001"),  # out of area
        _message("M04", "A08", "9434765919", "", "2 Low Rd^^Eastfield^^^^H^^LAE01"),  # moved
        _message("M05", "A01", "4010232137", "V4", "^^^^^^H^^RX1"),  # a trust: refused
        _message("M06", "A01", "9990000034", "V5", "^^^^^^H^^LAE01"),
        _message("M07", "A40", "9990000034", "", ""),  # 9990000026 merged into 9990000034
    ]
    outcomes = list(import_hl7(engine, sent, FEED))
    assert [o.outcome for o in outcomes].count("applied") == 6
    refused = outcomes[4]
    assert refused.field == "PID-11.9" and "not a local authority" in (refused.reason or "")
    expected = {"RX1:V1": "LAE01", "RX1:V3": "LAE01", "RX1:V5": "LAE01"}
    with db.reading(engine) as conn:
        assert local_authorities(conn) == expected
    rebuild(engine, datetime(2026, 3, 31, tzinfo=UTC).date())
    with db.reading(engine) as conn:
        assert local_authorities(conn) == expected
