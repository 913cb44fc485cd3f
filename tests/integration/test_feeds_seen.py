"""Issue 29, finding 11: the feeds journey can be seen. The demo's feeds have messages (their
lag, what was held and refused and why), a refused FHIR write is kept and listed as a refused
HL7 message is, and `homeflow user demo` gives ward staff a sign-in."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select

from homeflow.store import schema as t
from homeflow.store.users import add_user
from tests.conftest import ENGINES, fresh_database, url_of
from tests.integration.test_fhir import encounter, headers, served  # noqa: F401 (a fixture)
from tests.support import homeflow
from tests.web_site import PASSWORD, Site, signed_in


def _feed_section(page: str, source: str) -> str:
    """The part of the feeds page about one feed."""
    start = page.index(f'<h2 id="feed-{source}">')
    end = page.find("<h2 ", start + 1)
    return page[start : end if end != -1 else len(page)]


def test_the_demo_feeds_show_messages_lag_and_refusals(shared_site: Site) -> None:
    page = signed_in(shared_site, "admin@qde.test").get("/feeds")
    assert page.status_code == 200, page.text
    assert "No feed you run has sent a message yet" not in page.text
    for source in ("rx1-pas", "rx2-pas", "ry1-pas"):
        assert f'href="#feed-{source}"' in page.text, source
    rx1 = _feed_section(page.text, "rx1-pas")
    # RX1 renamed a ward in its PAS: the admissions sent under the new name are held, and a
    # message with a date that is no date is refused, each with the field and the reason.
    assert rx1.count(">held<") >= 1
    assert "ward &#39;ACORN&#39; at &#39;RX101&#39; is not mapped to a homeflow ward" in rx1
    assert ">rejected<" in rx1 and "month must be in 1..12" in rx1
    assert "EVN-6" in rx1 and "PV1-3" in rx1
    assert "MSH|^~\\&amp;|DEMO-PAS|RX101" in rx1  # the message as sent
    row = re.search(r'href="#feed-rx1-pas">rx1-pas</a></td>(.*?)</tr>', page.text, re.S)
    assert row, "rx1-pas has no row in the health table"
    cells = re.findall(r'<td class="nhsuk-table__cell[^"]*">([^<]*)</td>', row.group(1))
    last_message, refused, held = cells[2], cells[4], cells[5]
    assert last_message.strip() not in ("", "–")
    assert int(refused) >= 1 and int(held) >= 1


def test_refused_fhir_writes_are_kept_and_listed(
    served: tuple[str, str, str, str],  # noqa: F811
) -> None:
    url, base, token, other = served
    sent = [
        (httpx.post, "/fhir/Encounter", {"resourceType": "Patient"}, token, 400),
        (httpx.post, "/fhir/Encounter", encounter(), other, 403),  # RX2 at RX1's wards
        (httpx.put, "/fhir/Encounter/visit-9", {**encounter(), "id": "visit-8"}, token, 400),
    ]
    for method, path, body, who, status in sent:
        reply = method(f"{base}{path}", content=json.dumps(body), headers=headers(who))
        assert reply.status_code == status, reply.text
    engine = create_engine(url)
    m = t.feed_messages
    with engine.connect() as conn:
        rows = conn.execute(
            select(m.c.source, m.c.kind, m.c.outcome, m.c.field, m.c.reason, m.c.raw).order_by(
                m.c.id
            )
        ).all()
    assert [(r.source, r.kind, r.outcome) for r in rows] == [("fhir", "fhir", "rejected")] * 3
    assert [r.field for r in rows] == ["Encounter.resourceType", "Encounter", "Encounter.id"]
    assert "forbidden" in rows[1].reason and "organisation" in rows[1].reason
    assert rows[2].reason == "the body's id differs from the URL"
    assert json.loads(rows[1].raw) == encounter()  # kept as sent
    add_user(engine, "admin@qde.test", "QDE", "admin", PASSWORD)
    engine.dispose()
    page = signed_in(Site(url, base), "admin@qde.test").get("/feeds").text
    fhir = _feed_section(page, "fhir")
    assert fhir.count(">rejected<") == 3
    assert "the body&#39;s id differs from the URL" in fhir
    assert "Encounter.id" in fhir
    assert "9434765919" in fhir  # the body as sent, for those who run the feed
    assert "Replay fhir" not in fhir and "its sender corrects it and sends it again" in fhir


@pytest.mark.parametrize("kind", ENGINES)
def test_user_demo_signs_in_ward_staff(kind: str, tmp_path: Path) -> None:
    with fresh_database(kind, tmp_path) as engine:
        url = url_of(engine)
        assert homeflow(url, "registry", "load-demo").returncode == 0
        made = homeflow(url, "user", "demo")
        assert made.returncode == 0, made.stderr
        assert re.search(
            r"^nurse\.rx1@demo\.homeflow\.test  \S+  ward-staff of RX1$", made.stdout, re.M
        )
        with engine.connect() as conn:
            roles = dict(conn.execute(select(t.users.c.email, t.users.c.role)).all())
    assert roles["nurse.rx1@demo.homeflow.test"] == "ward-staff"
    readme = Path(__file__).parents[2] / "README.md"
    assert "nurse.rx1@demo.homeflow.test" in readme.read_text("utf-8")
