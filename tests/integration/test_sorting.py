"""Every list sorts by each of its columns from its header's link, without JavaScript, on a
served demo on each engine: for each list web/sorting.py knows (`LISTS`, by template) and each
of its columns, in both orders, the rows read back from the page are in that order (blanks
last), the header says so (aria-sort) and its link keeps the list's filters. An unknown column
or order is answered with the list in its usual order and a sentence, never an error page.
Every template that lists rows in a table either sorts them or is named here with the reason
it does not, so a new list cannot go without."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

import homeflow.web.app  # every page module, so every list has named its columns
from homeflow.domain import clock
from homeflow.store import db
from homeflow.store.feed_messages import APPLIED, HELD, REJECTED, MessageRecord, record_messages
from homeflow.web.sorting import LISTS, Column
from tests.web_site import Site, rx1_ward_with_patients, signed_in

# Words, dates, orders and refusals of pages: the same on either engine (tests/conftest.py).
pytestmark = pytest.mark.one_engine

TEMPLATES = Path(homeflow.web.app.__file__).parent / "templates"

# Where each list is seen, and by whom: (user, address with its filters), enough of them that
# every column has rows to sort.
EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "people.html": [
        ("flow@rx1.test", "/people/census?site=RX101&measure=occupied"),
        # A figure of bed-days: each patient adds theirs (the Adds column).
        (
            "flow@rx1.test",
            "/returns/sitrep/people?org=RX1&metric=Delayed+bed+days"
            "&type=Length+of+stay&group=Length+of+stay+14%2B+days",
        ),
    ],
    "accounts.html": [("admin@qde.test", "/admin/users")],
    "audit.html": [("admin@qde.test", "/audit?user=flow%40rx1.test")],
    "smart_list.html": [("coordinator@qde.test", "/improvement/smart-list?level=site")],
    "caseload.html": [("cmht@rw1.test", "/community")],
    "actions.html": [("coordinator@qde.test", "/improvement/actions")],
    "referrals.html": [("hub@ry1.test", "/referrals")],
    "referrals_chc.html": [("flow@rx1.test", "/referrals/chc?show=checklists")],
    "referrals_requests.html": [("flow@rx1.test", "/referrals/requests?service=housing")],
    "stranded.html": [("flow@rx1.test", "/stranded")],
    "delays.html": [
        ("flow@rx1.test", "/daily-call/delays?kind=longest&level=system"),
        ("flow@rx1.test", "/daily-call/delays?kind=internal&level=system"),
    ],
    "daily_call.html": [("coordinator@qde.test", "/daily-call?group=owner")],
    "whiteboard.html": [("nurse@rx1.test", "/wards/{ward}")],
    "wards.html": [("admin@qde.test", "/admin/wards")],
    "feeds.html": [("admin@qde.test", "/feeds")],
    "directory.html": [("cmht@rw1.test", "/community/directory")],
}

# Tables that are not lists to sort, each with its reason.
NOT_LISTS = {
    "drd.html": "the month's measures in the publication's order, a column a place",
    "expected_discharges.html": "the patients most likely to leave first, whose chances add up to "
    "the expected figure above them",
    "coordination.html": "who waits for a bed, longest first, as the site team works down it",
    "_coordination_figures.html": "a site's specialties by name, then the whole site",
    "coordination_list.html": "a figure's beds by ward and bed, or its patients longest first",
    "coordination_placed.html": "a chart point's patients, by their decision to admit",
    "_call_row.html": "one row of the daily call, sorted with daily_call.html",
    "_lever_moves.html": "a lever's moves, in the order the tree draws them",
    "_run_status.html": "a run's progress, one row a scenario in the order they run",
    "assessment.html": "the framework's changes in the framework's own order",
    "collaborative.html": "learning sessions by date and teams' monthly scores, a calendar",
    "episode.html": "one person's episode: contacts, goals and reviews in the order they happened",
    "heat_map.html": "a matrix of places by changes, both in the framework's order",
    "home_care.html": "the split tree's levers, in the tree's order",
    "improvement.html": "the assessment's summary, in the framework's order",
    "intermediate_care.html": "the weekly return in its own order: days of the week, metrics",
    "mh_delays.html": "a month's figures, one row an organisation by code, as the return has them",
    "opel.html": "a provider's parameters in the framework's order, the pillars acute first",
    "_mh_delays.html": "a stay's few delayed discharge periods, in the order they started",
    "outcomes.html": "a summary of outcomes by pathway, in the pathways' order",
    "overview.html": "the system's sites and services, in the registry's order",
    "projects.html": "a system's few improvement projects, by system and name",
    "project.html": "one project's measures and PDSA cycles, in the order they ran",
    "scenario_model.html": "a model's parameters, in the model file's order",
    "scenario_new.html": "a form's fields",
    "scenarios.html": "the model runs asked for, newest first, as a queue reads",
    "search.html": "a search's few records of one person, in hospital first, then the newest",
    "scenario_run.html": "a run's results by scenario and month, in the order they were run",
    "validation_run.html": "each service of the model with its two measures, in the model's "
    "order, as its fan charts below are",
    "sitrep.html": "the return as NHS England's format has it, organisation by organisation",
    "beds.html": "a site's beds as they stand on its wards, ward by ward and bed by bed",
    "bed_figures.html": "the beds behind a measure's point, in the order they were cleaned or closed",
    "spell.html": "a stay's timeline, newest first, as a timeline reads",
    "support.html": "one person's support after discharge, in the order it happened",
}


class Tables(HTMLParser):
    """Each table's header (the column each sorting link names, its aria-sort) and the text of
    each body row's cells, lines kept apart where the page breaks them."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, Any]] = []
        self.cell: list[str] | None = None
        self.row: list[str] | None = None
        self.in_head = False
        self.header: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table":
            self.tables.append({"columns": [], "aria": {}, "links": {}, "rows": []})
        elif not self.tables:
            return
        elif tag == "thead":
            self.in_head = True
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
            if self.in_head:
                self.header = {"key": None, "aria": found.get("aria-sort")}
        elif tag == "a" and self.in_head and self.header is not None:
            query = dict(parse_qsl(urlsplit(unescape(found.get("href") or "")).query))
            if "sort" in query and self.header["key"] is None:
                self.header["key"] = query["sort"]
                self.tables[-1]["links"][query["sort"]] = found.get("href")
        elif tag in ("br", "p", "li", "div") and self.cell is not None:
            self.cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if not self.tables:
            return
        table = self.tables[-1]
        if tag == "thead":
            self.in_head = False
        elif tag in ("td", "th") and self.cell is not None and self.row is not None:
            text = "".join(self.cell)
            self.row.append(text)
            if self.in_head and self.header is not None:
                table["columns"].append(self.header["key"])
                if self.header["aria"]:
                    table["aria"][self.header["key"]] = self.header["aria"]
                self.header = None
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if not self.in_head:
                table["rows"].append(self.row)
            self.row = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def tables_of(page: str) -> list[dict[str, Any]]:
    reader = Tables()
    reader.feed(page)
    return reader.tables


def first_line(text: str) -> str:
    return next((line.strip() for line in text.split("\n") if line.strip()), "")


def read(shows: str, text: str) -> Any:
    """A cell's value as the column sorts it, from how the page writes it; None when blank."""
    line = " ".join(first_line(text).split())
    if shows == "number":
        found = re.search(r"[−-]?\d[\d,]*(?:\.\d+)?", line)
        return float(found.group().replace(",", "").replace("−", "-")) if found else None
    if shows in ("day", "when"):
        found = re.search(r"(\d\d)/(\d\d)/(\d{4})(?: (\d\d):(\d\d))?", line)
        if not found:
            return None
        d, m, y, hh, mm = found.groups()
        if shows == "day":
            return date(int(y), int(m), int(d))
        return datetime(int(y), int(m), int(d), int(hh or 0), int(mm or 0))
    if line in ("", "–"):
        return None
    if shows == "patient":  # the name, before the NHS number, or initials before the age
        line = re.sub(r", \d+$", "", re.split(r"\s+NHS\s", line)[0])
    return line.casefold()


def before(a: Any, b: Any) -> bool:
    """Whether a cell reading `a` may come before one reading `b`, lowest first: a cell shows
    the value it is sorted by first, sometimes more after it ("declined: no beds")."""
    if isinstance(a, str) and isinstance(b, str):
        return a <= b or a.startswith(b) or b.startswith(a)
    return bool(a <= b)


def in_order(values: list[Any], order: str) -> bool:
    present = [v for v in values if v is not None]
    blanks_last = all(v is None for v in values[len(present) :])
    pairs = pairwise(present)
    ordered = all(before(a, b) if order == "asc" else before(b, a) for a, b in pairs)
    return blanks_last and ordered


# Each column once, in turn lowest and highest first (web/sorting.py's order is one rule for
# every column; what differs from column to column is the value sorted by and how it is shown).
CASES = [
    (template, key, ("asc", "desc")[n % 2])
    for template, columns in sorted(LISTS.items())
    for n, key in enumerate(columns)
]


@pytest.fixture(scope="module")
def ward(shared_site: Site) -> str:
    return rx1_ward_with_patients(shared_site)


@pytest.fixture(scope="module")
def feeds(shared_site: Site) -> None:
    """Three feeds (named by no mapping: the system's admins run them) that sent different
    numbers of messages at different times, some refused or held, so each column differs."""
    engine = db.connect(shared_site.url)
    now = clock.now()
    outcomes = (APPLIED, APPLIED, REJECTED, HELD)
    try:
        with engine.begin() as conn:
            for n, source in enumerate(("sorting-a", "sorting-c", "sorting-b")):
                for m in range(2 + 3 * n):
                    sent = now - timedelta(minutes=17 * n + 5 * m)
                    outcome = outcomes[(m + n) % len(outcomes)]
                    record = MessageRecord(
                        f"{source}-{m}",
                        "ADT^A01",
                        sent - timedelta(seconds=30 * m),
                        "MSH|",
                        outcome,
                    )
                    record_messages(conn, source, "hl7", sent, [record])
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def clients(shared_site: Site) -> Callable[[str], httpx.Client]:
    made: dict[str, httpx.Client] = {}

    def client(email: str) -> httpx.Client:
        if email not in made:
            made[email] = signed_in(shared_site, email)
        return made[email]

    return client


def rows_checked(
    client: httpx.Client, address: str, key: str, column: Column[Any], order: str
) -> int:
    """The rows of the list at `address`, sorted by `key`, checked in `order`: how many."""
    joiner = "&" if "?" in address else "?"
    answer = client.get(f"{address}{joiner}sort={key}&order={order}")
    assert answer.status_code == 200, answer.text[:500]
    checked = 0
    filters = dict(parse_qsl(urlsplit(address).query))
    for table in tables_of(answer.text):
        if key not in table["columns"]:
            continue
        at = table["columns"].index(key)
        rows = [r for r in table["rows"] if len(r) == len(table["columns"])]
        values = [read(column.shows, r[at]) for r in rows]
        assert in_order(values, order), (address, key, order, values)
        wanted = "ascending" if order == "asc" else "descending"
        assert table["aria"] == {key: wanted}, table["aria"]
        # The header's link sorts the other way and keeps the list's filters.
        link = dict(parse_qsl(urlsplit(unescape(table["links"][key])).query))
        assert link["order"] == ("desc" if order == "asc" else "asc")
        assert {k: link.get(k) for k in filters} == filters
        checked += len(rows)
    return checked


@pytest.mark.parametrize(("template", "key", "order"), CASES)
@pytest.mark.usefixtures("feeds")
def test_a_list_comes_back_in_the_order_its_header_asks(
    clients: Callable[[str], httpx.Client], ward: str, template: str, key: str, order: str
) -> None:
    column: Column[Any] = LISTS[template][key]
    if template == "audit.html":  # the log lists what flow@rx1.test viewed: some views first
        for path in ("/stranded", "/daily-call", "/overview"):
            assert clients("flow@rx1.test").get(path).status_code == 200
    checked = 0
    for email, address in EXAMPLES[template]:
        checked += rows_checked(clients(email), address.format(ward=ward), key, column, order)
    assert checked >= 2, f"{template}: fewer than 2 rows to sort by {key}"


def test_an_unknown_column_or_order_shows_the_usual_order_and_says_so(
    clients: Callable[[str], httpx.Client],
) -> None:
    """One rule for every list (web/sorting.py's sort_rows, the sentence in base.html)."""
    template = "people.html"
    email, address = EXAMPLES[template][0]
    joiner = "&" if "?" in address else "?"
    client = clients(email)
    usual = client.get(address)
    key = next(iter(LISTS[template]))
    for tail, says in (
        ("sort=nonsense", "cannot be sorted by"),
        (f"sort={key}&order=up", "is not an order"),
    ):
        answer = client.get(f"{address}{joiner}{tail}")
        assert answer.status_code == 200, (tail, answer.status_code)
        assert says in answer.text
    unknown = client.get(f"{address}{joiner}sort=nonsense")
    assert [t["rows"] for t in tables_of(unknown.text)] == [
        t["rows"] for t in tables_of(usual.text)
    ]


def test_every_list_sorts_or_says_why_not() -> None:
    """A template with a table of rows (a loop in its body) uses sortable_header, and has its
    columns named and an example to test, or is named in NOT_LISTS with its reason."""
    for path in sorted(TEMPLATES.glob("*.html")):
        text = path.read_text()
        bodies = re.findall(r"<tbody.*?</tbody>", text, re.DOTALL)
        lists_rows = any(re.search(r"{%-? for ", body) for body in bodies)
        if not lists_rows:
            continue
        sorts = "sortable_header(" in text
        assert sorts or path.name in NOT_LISTS, f"{path.name} lists rows but does not sort them"
        if sorts:
            assert path.name in LISTS and path.name in EXAMPLES, path.name
    assert set(EXAMPLES) == set(LISTS)
