"""Words in place of codes: a person reads no ISO date, no "1 patients", no internal name on
any page. The demo's pages are crawled as several users, following links from the overview
(a bounded number of pages each), and every page's visible text is read."""

from __future__ import annotations

import html
import re
from collections import Counter, deque
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.web_site import Site, signed_in

# Words, dates, orders and refusals of pages: the same on either engine (tests/conftest.py).
pytestmark = pytest.mark.one_engine

ROLES = ("coordinator@qde.test", "flow@rx1.test", "hub@ry1.test")
PAGES_EACH = 25
EACH_KIND = 3
# Links not to follow: files, sign-out, and lists that differ only by a page number or sort.
SKIPPED = re.compile(
    r"\.(csv|xlsx|pdf|json|toml|css|js|png|svg)$|^/(sign-out|static|assets|api|fhir)"
)
# What a person should never read.
LEAKS = {
    "an ISO date": re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    # "Pathway 1 patients" is English; "1 patients" is not.
    "a plural after one": re.compile(
        r"(?<![Pp]athway )(?<![-−])\b1 (patients|entries|people|records|days|beds|referrals|"
        r"actions|weeks|episodes|rows|places|services|teams|goals|reviews|packages|hours|"
        r"cycles|runs|messages|closed episodes)\b"
    ),
    "a code for no criteria to reside": re.compile(r"\bNctr\b"),
    "a framework's file name": re.compile(r"\bhicm-\d{4}\b"),
    "a goal's identifier": re.compile(r"\bGoal g\d+\b"),
    "a code as a word": re.compile(r"\b(Chc|Edd set|Edd|Dtoc|Nhs|Ods)\b"),
    # The NHS names its discharge pathways P0 to P3; "p0" is a code.
    "a pathway's code": re.compile(r"\bp[0-3]\b"),
    "a Python value": re.compile(r"\b(True|False)\b|: None\b"),
    "a field's name": re.compile(r"\b[A-Z][a-z]+_[a-z_]+\b"),
    "a median as a sum": re.compile(r"\b\d+\.0: [\d,]+ of \d+"),
}


def visible(page: str) -> str:
    """The words a person reads on a page: no tags, scripts, styles, chart specs or code."""
    body = page.split("<main", 1)[-1]
    # What a command takes is shown as code, deliberately (a framework's name in commands).
    body = re.sub(r"<(script|style|template|code)\b.*?</\1>", " ", body, flags=re.DOTALL)
    body = re.sub(r"<[^>]+>", " ", body)
    return " ".join(html.unescape(body).split())


def links(page: str, at: str) -> Iterator[str]:
    for href in re.findall(r'<a [^>]*href="([^"#]+)', page):
        url = urlsplit(urljoin(at, html.unescape(href)))
        if url.netloc or SKIPPED.search(url.path) or "page=" in url.query or "sort=" in url.query:
            continue
        yield url.path + (f"?{url.query}" if url.query else "")


def crawl(client: httpx.Client, limit: int) -> Iterator[tuple[str, str]]:
    """(address, visible text) of each page reached from the overview, breadth first."""
    seen, queue, shown = {"/overview"}, deque(["/overview"]), 0
    # A few pages of each kind: a list's hundred patients are the same page a hundred times.
    kinds: Counter[str] = Counter()
    while queue and shown < limit:
        path = queue.popleft()
        try:
            answer = client.get(path)
        except httpx.TransportError:  # another test's page at fault: not this test's concern
            continue
        if answer.status_code != 200 or "text/html" not in answer.headers["content-type"]:
            continue
        shown += 1
        yield path, visible(answer.text)
        for link in links(answer.text, path):
            kind = re.sub(r"/[^/?]*\d[^/?]*", "/N", link.split("?")[0])
            if link not in seen and kinds[kind] < EACH_KIND:
                seen.add(link)
                kinds[kind] += 1
                queue.append(link)


@pytest.fixture(scope="module")
def site(shared_site: Site) -> Site:
    return shared_site


def test_no_page_shows_a_code_an_iso_date_or_one_patients(site: Site) -> None:
    found: dict[tuple[str, str], str] = {}
    pages = 0
    for email in ROLES:
        for path, text in crawl(signed_in(site, email), PAGES_EACH):
            pages += 1
            for what, pattern in LEAKS.items():
                if hit := pattern.search(text):
                    context = text[max(0, hit.start() - 60) : hit.end() + 40]
                    found.setdefault((what, hit.group(0)), f"{path}: …{context}…")
    assert pages > 2 * PAGES_EACH
    assert not found, "\n".join(
        f"{what} {word!r} at {where}" for (what, word), where in found.items()
    )
