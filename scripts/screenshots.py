"""Screenshots of the main pages for the docs, taken in Debian's Chromium.

Run: .venv/bin/python scripts/screenshots.py [--db var/homeflow.db] [--out docs/screenshots]

Uses a demo database (`make run` builds one), adds a screenshot user for the first acute
trust, serves the app on a spare port and captures each page at a desktop width.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import func, select

from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.users import add_user

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support import ServerProcess

EMAIL, PASSWORD = "screenshots@rx1.test", "screenshots only 1"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="var/homeflow.db")
    parser.add_argument("--out", default="docs/screenshots")
    args = parser.parse_args()
    url = f"sqlite:///{args.db}"
    engine = db.connect(url)
    add_user(engine, EMAIL, "RX1", "discharge-team", PASSWORD)
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
    server = ServerProcess(url)
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
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(base + "/")
            page.screenshot(path=out / "sign-in.png")
            page.fill("#email", EMAIL)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/overview")
            for name, path in (
                ("overview", "/overview"),
                ("whiteboard", f"/wards/{ward}"),
                ("spell", f"/spells/{spell}"),
                ("daily-call", "/daily-call?group=owner"),
                ("stranded", "/stranded?only=super"),
                ("referrals", "/referrals"),
            ):
                page.goto(base + path)
                page.screenshot(path=out / f"{name}.png")
                print(out / f"{name}.png")
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
