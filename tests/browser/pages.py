"""Signing in and listening for errors in Debian's Chromium, for every browser test."""

from __future__ import annotations

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
