"""The weekly system report: a page a flow lead can send round, with every system measure as
an SPC chart rendered on the server (vl-convert, no browser) and this week's figures for each
organisation against their targets."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import vl_convert
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine

from homeflow.domain.errors import InvalidInput
from homeflow.reports.kpi import KPIS, Level, Period
from homeflow.services.measures import MeasureChart, kpi_targets, measure_charts
from homeflow.services.returns import kpi_rows
from homeflow.store.queries import kpi_data

# The report's table: this week's headline figures per organisation.
HEADLINES = (
    "nctr-per-100-beds",
    "delayed-bed-days",
    "stranded",
    "super-stranded",
    "discharged-before-noon-pct",
    "mean-los",
    "readmissions-30-day",
)
HISTORY = timedelta(weeks=12)

_templates = Environment(
    loader=PackageLoader("homeflow.publishing", "templates"), autoescape=select_autoescape()
)


@dataclass(frozen=True, slots=True)
class RenderedChart:
    chart: MeasureChart
    svg: str


def weekly_report(engine: Engine, day: date) -> str:
    """The report for the week ending `day`, as one self-contained HTML page."""
    week_start = day - timedelta(days=6)
    charts = measure_charts(
        engine, Level.SYSTEM, "system", day - HISTORY + timedelta(days=1), day, Period.DAILY, 620
    )
    rendered = [RenderedChart(c, vl_convert.vegalite_to_svg(c.spec)) for c in charts]
    data = kpi_data(engine, week_start, day)
    targets = kpi_targets()
    table: dict[str, dict[str, Any]] = {}
    for name in HEADLINES:
        for row in kpi_rows(
            engine, name, Level.ORG, week_start, day, Period.WEEKLY, None, targets, data
        ):
            table.setdefault(row["place"], {})[name] = row
    return _templates.get_template("weekly.html").render(
        day=day,
        week_start=week_start,
        charts=rendered,
        table=table,
        headlines=[KPIS[n] for n in HEADLINES],
    )


def printer_for(out: Path) -> str | None:
    """Chromium for a .pdf, None for a .html; anything else refused, before any chart is drawn
    (a report takes seconds to draw)."""
    if out.suffix.lower() == ".html":
        return None
    if out.suffix.lower() != ".pdf":
        raise InvalidInput("out", f"{out.name}: write .html or .pdf")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise InvalidInput("out", "a PDF needs Chromium (apt-get install chromium); write .html")
    return browser


def write_report(html: str, out: Path) -> None:
    """HTML as it is; PDF printed by headless Chromium (Debian's package)."""
    browser = printer_for(out)
    if browser is None:
        out.write_text(html, "utf-8")
        return
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "report.html"
        page.write_text(html, "utf-8")
        done = subprocess.run(
            [
                browser, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--no-pdf-header-footer",
                f"--print-to-pdf={out.resolve()}", page.as_uri(),
            ],
            capture_output=True,
            timeout=120,
        )  # fmt: skip
    if done.returncode != 0 or not out.exists():
        raise InvalidInput("out", f"Chromium could not print the PDF: {done.stderr[-300:]!r}")


def pdf_of(html: str) -> bytes:
    """The page printed to PDF by headless Chromium, as the weekly report is."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "printed.pdf"
        write_report(html, out)
        return out.read_bytes()
