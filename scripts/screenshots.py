"""Screenshots of the main pages for the docs, taken in Debian's Chromium.

Run: .venv/bin/python scripts/screenshots.py [--db var/homeflow.db] [--out docs/screenshots]
[--models var/models]
[--only-improvement | --only-community | --only-after-discharge | --only-hub]

Uses a demo database and its models folder (`make run` builds both), adds screenshot users
for the first acute trust and the ICB, serves the app on a spare port and captures each page at
a desktop width; the winter-scenarios page after running three scenarios. The community pages
are taken at a tablet's 1024 px as a community mental-health team's user, with the discharge
decision tool's summary and GP letter printed to PDF and rendered as images (poppler-utils'
pdftoppm).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright
from sqlalchemy import func, select

from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.users import add_user

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support import ServerProcess

EMAIL, PASSWORD = "screenshots@rx1.test", "screenshots only 1"
PLANNER = "screenshots@qde.test"  # a system coordinator, who may run winter scenarios
IMPROVEMENT_PAGES = (
    ("heat-map", "/improvement/heat-map?system=QDE&framework=hicm-2015&on=2017-05-17"),
    ("pdsa", "/improvement/projects/QDE/home-first-rx101/pdsas/idt-bridging-1"),
    ("smart-list", "/improvement/smart-list?level=site"),
)


TEAM_USER = "screenshots@rw1.test"  # the mental-health trust's community team


def community(browser: object, base: str, url: str, out: Path) -> None:
    """The caseload, the episode of someone whose check-in is under way, the directory, and
    that person's printed summary and GP letter."""
    from homeflow.store.community import caseloads

    engine = db.connect(url)
    add_user(engine, TEAM_USER, "RW1", "discharge-team", PASSWORD)
    with engine.connect() as conn:
        found = caseloads(conn)

    today = date.today()
    episode = next(
        e for e in found.episodes.values()
        if e.status(today) == "check-in" and e.carers and e.signposts and len(e.goals) == 3
    )  # fmt: skip
    page = browser.new_page(viewport={"width": 1024, "height": 768})  # type: ignore[attr-defined]
    page.goto(base + "/")
    page.fill("#email", TEAM_USER)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/overview")
    path = f"/community/episodes/{episode.episode_id}"
    for name, where, full in (
        ("caseload", "/community?team=" + episode.opened.team_code, False),
        ("episode", path, True),
        ("directory", "/community/directory?need=money", False),
    ):
        page.goto(base + where)
        page.screenshot(path=out / f"{name}.png", full_page=full)
        print(out / f"{name}.png")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    pdftoppm = shutil.which("pdftoppm")
    for kind in ("summary", "gp-letter"):
        printed = httpx.get(f"{base}{path}/letters/{kind}.pdf", cookies=cookies, timeout=120)
        printed.raise_for_status()
        if pdftoppm is None:
            print("pdftoppm is missing (apt-get install poppler-utils): no image of the", kind)
            continue
        with tempfile.TemporaryDirectory() as folder:
            pdf = Path(folder) / f"{kind}.pdf"
            pdf.write_bytes(printed.content)
            subprocess.run(
                [pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                 str(out / f"letter-{kind}")],
                check=True,
            )  # fmt: skip
        print(out / f"letter-{kind}.png")


HUB_USER = "screenshots@ry1.test"  # the community trust's care transfer hub


def hub(browser: object, base: str, url: str, out: Path) -> None:
    """The care transfer hub's figures at a tablet's 1024 px, as the community trust's hub."""
    add_user(db.connect(url), HUB_USER, "RY1", "discharge-team", PASSWORD)
    page = browser.new_page(viewport={"width": 1024, "height": 768})  # type: ignore[attr-defined]
    page.goto(base + "/")
    page.fill("#email", HUB_USER)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/overview")
    page.goto(base + "/referrals")
    # The figures: referrals by pathway, CHC against 28 days, housing and budgets.
    bottom = page.locator("#decisions").bounding_box()
    height = bottom["y"] + bottom["height"] + 16
    page.screenshot(
        path=out / "hub-1024.png",
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1024, "height": height},
    )
    print(out / "hub-1024.png")
    page.close()


def after_discharge(browser: object, base: str, out: Path) -> None:
    """The outcomes by trust, one pathway's weekly charts, and the home-care split tree with
    its levers run through the demo's model, at a tablet's 1024 px."""
    page = browser.new_page(viewport={"width": 1024, "height": 768})  # type: ignore[attr-defined]
    page.goto(base + "/")
    page.fill("#email", PLANNER)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/overview")
    page.goto(base + "/outcomes?level=org")
    page.screenshot(path=out / "outcomes-1024.png")
    page.goto(base + "/outcomes?level=org&charts=pathway:P1#over-time")
    page.locator(".hf-card canvas, .nhsuk-card canvas").first.wait_for()
    page.wait_for_timeout(1500)  # the second chart draws after the first
    page.screenshot(path=out / "outcomes-charts-1024.png")
    page.goto(base + "/home-care")
    page.fill("#reps", "100")
    page.fill("#horizon", "90")
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_role("link", name="follow the run").click()
    page.locator(".hf-chart canvas").first.wait_for(timeout=600_000)
    page.get_by_role("link", name="Back to the home-care split tree").click()
    page.locator(".hf-chart canvas").wait_for()
    page.screenshot(path=out / "home-care-1024.png", full_page=True)
    print(out / "outcomes-1024.png", out / "outcomes-charts-1024.png", out / "home-care-1024.png")
    page.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="var/homeflow.db")
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--models", default="var/models")
    parser.add_argument(
        "--only-improvement", action="store_true", help="Only the improvement pages."
    )
    parser.add_argument("--only-community", action="store_true", help="Only the community pages.")
    parser.add_argument(
        "--only-after-discharge", action="store_true", help="Only the outcomes and home care."
    )
    parser.add_argument("--only-hub", action="store_true", help="Only the care transfer hub.")
    args = parser.parse_args()
    url = f"sqlite:///{args.db}"
    engine = db.connect(url)
    add_user(engine, EMAIL, "RX1", "discharge-team", PASSWORD)
    add_user(engine, PLANNER, "QDE", "system-coordinator", PASSWORD)
    with engine.connect() as conn:
        ward = conn.execute(
            select(t.spells.c.ward_code)
            .where(t.spells.c.status == "admitted", t.spells.c.ward_code.like("RX101-M%"))
            .group_by(t.spells.c.ward_code)
            .order_by(func.count().desc())
        ).first()[0]  # type: ignore[index]
        spell = conn.execute(
            select(t.spells.c.spell_key).where(
                t.spells.c.ward_code == ward, t.spells.c.discharge_ready_date.is_not(None)
            )
        ).first()[0]  # type: ignore[index]
    server = ServerProcess(url, env={"HOMEFLOW_MODELS": args.models})
    base = server.base
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                ],
            )
            hub(browser, base, url, out)
            if args.only_hub:
                return
            after_discharge(browser, base, out)
            if args.only_after_discharge:
                return
            community(browser, base, url, out)
            if args.only_community:
                return
            planner = browser.new_page(viewport={"width": 1366, "height": 768})
            planner.goto(base + "/")
            planner.fill("#email", PLANNER)
            planner.fill("#password", PASSWORD)
            planner.click("button[type=submit]")
            planner.wait_for_url("**/overview")
            for name, path in IMPROVEMENT_PAGES:
                planner.goto(base + path)
                planner.wait_for_timeout(1500)  # the charts draw after the page loads
                # The PDSA's Study and its chart sit below the fold.
                planner.screenshot(path=out / f"{name}.png", full_page=name == "pdsa")
                print(out / f"{name}.png")
            if args.only_improvement:
                return
            yesterday = (date.today() - timedelta(days=1)).isoformat()
            pages = (
                ("overview", "/overview"),
                ("whiteboard", f"/wards/{ward}"),
                ("spell", f"/spells/{spell}"),
                ("daily-call", "/daily-call?group=owner"),
                ("stranded", "/stranded?only=super"),
                ("referrals", "/referrals"),
                ("sitrep", f"/returns/sitrep?day={yesterday}&org=RX1"),
                ("people", f"/people/census?site=RX101&type=acute&measure=nctr&day={yesterday}"),
            )
            # At a laptop's 1366 x 768 (name.png) and a tablet's 1024 x 768 (name-1024.png).
            for width, suffix in ((1366, ""), (1024, "-1024")):
                page = browser.new_page(viewport={"width": width, "height": 768})
                page.goto(base + "/")
                if not suffix:
                    page.screenshot(path=out / "sign-in.png")
                page.fill("#email", EMAIL)
                page.fill("#password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url("**/overview")
                for name, path in pages:
                    page.goto(base + path)
                    page.screenshot(
                        path=out / f"{name}{suffix}.png", full_page=name == "whiteboard"
                    )
                    print(out / f"{name}{suffix}.png")
                page.close()
            planner.goto(base + "/scenarios/new?model=demo.toml")
            planner.screenshot(path=out / "scenario-builder.png")
            print(out / "scenario-builder.png")
            planner.goto(base + "/scenarios")
            for scenario in ("demand-plus-8.toml", "reablement-plus-20.toml", "interim-beds.toml"):
                planner.check(f"input[value='{scenario}']")
            planner.click("button:has-text('Run')")
            planner.locator(".hf-chart canvas").nth(1).wait_for(timeout=600_000)
            planner.screenshot(path=out / "scenarios.png", full_page=True)
            print(out / "scenarios.png")
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
