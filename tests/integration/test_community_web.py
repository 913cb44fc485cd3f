"""The community pages over HTTP: an organisation without the person's consent never sees a
plan's contents on any page (a crawl of every page it can reach and every episode address);
with consent it reads the plan; only the treating trust records; bad forms name the field and
store nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from urllib.parse import urljoin

import httpx
from sqlalchemy import create_engine, select

from homeflow.domain.clock import local_date
from homeflow.domain.community.caseload import Caseloads
from homeflow.domain.community.permissions import Part, shared_with
from homeflow.domain.privacy import format_nhs_number
from homeflow.store import schema as t
from homeflow.store.community import caseloads
from tests.support import community_events
from tests.web_site import Site, csrf_of, signed_in


def caseloads_of(site: Site) -> Caseloads:
    engine = create_engine(site.url)
    try:
        with engine.connect() as conn:
            return caseloads(conn)
    finally:
        engine.dispose()


def crawl(client: httpx.Client, start: str, limit: int = 300) -> Iterator[tuple[str, str]]:
    """`start`, and every page under /community reachable from it."""
    seen, queue = {start}, [start]
    while queue and len(seen) <= limit:
        path = queue.pop(0)
        answer = client.get(path)
        yield path, answer.text
        for link in re.findall(r'href="([^"#]+)', answer.text):
            target = urljoin(path, unescape(link))
            # A printed letter is its web page through Chromium: the page is crawled instead;
            # a list sorted another way shows the same rows.
            if (
                target.startswith("/community")
                and not target.endswith(".pdf")
                and "sort=" not in target
                and target not in seen
            ):
                seen.add(target)
                queue.append(target)


def plan_markers(site: Site, found: Caseloads, org: str) -> dict[str, set[str]]:
    """For two episodes `org` may not see, words only their plans hold: a goal and a red
    contact's reason written now by the team (demo names and goals repeat between people), and
    each person's NHS number."""
    team = signed_in(site, "cmht@rw1.test")
    csrf = csrf_of(team.get("/community").text)
    today = local_date(datetime.now(UTC)).isoformat()
    markers: dict[str, set[str]] = {}
    unseen = [
        e
        for e in found.episodes.values()
        if not shared_with(org, e) and e.status(local_date(datetime.now(UTC))) == "open"
    ]
    for e in unseen[:2]:
        goal, reason = f"Goal only for {e.episode_id} {org}", f"Red only for {e.episode_id} {org}"
        path = f"/community/episodes/{e.episode_id}"
        for form, fields in (
            ("goal", {"description": goal, "life_area": "work", "success_criteria": "x", "target_date": today, "recorded_on": today}),
            ("contact", {"on": today, "kind": "call", "colour": "red", "red_reason": reason}),
        ):  # fmt: skip
            assert (
                team.post(f"{path}/{form}", data={"csrf_token": csrf, **fields}).status_code == 303
            )
        markers[e.episode_id] = {goal, reason, format_nhs_number(e.opened.nhs_number)}
    return markers


def test_an_organisation_without_consent_never_sees_a_plan(shared_site: Site) -> None:
    found = caseloads_of(shared_site)
    for email, org in (("social-worker@lar01.test", "LAR01"), ("flow@rx1.test", "RX1")):
        hidden = plan_markers(shared_site, found, org)
        assert len(hidden) == 2, "the demo has open plans this organisation may not see"
        client = signed_in(shared_site, email)
        pages = dict(crawl(client, "/community"))
        pages.update(crawl(client, "/measures?level=org&place=RW1&period=weekly"))
        for episode_id in hidden:
            for path in (
                f"/community/episodes/{episode_id}",
                f"/community/episodes/{episode_id}/letters/summary",
                f"/community/episodes/{episode_id}/letters/gp-letter",
            ):
                answer = client.get(path)
                assert answer.status_code == 403, (email, path)
                pages[path] = answer.text
        assert len(pages) > 10
        for path, text in pages.items():
            shown = unescape(text)
            for episode_id, words in hidden.items():
                assert f"/community/episodes/{episode_id}" not in text, (email, path)
                for word in words:
                    assert word not in shown, (email, path, word)


def test_with_consent_the_council_reads_the_plan_but_cannot_change_it(
    shared_site: Site,
) -> None:
    found = caseloads_of(shared_site)
    consented = [e for e in found.episodes.values() if Part.PLAN in shared_with("LAR01", e)]
    assert consented, "the demo has people who consented to the council seeing their plan"
    episode = consented[0]
    council = signed_in(shared_site, "social-worker@lar01.test")
    page = council.get(f"/community/episodes/{episode.episode_id}")
    assert page.status_code == 200
    for g in episode.current_goals():
        assert g.description in unescape(page.text)
    assert "Record a contact" not in page.text  # reading, not recording
    before = community_events(shared_site.url)
    refused = council.post(
        f"/community/episodes/{episode.episode_id}/contact",
        data={
            "csrf_token": csrf_of(page.text),
            "on": "2026-01-01",
            "kind": "call",
            "colour": "green",
        },
    )
    assert refused.status_code == 403
    assert community_events(shared_site.url) == before
    views = [
        r
        for r in _audit(shared_site, "social-worker@lar01.test")
        if r == f"episode {episode.episode_id}"
    ]
    assert views, "the council's look at the plan is audited"


def _audit(site: Site, email: str) -> list[str]:
    engine = create_engine(site.url)
    try:
        with engine.connect() as conn:
            return list(
                conn.scalars(select(t.audit_log.c.what).where(t.audit_log.c.user_email == email))
            )
    finally:
        engine.dispose()


def test_the_team_opens_an_episode_and_bad_forms_name_their_field(shared_site: Site) -> None:
    team = signed_in(shared_site, "cmht@rw1.test")
    page = team.get("/community", params={"team": "cmht-riverside"})
    csrf = csrf_of(page.text)
    person = {
        "csrf_token": csrf,
        "team_code": "cmht-riverside",
        "nhs_number": "943 476 5919",
        "given_name": "Ada <b>",
        "family_name": "Lovelace",
        "birth_date": "1980-12-10",
        "referral_received": "2026-01-05",
        "opened_on": "2026-01-12",
    }
    opened = team.post("/community/episodes", data=person)
    assert opened.status_code == 303
    path = opened.headers["location"]
    shown = team.get(path)
    assert "Lovelace, Ada &lt;b&gt;" in shown.text and "943 476 5919" in shown.text
    before = community_events(shared_site.url)
    for form, fields, problem in (
        ("goal", {"life_area": "housing", "success_criteria": "x", "target_date": "2026-12-01", "recorded_on": "2026-02-01"}, "Not saved: description is required."),
        ("goal", {"description": "Keep my flat", "life_area": "housing", "success_criteria": "Rent paid", "target_date": "2026-01-11", "recorded_on": "2026-02-01"}, "Not saved: target date 11/01/2026 is before the plan began (01/02/2026)."),
        ("consent", {"org_code": "ZZZ99", "purpose": "direct-care", "status": "given", "on": "2026-02-01"}, "Not saved: org code &#39;ZZZ99&#39; is not an organisation in the registry."),
        ("contact", {"on": "2099-01-01", "kind": "call", "colour": "green"}, "Not saved: on 01/01/2099 is in the future."),
        ("episode-reopened", {"reopened_on": "2026-02-01", "reason": "x"}, "Not saved: episode id only an episode in its check-in period re-opens."),
    ):  # fmt: skip
        answer = team.post(f"{path}/{form}", data={"csrf_token": csrf, **fields})
        assert answer.status_code == 400, (form, answer.text[-500:])
        assert problem in answer.text, (form, problem)
    assert community_events(shared_site.url) == before
    goal = team.post(
        f"{path}/goal",
        data={"csrf_token": csrf, "description": "Keep my flat", "life_area": "housing", "success_criteria": "Rent paid", "target_date": "2026-06-01", "recorded_on": "2026-02-01"},
    )  # fmt: skip
    assert goal.status_code == 303
    assert "Keep my flat" in team.get(path).text
    assert community_events(shared_site.url) == before + 1
    bad_open = team.post("/community/episodes", data={**person, "opened_on": "2026-01-01"})
    assert bad_open.status_code == 400
    assert "Not saved: opened on is before the referral was received." in bad_open.text


def test_a_coordinator_reviews_a_directory_service_and_others_may_not(shared_site: Site) -> None:
    coordinator = signed_in(shared_site, "coordinator@qde.test")
    page = coordinator.get("/community/directory", params={"need": "carers"})
    service_id = re.findall(r'action="/community/directory/([^/"]+)/review"', page.text)[0]
    csrf = csrf_of(page.text)
    today = local_date(datetime.now(UTC))
    for form, problem in (
        ({"rating": "Brilliant", "reviewed_on": today.isoformat()}, "Not saved: rating &#39;Brilliant&#39; is not a rating"),
        ({"rating": "Good", "reviewed_on": "2099-01-01"}, "Not saved: reviewed on 01/01/2099 is in the future."),
        ({"rating": "Good", "reviewed_on": "yesterday"}, "Not saved: reviewed on &#39;yesterday&#39; is not a date"),
    ):  # fmt: skip
        answer = coordinator.post(
            f"/community/directory/{service_id}/review", data={"csrf_token": csrf, **form}
        )
        assert answer.status_code == 400 and problem in answer.text, answer.text[-400:]
    saved = coordinator.post(
        f"/community/directory/{service_id}/review",
        data={
            "csrf_token": csrf,
            "rating": "Requires improvement",
            "reviewed_on": today.isoformat(),
        },
    )
    assert saved.status_code == 303
    with httpx.Client(base_url=shared_site.base, timeout=30) as anyone:
        served = anyone.get(f"/openreferral/services/{service_id}").json()
    assert served["assured_date"] == today.isoformat()
    assert "assurer_email" not in served  # who reviewed is the record's and the audit's
    ratings = [a.get("value") for a in served["attributes"] if a["taxonomy_term_id"] == "qa-rating"]
    assert ratings == ["Requires improvement"]
    shown = coordinator.get("/community/directory", params={"need": "carers"}).text
    assert f"reviewed {today:%d/%m/%Y}" in shown and "by coordinator@qde.test" not in shown
    team = signed_in(shared_site, "cmht@rw1.test")
    page = team.get("/community/directory")
    assert "Record a review" not in page.text
    refused = team.post(
        f"/community/directory/{service_id}/review",
        data={"csrf_token": csrf_of(page.text), "rating": "Good", "reviewed_on": today.isoformat()},
    )
    assert refused.status_code == 403
