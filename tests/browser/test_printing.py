"""Printing, as Chromium prints a page to PDF: the board round's whiteboard on one or two A4
landscape pages, the whole daily call as a compact table grouped as on the screen; no blank
first page, no link addresses, no buttons, forms or prompts on paper."""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from homeflow.store import schema as t
from tests.browser.pages import browser_errors, browser_sign_in
from tests.web_site import Site, rows_of


@pytest.fixture
def site(shared_site: Site) -> Site:
    return shared_site


@pytest.fixture(scope="module")
def flow_lead(shared_site: Site, browser: object) -> Iterator[object]:
    """The flow lead of RX1, signed in on a 1024x768 screen, who prints the board and the call."""
    page = browser_sign_in(browser, shared_site, "flow@rx1.test", viewport=(1024, 768))
    yield page
    page.close()  # type: ignore[attr-defined]


def pdf_pages(pdf: bytes) -> list[bytes]:
    """Each page's drawing instructions, in page order: Chromium (Skia) writes plain objects,
    the page tree from the catalogue down, and each page's content as one Flate stream."""
    objects = {
        int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj\s*(.*?)\bendobj", pdf, re.S)
    }

    def ref(body: bytes, key: bytes) -> int:
        found = re.search(rb"/" + key + rb"\s+(\d+) 0 R", body)
        assert found, key
        return int(found.group(1))

    def content(number: int) -> bytes:
        body = objects[number]
        stream = body.split(b"stream", 1)[1].lstrip(b"\r\n").rsplit(b"endstream", 1)[0]
        return zlib.decompress(stream) if b"/FlateDecode" in body else stream

    def walk(number: int) -> list[bytes]:
        body = objects[number]
        if re.search(rb"/Type\s*/Pages\b", body):
            kids = re.search(rb"/Kids\s*\[([^\]]*)\]", body)
            assert kids
            return [p for kid in re.findall(rb"(\d+) 0 R", kids.group(1)) for p in walk(int(kid))]
        return [content(ref(body, b"Contents"))]

    catalogue = next(n for n, body in objects.items() if re.search(rb"/Type\s*/Catalog", body))
    pages = walk(ref(objects[catalogue], b"Pages"))
    # The page tree and the count of page objects agree.
    assert len(pages) == len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    return pages


def has_text(page: bytes) -> bool:
    return b"Tj" in page or b"TJ" in page


def on_paper(page: object) -> dict[str, object]:
    """What the page shows when printed: its text, and what is left that belongs on a screen."""
    page.emulate_media(media="print")  # type: ignore[attr-defined]
    shown: dict[str, object] = page.evaluate(  # type: ignore[attr-defined]
        """() => ({
          text: document.body.innerText,
          addresses: [...document.querySelectorAll('a')]
            .map(a => getComputedStyle(a, '::after').content)
            .filter(c => c && c !== 'none' && c !== 'normal'),
          controls: [...document.querySelectorAll('button, input:not([type=hidden]), select, textarea, summary.nhsuk-details__summary')]
            .filter(e => e.getClientRects().length > 0).map(e => e.outerHTML.slice(0, 80)),
        })"""
    )
    # No emulation again (media "screen" would hold for page.pdf too).
    page.emulate_media(media="null")  # type: ignore[attr-defined]
    return shown


def fullest_rx1_ward(site: Site) -> tuple[str, int]:
    """The RX1 ward with the most lines on its board (beds, or patients if more)."""
    w, s = t.wards, t.spells
    admitted = (
        select(s.c.ward_code, func.count().label("n"))
        .where(s.c.status == "admitted")
        .group_by(s.c.ward_code)
        .subquery()
    )
    found = rows_of(
        site,
        select(w.c.code, w.c.beds, func.coalesce(admitted.c.n, 0))
        .join(admitted, admitted.c.ward_code == w.c.code, isouter=True)
        .where(w.c.site_code.like("RX1%"))
        .order_by(w.c.beds.desc(), func.coalesce(admitted.c.n, 0).desc()),
    )
    code, beds, patients = found[0]  # type: ignore[misc]
    return str(code), max(int(beds), int(patients))


def test_the_board_prints_on_one_or_two_a4_pages_without_links_or_prompts(
    site: Site, flow_lead: object
) -> None:
    ward, lines = fullest_rx1_ward(site)
    assert lines >= 28
    page = flow_lead
    errors = browser_errors(page)
    page.goto(f"{site.base}/wards/{ward}")  # type: ignore[attr-defined]
    board = page.inner_text("#whiteboard")  # type: ignore[attr-defined]
    # On the screen an unset value is a prompt to set it.
    assert re.search(r"\b(Set|Rate)\b", board), board[:300]
    pdf = page.pdf(prefer_css_page_size=True)  # type: ignore[attr-defined]
    pages = pdf_pages(pdf)
    assert 1 <= len(pages) <= 2, f"the board of {lines} beds printed on {len(pages)} pages"
    assert has_text(pages[0]), "the first page is blank"
    # A4 landscape: 842 × 595 points.
    assert re.search(rb"/MediaBox\s*\[0 0 84[12](\.\d+)? 59[45](\.\d+)?\]", pdf), "not A4 landscape"
    paper = on_paper(page)
    text = str(paper["text"])
    assert paper["addresses"] == [], paper["addresses"]
    assert paper["controls"] == [], paper["controls"]
    assert not re.search(r"\b(Set|Set EDD|Set reason|Rate)\b", text), text[:500]
    for gone in ("Print the board", "Sign out", "No criteria to reside\n", "System overview"):
        assert gone not in text
    # Every bed is on paper, each on its line.
    rows = page.locator("#whiteboard tbody tr")  # type: ignore[attr-defined]
    assert rows.count() >= lines
    assert not errors, errors


def test_the_whole_call_prints_as_a_compact_table_grouped_as_on_screen(
    site: Site, flow_lead: object
) -> None:
    page = flow_lead
    errors = browser_errors(page)
    page.goto(site.base + "/daily-call?group=family&print=yes")  # type: ignore[attr-defined]
    patients = page.locator("tr[id^='call-']").count()  # type: ignore[attr-defined]
    groups = page.locator("main h2").all_inner_texts()  # type: ignore[attr-defined]
    assert patients >= 25 and len(groups) >= 2
    pdf = page.pdf(prefer_css_page_size=True)  # type: ignore[attr-defined]
    pages = pdf_pages(pdf)
    # About 25 patients a page or more (it printed 6 a page, after a blank first page).
    assert len(pages) <= math.ceil(patients / 25), f"{patients} patients on {len(pages)} pages"
    assert has_text(pages[0]), "the first page is blank"
    paper = on_paper(page)
    text = str(paper["text"])
    assert paper["addresses"] == [], paper["addresses"]
    assert paper["controls"] == [], paper["controls"]
    # Grouped as on the screen, each group's heading on paper, in the same order.
    assert [g for g in groups if g in text] == groups
    assert text.index(groups[0]) < text.index(groups[-1])
    for gone in ("Print the whole call", "Download CSV", "Find a patient", "Sign out"):
        assert gone not in text
    assert not errors, errors
