"""Journey 6, the monthly A&E delivery board (JOURNEYS.md): the system's analyst, on a 1024x768
screen, reads the system's measures as SPC charts (NCTR per 100 beds, its bed-days, stranded
and super-stranded, discharges before noon), each with its Making Data Count icons; rebases the
charts at the day a change was made, so each shows whether it made a difference; sees every
chart whole, to its last day, dates the UK way; then, on a wider screen where the charts widen
to fit, opens a figure to the patients behind it."""

from __future__ import annotations

import re
from datetime import datetime

from tests.browser.pages import browser_errors, browser_sign_in, fits_the_width, follow, submit
from tests.web_site import Site

MEASURES = (
    "per 100 beds",
    "Bed-days of patients with no criteria to reside",
    "7+ days",
    "21+ days",
    "discharges before midday",
)
# A chart drawn again from its spec as the page draws it (charts.js's `fitted`), headless, to
# read what it shows: its size, where its last day falls, its axis labels and its phases.
DRAWN = """async (holder) => {
  const spec = fitted(JSON.parse(document.getElementById(holder.dataset.specId).textContent), holder)
  const box = document.createElement('div')
  holder.after(box)
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec, null, { ast: true }), {
    renderer: 'none', container: box, expr: vega.expressionInterpreter })
  await view.runAsync()
  const svg = new DOMParser().parseFromString(await view.toSVG(), 'image/svg+xml')
  const values = spec.data.values
  const drawn = {
    width: Number(svg.documentElement.getAttribute('width')),
    plot: view.width(),
    last: view.scale('x')(new Date(values[values.length - 1].date)),
    labels: [...svg.querySelectorAll('.role-axis-label text')].map(t => t.textContent),
    phases: [...new Set(values.map(v => v.phase))],
    lastDay: values[values.length - 1].date,
    lastY: view.scale('y')(values[values.length - 1].value),
    origin: [view.origin()[0] + view.padding().left, view.origin()[1] + view.padding().top],
  }
  view.finalize()
  box.remove()
  return drawn
}"""
# Each chart whole in its box and on the screen: nothing past the box's edge, nothing hidden
# behind a scroll bar.
FITS = """() => [...document.querySelectorAll('.hf-chart')].filter(h => {
  const drawn = h.querySelector('canvas')
  if (!drawn) return true
  const box = h.getBoundingClientRect(), chart = drawn.getBoundingClientRect()
  return chart.right > box.right + 1 || chart.right > innerWidth || h.scrollWidth > h.clientWidth + 1
}).map(h => h.getAttribute('aria-label'))"""
# What the test waits for, as functions: Playwright polls a bare expression with eval, which
# the page's CSP refuses. Each chart as wide as its box (after the window changes, redrawn);
# every chart drawn.
WIDENED = """() => [...document.querySelectorAll('.hf-chart')].every(h =>
  Math.abs(h.querySelector('canvas').getBoundingClientRect().width - h.clientWidth) <= 2)"""
ALL_DRAWN = (
    "() => [...document.querySelectorAll('.hf-chart')].every(h => h.querySelector('canvas'))"
)


def _no_sideways_scroll(page: object) -> None:
    fits = fits_the_width(page)
    assert fits, "the page scrolls sideways"


def _show(page: object) -> None:
    submit(page, page.locator("form.hf-filters button[type=submit]"))  # type: ignore[attr-defined]
    page.wait_for_function(ALL_DRAWN)  # type: ignore[attr-defined]


def _card(page: object, heading: str) -> object:
    return page.locator(".nhsuk-card", has=page.locator("h2", has_text=heading)).first  # type: ignore[attr-defined]


def test_the_monthly_ae_delivery_board(journey_site: Site, browser: object) -> None:
    site = journey_site
    page = browser_sign_in(browser, site, "analyst@qde.test", viewport=(1024, 768))
    errors = browser_errors(page)
    follow(page, page.locator("a[href='/measures']").first)  # type: ignore[attr-defined]
    page.wait_for_function(ALL_DRAWN)  # type: ignore[attr-defined]
    # The whole system, rebased where the change (a new integrated discharge team) started:
    # halfway through the dates shown.
    first = datetime.strptime(page.input_value("#start"), "%d/%m/%Y").date()  # type: ignore[attr-defined]
    last = datetime.strptime(page.input_value("#end"), "%d/%m/%Y").date()  # type: ignore[attr-defined]
    change = first + (last - first) / 2
    page.select_option("#level", "system")  # type: ignore[attr-defined]
    page.fill("#rebase", change.strftime("%d/%m/%Y"))  # type: ignore[attr-defined]
    _show(page)
    assert "level=system" in page.url and "rebase=" in page.url  # type: ignore[attr-defined]
    _no_sideways_scroll(page)

    headings = page.locator(".nhsuk-card h2").all_inner_texts()  # type: ignore[attr-defined]
    for measure in MEASURES:
        assert any(measure.lower() in h.lower() for h in headings), (measure, headings)
    # Every chart says whether it is improving, deteriorating or just varying, and how its
    # target stands.
    cards = page.locator(".nhsuk-card")  # type: ignore[attr-defined]
    assert cards.count() == page.locator(".hf-chart").count() >= len(MEASURES)  # type: ignore[attr-defined]
    icons = page.locator(".nhsuk-card svg[aria-label^='Variation:']")  # type: ignore[attr-defined]
    assert icons.count() == cards.count()
    words = page.locator(".hf-mdc__text").all_inner_texts()  # type: ignore[attr-defined]
    assert all(
        re.search(r"(common cause|special cause).*; (no target|target )", w, re.I) for w in words
    ), words

    # Every chart whole at 1024 px (they were cut off at the right: the last two weeks, with
    # the rebased phase, were missing).
    assert page.evaluate(FITS) == []  # type: ignore[attr-defined]
    nctr = _card(page, "per 100 beds")
    drawn = page.evaluate(DRAWN, nctr.locator(".hf-chart").element_handle())  # type: ignore[attr-defined]
    holder = nctr.locator(".hf-chart").evaluate("h => h.clientWidth")  # type: ignore[attr-defined]
    assert drawn["width"] <= holder, drawn
    assert 0 < drawn["last"] <= drawn["plot"], drawn  # the last day is drawn, at the right
    assert drawn["lastDay"] == last.isoformat()
    assert drawn["phases"] == [0, 1], drawn  # rebased: a mean and limits before, and after
    # Dates the UK way: "6 Sep", not "Sep 06".
    dates = [label for label in drawn["labels"] if re.search(r"[A-Za-z]", label)]
    assert dates and all(re.fullmatch(r"(\d{1,2} )?[A-Z][a-z]{2}|\d{4}", d) for d in dates), dates
    latest = nctr.inner_text()  # type: ignore[attr-defined]
    assert f"on {last.strftime('%d/%m/%Y')}" in latest

    # On a wider screen the charts widen to fill their boxes, whole.
    page.set_viewport_size({"width": 1366, "height": 768})  # type: ignore[attr-defined]
    page.wait_for_function(WIDENED)  # type: ignore[attr-defined]
    assert page.evaluate(FITS) == []  # type: ignore[attr-defined]
    _no_sideways_scroll(page)

    # A figure opens to its patients: the last day's point on the stranded chart says its day
    # and value, and a tap on it lists the patients, as many as the chart says.
    stranded = _card(page, "7+ days")
    figure = re.search(r"Latest ([\d.]+) on", stranded.inner_text())  # type: ignore[attr-defined]
    assert figure
    stranded.scroll_into_view_if_needed()  # type: ignore[attr-defined]
    chart = stranded.locator(".hf-chart")  # type: ignore[attr-defined]
    drawn = page.evaluate(DRAWN, chart.element_handle())  # type: ignore[attr-defined]
    canvas = chart.locator("canvas").bounding_box()
    x = canvas["x"] + drawn["origin"][0] + drawn["last"]
    y = canvas["y"] + drawn["origin"][1] + drawn["lastY"]
    page.mouse.move(x, y)  # type: ignore[attr-defined]
    tip = page.locator("#vg-tooltip-element.visible")  # type: ignore[attr-defined]
    tip.wait_for()
    assert last.strftime("%d/%m/%Y") in tip.inner_text(), tip.inner_text()
    page.mouse.click(x, y)  # type: ignore[attr-defined]
    page.wait_for_url("**/people/kpi?**")  # type: ignore[attr-defined]
    listed = page.locator("main table tbody tr").count()  # type: ignore[attr-defined]
    assert listed == round(float(figure.group(1))), (listed, figure.group(1))
    _no_sideways_scroll(page)
    assert not errors, errors
    page.close()  # type: ignore[attr-defined]
