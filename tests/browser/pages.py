"""Signing in and listening for errors in Debian's Chromium, for every browser test."""

from __future__ import annotations

from urllib.parse import unquote, urldefrag, urljoin

from tests.web_site import PASSWORD, Site


def browser_sign_in(
    browser: object,
    site: Site,
    email: str,
    bypass_csp: bool = False,
    viewport: tuple[int, int] = (1366, 900),
) -> object:
    # Only the accessibility test bypasses the CSP, to inject axe-core into the page; every
    # other page runs under the policy a user's browser enforces, so a violation shows up as a
    # console error.
    width, height = viewport
    size = {"width": width, "height": height}
    page = browser.new_page(viewport=size, bypass_csp=bypass_csp, has_touch=True)  # type: ignore[attr-defined]
    page.goto(site.base + "/")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/overview")
    return page


def browser_errors(page: object) -> list[str]:
    """Every script error and console error the page meets from now on."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))  # type: ignore[attr-defined]
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    return errors


def follow(page: object, link: object) -> None:
    """Click a link and wait until the page it names has loaded.

    A click only starts the navigation: a check run straight after it can meet the old page,
    or the new one before it has a document (scrollWidth of null), and fail at random."""
    href = link.get_attribute("href")  # type: ignore[attr-defined]
    assert href, "a link to follow has an href"
    target = unquote(urldefrag(urljoin(page.url, href))[0])  # type: ignore[attr-defined]
    link.click()  # type: ignore[attr-defined]
    page.wait_for_url(lambda url: unquote(urldefrag(url)[0]) == target)  # type: ignore[attr-defined]


def submit(page: object, button: object) -> None:
    """Press a button whose form loads a new page, and wait until that page has loaded.

    As with a link, a check straight after the click can read the page being left (its rows,
    its caption), or the new one half parsed (200 of 377 rows), so every form that goes to a
    new page is pressed through here."""
    with page.expect_navigation():  # type: ignore[attr-defined]
        button.click()  # type: ignore[attr-defined]


def page_width(page: object) -> int:
    """The loaded page's width in CSS pixels, wider than the viewport when it scrolls sideways."""
    page.wait_for_load_state("load")  # type: ignore[attr-defined]
    return int(page.evaluate("document.documentElement.scrollWidth"))  # type: ignore[attr-defined]


def fits_the_width(page: object) -> bool:
    """The loaded page needs no sideways scrolling."""
    width = page_width(page)
    return width <= int(page.evaluate("innerWidth"))  # type: ignore[attr-defined]
