"""The header's patient search over HTTP, on a served demo on each engine: a user finds their
own organisation's patient by name, by NHS number (with or without spaces) and by visit number;
the same search as a user of an organisation not involved in the care finds nothing; a provider
the patient is referred to, or an organisation the person consented to, finds them; every
search is audited without what was typed; a query too short or unreadable says what to type."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select

from homeflow.domain.clock import local_date
from homeflow.domain.community.caseload import Episode
from homeflow.domain.community.permissions import Part, shared_with
from homeflow.domain.community.sharing import ConsentStatus
from homeflow.domain.patient_search import parse_query
from homeflow.domain.privacy import Role, format_nhs_number
from homeflow.store import schema as t
from homeflow.store.access.scope import Viewer
from homeflow.store.access.search import MOST, find_patients
from homeflow.store.community import caseloads
from tests.web_site import Site, rows_of, signed_in, spell_links

NURSE, RW1, LAR01 = "flow@rx1.test", "cmht@rw1.test", "social-worker@lar01.test"


@pytest.fixture(scope="module")
def site(shared_site: Site) -> Site:
    return shared_site


def stays(site: Site) -> list[tuple[Any, set[str]]]:
    """Every stay with its patient, when admitted, its treating organisation (none if its site
    is unknown) and the providers it is referred to."""
    s = t.spells
    found = rows_of(
        site,
        select(s.c.spell_key, s.c.status, s.c.admitted_at, t.patients.c.nhs_number,
               t.patients.c.family_name, t.patients.c.given_name, t.sites.c.org_code)
        .join(t.patients, t.patients.c.patient_id == s.c.patient_id)
        .outerjoin(t.sites, t.sites.c.code == s.c.site_code)
        .order_by(s.c.spell_key),
    )  # fmt: skip
    referred: dict[str, set[str]] = defaultdict(set)
    for key, provider in rows_of(site, select(t.referrals.c.spell_key, t.referrals.c.provider_org)):  # type: ignore[misc]
        referred[key].add(provider)
    return [(row, referred[row.spell_key]) for row in found]  # type: ignore[attr-defined]


def orgs_of_person(every: list[Any], nhs: str) -> set[str]:
    """Every organisation that treats, or is referred, any stay of the person."""
    return {
        o for row, providers in every if row.nhs_number == nhs for o in {row.org_code, *providers}
    }


def found_stays(client: httpx.Client, q: str) -> list[str]:
    answer = client.get("/search", params={"q": q})
    assert answer.status_code == 200, answer.text
    return spell_links(answer.text)


def audit_rows(site: Site, email: str) -> list[str]:
    """What the user's looks at identifiable data were (sign-ins are audited too)."""
    a = t.audit_log
    looks = select(a.c.what).where(a.c.user_email == email, a.c.action == "view")
    return [str(r[0]) for r in rows_of(site, looks.order_by(a.c.id))]  # type: ignore[index]


def test_a_user_finds_their_own_patient_by_name_nhs_number_and_visit_number(site: Site) -> None:
    every = stays(site)
    row, _ = next(
        (r, p) for r, p in every
        if r.org_code == "RX1" and r.status == "admitted" and r.nhs_number
        and sum(o.nhs_number == r.nhs_number for o, _ in every) == 1
    )  # fmt: skip
    client = signed_in(site, NURSE)
    before = len(audit_rows(site, NURSE))
    spaced = format_nhs_number(row.nhs_number)
    visit = row.spell_key.split(":", 1)[1]
    for q in (f"{row.family_name}, {row.given_name}", f"{row.given_name} {row.family_name.upper()}",
              spaced, row.nhs_number, visit, visit.lower(), row.spell_key):  # fmt: skip
        assert row.spell_key in found_stays(client, q), q
    # Every search is audited, and what was typed (a name, a number) is not in the log.
    written = audit_rows(site, NURSE)[before:]
    assert len(written) == 7
    assert all(w.startswith("patient search by ") for w in written), written
    assert not any(row.family_name in w or row.nhs_number in w or visit in w for w in written)


def test_another_organisations_patient_is_found_only_by_those_involved(site: Site) -> None:
    every = stays(site)
    # A patient of RX1 referred to the council (LAR01) and never to RW1, nor treated there.
    row, _ = next(
        (r, p) for r, p in every
        if r.org_code == "RX1" and r.nhs_number and "LAR01" in p
        and "RW1" not in orgs_of_person(every, r.nhs_number)
        and r.nhs_number not in {e.opened.nhs_number for e in episodes_of(site)}
    )  # fmt: skip
    name = f"{row.family_name}, {row.given_name}"
    council, unrelated = signed_in(site, LAR01), signed_in(site, RW1)
    for q in (row.nhs_number, name, row.spell_key):
        assert row.spell_key in found_stays(council, q), q  # referred to: involved
        assert row.spell_key not in found_stays(unrelated, q), q  # not involved
    # The unrelated trust's page names nobody for the NHS number: not the person, nor a stay.
    page = unrelated.get("/search", params={"q": row.nhs_number}).text
    assert "No patients found" in page and row.family_name.upper() not in page


def episodes_of(site: Site) -> list[Episode]:
    engine = create_engine(site.url)
    try:
        with engine.connect() as conn:
            return list(caseloads(conn).episodes.values())
    finally:
        engine.dispose()


def test_a_community_episode_is_found_by_its_team_and_by_whom_the_person_consented_to(
    site: Site,
) -> None:
    found = episodes_of(site)
    shared = next(
        e for e in found
        if any(org == "LAR01" and c.status is ConsentStatus.GIVEN for (org, _), c in e.consents.items())
        and Part.PERSON in shared_with("LAR01", e)
        and sum(o.opened.nhs_number == e.opened.nhs_number for o in found) == 1
    )  # fmt: skip
    unshared = next(
        e for e in found
        if not shared_with("LAR01", e) and not shared_with("RY1", e)
        and sum(o.opened.nhs_number == e.opened.nhs_number for o in found) == 1
    )  # fmt: skip
    link = '/community/episodes/{}"'
    for email, episode, seen in ((RW1, shared, True), (LAR01, shared, True),
                                 (LAR01, unshared, False), ("hub@ry1.test", unshared, False)):  # fmt: skip
        page = signed_in(site, email).get("/search", params={"q": episode.opened.nhs_number}).text
        assert (link.format(episode.opened.episode_id) in page) is seen, (email, episode)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "Nothing was typed"),
        ("a", "at least 2 letters"),
        ("12", "an NHS number has 10"),
        ("999 123", "6 digits"),
        ("9434765918", "is not an NHS number"),  # its check digit is wrong
        ("<b>Smith</b>", "&lt;b&gt;Smith&lt;/b&gt; is not a name"),
    ],
)
def test_a_query_too_short_or_unreadable_says_what_to_type(
    site: Site, typed: str, says: str
) -> None:
    client = signed_in(site, NURSE)
    before = len(audit_rows(site, NURSE))
    answer = client.get("/search", params={"q": typed})
    assert answer.status_code == 200
    assert "There is a problem" in answer.text and says in answer.text
    if "<" not in typed:
        assert f'value="{typed}"' in answer.text  # what was typed is kept in the field
    assert "<b>Smith" not in answer.text
    assert len(audit_rows(site, NURSE)) == before  # nothing searched, nothing seen


def test_the_search_box_is_in_every_pages_header(site: Site) -> None:
    client = signed_in(site, NURSE)
    for path in ("/overview", "/stranded", "/community", "/improvement"):
        page = client.get(path).text
        assert 'action="/search" method="get"' in page and 'name="q"' in page, path


def expected_stays(
    every: list[tuple[Any, set[str]]], org: str, words: tuple[str, ...]
) -> list[str]:
    """The stays a name search finds for `org`, worked out here from the stays themselves:
    each word begins the family or given name or a part of one (after a space, hyphen or
    apostrophe); the organisation treats the stay or a referral of it names them; those in
    hospital first, then the most recently admitted (ties by key)."""

    def names_it(word: str, name: str | None) -> bool:
        name = (name or "").lower()
        return name.startswith(word) or any(f"{sep}{word}" in name for sep in " -'")

    shown = [
        (row.status != "admitted", -(row.admitted_at or datetime.min).timestamp(), row.spell_key)
        for row, providers in every
        if all(names_it(w, row.family_name) or names_it(w, row.given_name) for w in words)
        and (row.org_code == org or org in providers)
    ]
    return [key for *_, key in sorted(shown)]


def test_a_name_search_shows_each_organisation_what_it_may_identify_most_recent_first(
    site: Site,
) -> None:
    """Generated over every organisation that treats or is referred a stay, and over the
    commonest family name, the two letters that begin the most family names (more stays than
    a page shows) and the commonest given name: the stays shown are the first MOST of those
    worked out independently, in order, and `more` says when there were others."""
    every = stays(site)
    orgs = sorted(
        {row.org_code for row, _ in every if row.org_code} | {o for _, p in every for o in p}
    )
    family = Counter(row.family_name.lower() for row, _ in every if row.family_name)
    given = Counter(row.given_name.lower() for row, _ in every if row.given_name)
    prefixes = Counter(name[:2] for name in family.elements())
    queries = [
        family.most_common(1)[0][0],
        prefixes.most_common(1)[0][0],
        given.most_common(1)[0][0],
    ]
    engine = create_engine(site.url)
    today = local_date(datetime.now(UTC))
    longest = 0
    try:
        for org, typed in itertools.product(orgs, queries):
            viewer = Viewer(f"search-check@{org.lower()}.test", org, Role.DISCHARGE_TEAM, "test")
            query = parse_query(typed)
            found = find_patients(engine, viewer, query, today)
            wanted = expected_stays(every, org, query.terms)
            assert [f.spell_key for f in found.stays] == wanted[:MOST], (org, typed)
            assert all(f.patient.identified for f in found.stays), (org, typed)
            if len(wanted) > MOST:
                assert found.more, (org, typed)
            longest = max(longest, len(wanted))
    finally:
        engine.dispose()
    assert longest > MOST  # the cut at a page's length was tried
