"""The improvement pages over HTTP: who may change what, a segment set with its reason, and
refusals that name the field."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from homeflow.store import schema as t
from tests.web_site import Site, csrf_of, rows_of, signed_in


def test_a_coordinator_sets_a_segment_with_a_reason_and_clears_it(shared_site: Site) -> None:
    coordinator = signed_in(shared_site, "coordinator@qde.test")
    page = coordinator.get("/improvement/smart-list", params={"level": "site"})
    assert page.status_code == 200 and 'id="RX101"' in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "segment": "4",
        "reason": "Winter <b>surge</b> plan not agreed",
    }
    saved = coordinator.post("/improvement/smart-list/site/RX101", data=form)
    assert saved.status_code == 303
    shown = coordinator.get("/improvement/smart-list", params={"level": "site"}).text
    row = shown[shown.index('id="RX101"') :].split("</tr>")[0]
    assert "hf-segment-4" in row
    assert "set by coordinator@qde.test: Winter &lt;b&gt;surge&lt;/b&gt; plan not agreed" in row
    cleared = coordinator.post("/improvement/smart-list/site/RX101", data={**form, "clear": "yes"})
    assert cleared.status_code == 303
    shown = coordinator.get("/improvement/smart-list", params={"level": "site"}).text
    assert "set by" not in shown[shown.index('id="RX101"') :].split("</tr>")[0]
    audited = rows_of(
        shared_site,
        # In the order written: PostgreSQL returns rows in no set order without one (seen once).
        select(t.audit_log.c.what)
        .where(t.audit_log.c.what.like("smart list%"))
        .order_by(t.audit_log.c.id),
    )
    assert [r.what for r in audited][-2:] == [
        "smart list site RX101: segment 4",
        "smart list site RX101: cleared",
    ]  # type: ignore[attr-defined]


def test_segments_are_refused_without_a_reason_or_outside_one_to_four(shared_site: Site) -> None:
    coordinator = signed_in(shared_site, "coordinator@qde.test")
    csrf = csrf_of(coordinator.get("/improvement/smart-list").text)
    for form, problem in (
        (
            {"segment": "5", "reason": "x"},
            "Not saved: segment &#39;5&#39; is not a segment from 1 to 4.",
        ),
        ({"segment": "3", "reason": " "}, "Not saved: reason is required and cannot be blank."),
    ):
        answer = coordinator.post(
            "/improvement/smart-list/org/RX1", data={"csrf_token": csrf, **form}
        )
        assert answer.status_code == 400 and problem in answer.text
    assert coordinator.get("/improvement/smart-list", params={"level": "bogus"}).status_code == 400


def test_only_the_systems_keepers_change_its_records(shared_site: Site) -> None:
    nurse = signed_in(shared_site, "nurse@rx1.test")
    page = nurse.get("/improvement/smart-list")
    assert page.status_code == 200 and "Set the segment" not in page.text  # everyone reads
    csrf = csrf_of(page.text)
    for path, form in (
        ("/improvement/smart-list/org/RX1", {"segment": "4", "reason": "x"}),
        ("/improvement/actions", {"description": "x", "owner": "y"}),
        (
            "/improvement/collaborative/scores",
            {"team": "T", "month": "2026-11", "score": "3", "scored_by": "team"},
        ),
        (
            "/improvement/assessments/QDE/hicm-2015/2017-05-17/entries/row-1",
            {"status": "Mature", "seen": "1"},
        ),
    ):
        assert nurse.post(path, data={"csrf_token": csrf, **form}).status_code == 403, path


def test_a_sheet_uploaded_in_the_browser_is_imported_or_refused_by_line(shared_site: Site) -> None:
    coordinator = signed_in(shared_site, "coordinator@qde.test")
    csrf = csrf_of(coordinator.get("/improvement").text)
    form = {"csrf_token": csrf, "framework": "mh-top-tips", "date": "2026-11-02"}
    header = "Tip,Where are you now,Status,Spread,Gaps,What needs to be done,When by\n"
    sheet = (
        header
        + "Strong housing involvement,Housing officer at the board round,Established/partly,RW1,,,\n"
    )
    done = coordinator.post(
        "/improvement/assessments", data=form, files={"sheet": ("tips.csv", sheet.encode())}
    )
    assert done.status_code == 303
    assert (
        done.headers["location"]
        == "/improvement/assessments/QDE/mh-top-tips/2026-11-02?imported=1&flags=1"
    )
    shown = coordinator.get(done.headers["location"]).text
    assert "Housing officer at the board round" in shown and "partly?" in shown
    bad = header + "Strong housing involvement,x,Sometimes,,,,\n"
    refused = coordinator.post(
        "/improvement/assessments",
        data={**form, "date": "2026-11-09"},
        files={"sheet": ("tips.csv", bad.encode())},
    )
    assert refused.status_code == 400
    assert (
        "line 2, column &#39;Status&#39;: &#39;Sometimes&#39; is not a maturity level of mh-top-tips"
        in refused.text
    )
    assert "2026-11-09" not in coordinator.get("/improvement").text  # nothing stored
    wrong = coordinator.post(
        "/improvement/assessments", data=form, files={"sheet": ("tips.txt", b"x")}
    )
    assert (
        wrong.status_code == 400
        and "sheet: tips.txt is neither a .csv nor a .xlsx file" in wrong.text
    )


def test_a_sheet_past_the_row_or_size_limit_is_refused_in_the_browser(
    shared_site: Site, tmp_path: Path
) -> None:
    """Each oversized sheet is answered 400 naming the line (or the size); nothing stored."""
    from tests.integration.test_assessments import oversized_sheets

    coordinator = signed_in(shared_site, "coordinator@qde.test")
    events = rows_of(shared_site, select(func.count()).select_from(t.events))
    for path, problem in oversized_sheets(tmp_path):
        form = {
            "csrf_token": csrf_of(coordinator.get("/improvement").text),
            "framework": "hicm-2015",
            "date": "2019-01-07",
        }
        refused = coordinator.post(
            "/improvement/assessments", data=form, files={"sheet": (path.name, path.read_bytes())}
        )
        assert refused.status_code == 400, path.name
        assert problem in refused.text, (path.name, refused.text[:3000])
    assert rows_of(shared_site, select(func.count()).select_from(t.events)) == events
    assert "2019-01-07" not in coordinator.get("/improvement").text
