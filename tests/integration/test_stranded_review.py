"""The weekly stranded review as the MDT holds it (issue 29, finding 8): the list shows the last
review (when, by whom, its outcome), the delay reason, the expected discharge date and the
outstanding actions; a review needs its outcome, reviewer and actions, named at once when
missing; the demo has reviewed most of its long-stay patients."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from homeflow.domain.clock import local_date
from homeflow.store import schema as t
from tests.audit_faults import audit_log_down
from tests.web_site import Site, csrf_of, rows_of, signed_in

TODAY = local_date(datetime.now(UTC))


@pytest.fixture(scope="module")
def site(shared_site: Site) -> Site:
    return shared_site


def _reviews(site: Site) -> int:
    return int(rows_of(site, select(func.count()).select_from(t.stranded_reviews))[0][0])  # type: ignore[index]


def _first_patient(page: str) -> str:
    found = re.search(r'action="/stranded/([^"]+)/review"', page)
    assert found, "no review form on the list"
    return found.group(1)


def test_an_empty_review_is_refused_naming_each_field_and_nothing_is_stored(site: Site) -> None:
    team = signed_in(site, "flow@rx1.test")
    page = team.get("/stranded").text
    before = _reviews(site)
    answer = team.post(
        f"/stranded/{_first_patient(page)}/review",
        data={"csrf_token": csrf_of(page), "seen": "", "outcome": "", "reviewer": "",
              "actions": "Book the <family> meeting"},
    )  # fmt: skip
    assert answer.status_code == 400
    assert _reviews(site) == before
    summary = answer.text.split('nhsuk-error-summary__list">')[1].split("</ul>")[0]
    assert "Outcome is required" in summary and "Reviewed by is required" in summary
    assert "Actions agreed" not in summary
    # The form is open on its row, what was typed kept (as text, not markup).
    assert 'value="Book the &lt;family&gt; meeting"' in answer.text
    assert re.search(r"<details[^>]*open>", answer.text)


def test_a_review_is_recorded_with_its_reviewer_and_shown_on_the_list(site: Site) -> None:
    team = signed_in(site, "flow@rx1.test")
    page = team.get("/stranded?only=super").text
    spell = _first_patient(page)
    answer = team.post(
        f"/stranded/{spell}/review",
        data={"csrf_token": csrf_of(page), "seen": _seen(page, spell), "only": "super",
              "outcome": "escalated", "reviewer": "Dr Q Test, consultant",
              "actions": "Escalated the care home wait to the council"},
    )  # fmt: skip
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/stranded?only=super&saved=review"
    listed = team.get("/stranded?only=super").text
    row = listed.split(f'action="/stranded/{spell}/review"')[0].rsplit("<tbody", 1)[1]
    assert f"{TODAY:%d/%m/%Y}" in row and "Dr Q Test, consultant" in row
    assert "<strong>Escalated</strong>" in row and "recorded by flow@rx1.test" in row
    stored = rows_of(
        site,
        select(t.stranded_reviews.c.reviewer, t.stranded_reviews.c.recorded_by)
        .where(t.stranded_reviews.c.spell_key == unquote(spell))
        .order_by(t.stranded_reviews.c.seq.desc()),
    )
    assert tuple(stored[0]) == ("Dr Q Test, consultant", "flow@rx1.test")  # type: ignore[arg-type]


def _seen(page: str, spell: str) -> str:
    form = page.split(f'action="/stranded/{spell}/review"')[1]
    found = re.search(r'name="seen" value="([^"]*)"', form)
    assert found
    return found.group(1)


def test_the_list_shows_what_is_done_and_outstanding_and_the_demo_reviewed_most(
    site: Site,
) -> None:
    page = signed_in(site, "flow@rx1.test").get("/stranded").text
    head = re.sub(r"<[^>]+>", "", page.split("<thead")[1].split("</thead>")[0])
    for heading in ("Waiting for", "Outstanding actions", "Last review"):
        assert heading in head
    assert "Expected discharge" in page and "No criteria to reside: " in page
    # Most long-stay patients had a review at their site's meeting this week; not all.
    s, r = t.spells, t.stranded_reviews
    week_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=7)
    long_stay = (
        s.c.status == "admitted",
        s.c.admitted_at < datetime.now(UTC).replace(tzinfo=None) - timedelta(days=9),
        s.c.site_code.in_(("RX101", "RX102", "RX201")),
    )
    total = rows_of(site, select(func.count()).where(*long_stay))[0][0]  # type: ignore[index]
    reviewed = rows_of(
        site,
        select(func.count(func.distinct(r.c.spell_key)))
        .join(s, s.c.spell_key == r.c.spell_key)
        .where(*long_stay, r.c.reviewed_at >= week_ago, r.c.recorded_by == "demo"),
    )[0][0]  # type: ignore[index]
    assert total > 20 and 0.6 * total <= reviewed < total, (reviewed, total)
    assert "never reviewed" in page or "review due" in page


def _review(page: str, spell: str) -> dict[str, str]:
    return {"csrf_token": csrf_of(page), "seen": _seen(page, spell), "outcome": "plan-agreed",
            "reviewer": "Dr Q Test", "actions": "none"}  # fmt: skip


def test_another_organisations_team_cannot_review_a_trusts_patient(site: Site) -> None:
    """The review route asks the one rule: the mental-health trust's team, not involved in an
    acute patient's care, is refused and nothing is stored."""
    page = signed_in(site, "flow@rx1.test").get("/stranded").text
    spell = _first_patient(page)
    other = signed_in(site, "cmht@rw1.test")
    before = _reviews(site)
    data = {**_review(page, spell), "csrf_token": csrf_of(other.get("/overview").text)}
    answer = other.post(f"/stranded/{spell}/review", data=data)
    assert answer.status_code in (403, 404), answer.status_code
    assert _reviews(site) == before


def test_a_review_whose_audit_row_fails_stores_nothing(site: Site) -> None:
    team = signed_in(site, "flow@rx1.test")
    page = team.get("/stranded").text
    spell = _first_patient(page)
    events = select(func.count()).select_from(t.events)
    before = (_reviews(site), rows_of(site, events)[0][0])  # type: ignore[index]
    with audit_log_down(site.url):
        answer = team.post(f"/stranded/{spell}/review", data=_review(page, spell))
        assert answer.status_code == 503 and "nothing was changed" in answer.text
    assert (_reviews(site), rows_of(site, events)[0][0]) == before  # type: ignore[index]
