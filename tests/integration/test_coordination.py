"""The site's coordination view through the real server, on each engine: every figure is the
length of the list it opens to; only the site's own trust's site team gives a bed or records a
decision to admit (another trust, a ward nurse: refused, nothing stored); a write whose audit
row fails stores nothing; the figures refresh from their own address."""

from __future__ import annotations

import re
from itertools import count

import httpx
import pytest
from sqlalchemy import func, select

from homeflow.domain import clock
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.users import add_user
from tests.audit_faults import audit_log_down
from tests.web_site import PASSWORD, Site, csrf_of, rows_of, signed_in

SITE = "RX101"
FIGURE = re.compile(r'href="/coordination/list\?([^"]+)">(\d+)<')
_unique = count(1)


@pytest.fixture(scope="module")
def site(shared_site: Site) -> Site:
    engine = db.connect(shared_site.url)
    add_user(engine, "flow@rx2.test", "RX2", "discharge-team", PASSWORD)
    engine.dispose()
    return shared_site


def _events(site: Site) -> int:
    return int(rows_of(site, select(func.count()).select_from(t.events))[0][0])  # type: ignore[index]


def _forms(site: Site, client: httpx.Client) -> dict[str, dict[str, str]]:
    """The two writes as the site team's page would post them: a bed to the first patient
    waiting (the first free bed), and a new decision to admit."""
    page = client.get("/coordination", params={"site": SITE}).text
    request = re.search(r'name="request_id" value="([^"]+)"', page)
    bed = re.search(r'name="bed"><option value="([^"]+)"', page)
    assert request and bed, "nobody waiting, or no bed free, on the demo"
    token = csrf_of(page)
    return {
        "/coordination/allocate": {
            "csrf_token": token, "site": SITE, "request_id": request.group(1),
            "bed": bed.group(1).replace("&#124;", "|"), "seen": "1",
        },
        "/coordination/requests": {
            "csrf_token": token, "site": SITE, "local_id": f"T{next(_unique):05d}",
            "family_name": "Test", "given_name": "Tess", "specialty": "General Medicine",
        },
    }  # fmt: skip


def test_every_figure_opens_to_as_many_beds_or_patients(site: Site) -> None:
    client = signed_in(site, "flow@rx1.test")
    page = client.get("/coordination", params={"site": SITE})
    assert page.status_code == 200 and 'hx-trigger="every 30s"' in page.text
    figures = FIGURE.findall(client.get("/coordination/figures", params={"site": SITE}).text)
    assert figures and len(figures) % 6 == 0  # six figures a specialty, and the site's
    shown = 0
    for query, figure in figures[-6:] + figures[:6]:  # the site's and the first specialty's
        listed = client.get("/coordination/list?" + query.replace("&amp;", "&")).text
        said = re.search(r'<p class="nhsuk-body">(\d+) (?:bed|patient)', listed)
        assert said and said.group(1) == figure, query
        rows = listed.count('<tr class="nhsuk-table__row"><th scope="row"')
        assert rows == int(figure), query
        shown += int(figure)
    assert shown > 0


@pytest.mark.parametrize("route", ["/coordination/allocate", "/coordination/requests"])
def test_only_the_sites_own_team_gives_beds_and_records_decisions_to_admit(
    site: Site, route: str
) -> None:
    owner = signed_in(site, "flow@rx1.test")
    for email in ("flow@rx2.test", "nurse@rx1.test", "coordinator@qde.test"):
        client = signed_in(site, email)
        form = _forms(site, owner)[route]
        form["csrf_token"] = csrf_of(client.get("/coordination", params={"site": SITE}).text)
        before = _events(site)
        answer = client.post(route, data=form)
        assert answer.status_code == 403, (email, answer.text)
        assert _events(site) == before
    before = _events(site)
    answer = owner.post(route, data=_forms(site, owner)[route])
    assert answer.status_code == 303, answer.text
    assert _events(site) == before + 1


@pytest.mark.parametrize("route", ["/coordination/allocate", "/coordination/requests"])
def test_a_bed_request_write_whose_audit_row_fails_stores_nothing(site: Site, route: str) -> None:
    owner = signed_in(site, "flow@rx1.test")
    form = _forms(site, owner)[route]
    before = _events(site)
    with audit_log_down(site.url):
        answer = owner.post(route, data=form)
    assert answer.status_code == 503, answer.text
    assert _events(site) == before


def test_a_bad_decision_to_admit_is_refused_beside_its_field(site: Site) -> None:
    owner = signed_in(site, "flow@rx1.test")
    form = {
        **_forms(site, owner)["/coordination/requests"],
        "local_id": "", "waiting_in": "x", "nhs_number": "1234567890",
    }  # fmt: skip
    before = _events(site)
    answer = owner.post("/coordination/requests", data=form)
    assert answer.status_code == 400
    for field in ("local_id", "waiting_in", "nhs_number"):
        assert f'id="{field}-error"' in answer.text, field
    assert _events(site) == before


def test_the_waits_charts_points_open_to_their_patients_on_days_that_have_ended(
    site: Site,
) -> None:
    client = signed_in(site, "flow@rx1.test")
    page = client.get("/measures", params={"level": "site", "place": SITE}).text
    for title in ("Decision to admit to bed: mean hours", "90th centile", "over 12 hours"):
        assert title in page, title
    links = re.findall(r'href="(/coordination/placed\?[^"]+)"', page)
    assert links
    for link in links[:2]:
        listed = client.get(link.replace("&amp;", "&"))
        assert listed.status_code == 200
        said = re.search(r'<p class="nhsuk-body">(\d+) patient', listed.text)
        assert said and listed.text.count('<th scope="row"') == int(said.group(1))
    today = f"{clock.today():%d/%m/%Y}"
    refused = client.get(
        "/coordination/placed",
        params={"site": SITE, "figure": "mean", "start": today, "end": today},
    )
    assert refused.status_code == 400
