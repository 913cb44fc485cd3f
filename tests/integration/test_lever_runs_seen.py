"""Issue 29, finding 13: a finished run of the home-care tree's levers is seen by every user
of the system who sees the tree (aggregate figures only), with who ran it and when, on that
day's tree and on other days' (naming the day whose market it measured); the demand levers
read the bed-days their move saves, not a share of the gap they cannot have."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select

from homeflow.store import schema as t
from tests.web_site import Site, csrf_of, rows_of, signed_in, wait_run_done


def _cells(page: str, table: str) -> dict[str, list[str]]:
    """Each row of a table by its first cell: its cells' text."""
    body = page[page.index(f'id="{table}"') :]
    body = body[: body.index("</table>")]
    rows = {}
    for row in re.findall(r"<tr class=\"nhsuk-table__row\">(.*?)</tr>", body, re.DOTALL)[1:]:
        cells = [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]  # fmt: skip
        rows[cells[0]] = cells[1:]
    return rows


def test_the_council_sees_each_levers_bed_days_and_who_ran_them(shared_site: Site) -> None:
    council = signed_in(shared_site, "social-worker@lar01.test")
    page = council.get("/home-care").text
    assert 'action="/home-care/runs"' not in page  # only planners run the levers
    analyst = signed_in(shared_site, "analyst@qde.test")
    tree = analyst.get("/home-care").text
    day = re.search(r'name="day" value="([^"]+)"', tree).group(1)  # type: ignore[union-attr]
    started = analyst.post(
        "/home-care/runs",
        data={"csrf_token": csrf_of(tree), "day": day, "model": "demo.toml", "reps": "2", "horizon": "3"},
    )  # fmt: skip
    assert started.status_code == 303, started.text[-1500:]
    runs = t.simulation_runs
    run_id = rows_of(shared_site, select(runs.c.id).order_by(runs.c.id.desc()).limit(1))[0][0]  # type: ignore[index]
    wait_run_done(shared_site, run_id)

    seen = council.get("/home-care").text
    said = " ".join(re.sub(r"<[^>]+>", " ", seen).split())
    assert f"Bed-days saved from run {run_id} , run by analyst@qde.test (NHS Demo Integrated Care Board) and finished" in said  # fmt: skip
    assert "2 replications of 3 days through demo.toml" in said
    moves = _cells(seen, "moves")
    levers = _cells(seen, "levers")
    assert len(moves) == 12 and set(moves) == set(levers)
    # Each move in words: a minus sign, and one hour or one day.
    assert [moves[lever][0] for lever in ("Referrals from hospital", "Hours a package", "Start delay")] == ["−10%", "−1 hour a week", "−1 day"]  # fmt: skip
    for lever, cells in moves.items():
        assert cells[3] != "–" and cells[4] != "–", lever  # bed-days saved and extra cost
        assert levers[lever][-1] == cells[3].split(" (")[0], lever
    # The demand the benchmark market is sized for has no share of the gap: it says so.
    for lever in ("Referrals from hospital", "Hospital referrals becoming packages"):
        assert levers[lever][2] == "as now" and levers[lever][-2] == "– : taken as it is"
    # Another day's tree shows the newest finished run, naming the day it measured.
    earlier = datetime.strptime(day, "%d/%m/%Y") - timedelta(days=1)
    other = council.get(f"/home-care?day={earlier:%d/%m/%Y}").text
    other_said = " ".join(re.sub(r"<[^>]+>", " ", other).split())
    assert f"run {run_id} , run by analyst@qde.test" in other_said
    assert f"on the market of {day}" in other_said
