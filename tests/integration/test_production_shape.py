"""The production shape on this machine: PostgreSQL, `homeflow serve` with three web workers,
and the MLLP listener. Twenty people edit patients' expected discharge dates at once while an
HL7 stream flows. Afterwards no edit is lost or doubled, every edit made on a stale view got its
409, and the views equal what a rebuild of the log gives."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from homeflow.demo import system
from homeflow.ingest.hl7.mllp import Sender
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.registry import save_registry
from homeflow.store.users import add_user
from tests.conftest import ENGINES, fresh_database, projections, url_of
from tests.support import (
    DAYS,
    ListenerProcess,
    ServerProcess,
    adt_census,
    free_port,
    hl7_messages,
    homeflow,
)
from tests.web_site import PASSWORD, csrf_of

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.skipif("postgresql" not in ENGINES, reason="the production shape is PostgreSQL"),
]
PEOPLE = 20
EDITS_EACH = 5
SPELLS_EDITED = 6


@dataclass(frozen=True)
class Edit:
    user: str
    spell_key: str
    seen: str
    words: str
    status: int
    answer: str


def visit_numbers(messages: list[bytes]) -> set[str]:
    """PV1-19 of every message: the spells the stream touches."""
    found = set()
    for message in messages:
        for segment in message.decode().split("\r"):
            if segment.startswith("PV1|"):
                fields = segment.split("|")
                if len(fields) > 19:
                    found.add(fields[19].split("^")[0])
    return found


def quiet_admitted_spells(url: str, untouched_by: set[str]) -> list[str]:
    """RX1's admitted spells that the rest of the stream does not touch."""
    engine = db.connect(url)
    with engine.connect() as conn:
        keys = conn.execute(
            select(t.spells.c.spell_key)
            .where(t.spells.c.status == "admitted", t.spells.c.spell_key.like("RX1:%"))
            .order_by(t.spells.c.spell_key)
        ).scalars()
        found = [k for k in keys if k.split(":", 1)[1] not in untouched_by]
    engine.dispose()
    return found


def edit_many(
    base: str,
    user: str,
    spells: list[str],
    edits: list[Edit],
    lock: threading.Lock,
    all_looking: threading.Barrier,
) -> None:
    """One person at work: open a patient, change the EDD and its criteria, again and again.
    The first time, everyone has the page open before anyone saves (the board round), so
    people on the same patient collide for certain; after that, as it comes."""
    with httpx.Client(base_url=base, timeout=120) as client:
        page = client.get("/")
        token = re.search(r'name="pre_session" value="([^"]+)"', page.text)
        assert token is not None
        form = {"email": user, "password": PASSWORD, "pre_session": token.group(1)}
        assert client.post("/sign-in", data=form).status_code == 303
        number = int(user.split("@")[0].removeprefix("person"))
        for n in range(EDITS_EACH):
            spell_key = spells[(number + n) % len(spells)]
            page = client.get(f"/spells/{spell_key}").text
            seen = re.search(r'id="form-edd".*?name="seen" value="([^"]*)"', page, re.DOTALL)
            assert seen is not None, page[:300]
            words = f"{user} edit {n}"
            if n == 0:
                all_looking.wait(timeout=600)
            answer = client.post(
                f"/spells/{spell_key}/record/edd",
                data={
                    "csrf_token": csrf_of(page),
                    "seen": seen.group(1),
                    "view": "page",
                    "next": f"/spells/{spell_key}",
                    "expected_discharge_date": f"{1 + number % 28:02d}/0{1 + n % 9}/2031",
                    "clinical_criteria": words,
                },
            )
            edit = Edit(user, spell_key, seen.group(1), words, answer.status_code, answer.text)
            with lock:
                edits.append(edit)


def stream(port: int, messages: list[bytes], replies: list[bytes]) -> None:
    sender = Sender(port, timeout=120)
    try:
        for message in messages:
            replies.append(sender.send(message))
    finally:
        sender.close()


def test_twenty_people_edit_while_the_feed_flows(demo: tuple[str, Path], tmp_path: Path) -> None:
    demo_url, folder = demo
    messages = hl7_messages(folder)
    first, rest = messages[: len(messages) * 3 // 5], messages[len(messages) * 3 // 5 :]
    (tmp_path / "first").mkdir()
    (tmp_path / "first" / "first.hl7").write_bytes(b"\r\n".join(first) + b"\r\n")
    with fresh_database("postgresql", tmp_path) as engine:
        url = url_of(engine)
        with engine.begin() as conn:
            save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
        done = homeflow(url, "ingest", "hl7", str(tmp_path / "first"))
        assert done.returncode == 0, done.stderr
        users = [f"person{n}@rx1.test" for n in range(PEOPLE)]
        for user in users:
            add_user(engine, user, "RX1", "discharge-team", PASSWORD)
        spells = quiet_admitted_spells(url, visit_numbers(rest))[:SPELLS_EDITED]
        assert len(spells) == SPELLS_EDITED

        port = free_port()
        listener = ListenerProcess(url, port)
        server = ServerProcess(url, "--workers", "3")
        edits: list[Edit] = []
        replies: list[bytes] = []
        lock = threading.Lock()
        all_looking = threading.Barrier(PEOPLE)
        try:
            workers = [threading.Thread(target=stream, args=(port, rest, replies))] + [
                threading.Thread(
                    target=edit_many, args=(server.base, u, spells, edits, lock, all_looking)
                )
                for u in users
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(timeout=900)
        finally:
            server.stop()
            listener.stop()

        assert len(replies) == len(rest) and all(b"MSA|AA|" in r for r in replies)
        assert len(edits) == PEOPLE * EDITS_EACH
        assert Counter(e.status for e in edits).keys() <= {303, 409}, Counter(
            e.status for e in edits
        )
        made = [e for e in edits if e.status == 303]
        refused = [e for e in edits if e.status == 409]
        # In the first round all twenty looked before anyone saved: at most one save a patient
        # (someone quick may already have saved a patient in their second round), so at least
        # fourteen are refused.
        first_round = [e for e in edits if e.words.endswith(" edit 0")]
        saved_first = Counter(e.spell_key for e in first_round if e.status == 303)
        assert all(n == 1 for n in saved_first.values()), saved_first
        assert sum(e.status == 409 for e in first_round) >= PEOPLE - SPELLS_EDITED

        # Every edit that was answered 303 is in the log exactly once; no other edit is.
        with engine.connect() as conn:
            stored = conn.execute(
                select(t.events.c.spell_key, t.events.c.payload, t.events.c.recorded_by)
                .where(t.events.c.source == "web")
                .order_by(t.events.c.seq)
            ).all()
        stored_words = [(row.spell_key, row.recorded_by, words_of(row.payload)) for row in stored]
        assert Counter(stored_words) == Counter((e.spell_key, e.user, e.words) for e in made)
        # No edit overwrote another it had not seen: each accepted edit started from a
        # different view of its patient. Every refused one started from a view an accepted
        # edit had already moved on from, and says who changed it.
        for spell_key in spells:
            views = [e.seen for e in made if e.spell_key == spell_key]
            assert len(views) == len(set(views)), spell_key
            for edit in (e for e in refused if e.spell_key == spell_key):
                assert edit.seen in views
                assert "changed" in edit.answer and "@rx1.test" in edit.answer

        # The views the server and listener kept equal a rebuild of the log.
        census = {day: adt_census(url, day) for day in DAYS}  # (keeps the census to the end)
        kept = projections(engine)
        assert homeflow(url, "rebuild").returncode == 0
        assert projections(engine) == kept
        assert {day: adt_census(url, day) for day in DAYS} == census
        # ... and the feed's half is what a clean import of the whole stream gives.
        for day in DAYS:
            assert census[day] == adt_census(demo_url, day)


def words_of(payload: object) -> str:
    found = json.loads(payload) if isinstance(payload, str) else payload
    assert isinstance(found, dict)
    return str(found.get("clinical_criteria", ""))
