"""Signing in through an organisation's identity provider, in Debian's Chromium, against a
real OpenID Connect provider (node-oidc-provider, tests/identity_provider/) run by Node.

homeflow is set up as a trust that has switched local passwords off: people sign in with the
provider, whose groups map to an organisation and role by homeflow's rules."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from homeflow.demo import system
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.registry import save_registry
from homeflow.store.users import add_user
from tests.conftest import ENGINES, fresh_database, url_of
from tests.support import ServerProcess, free_port

# Signing in through the provider has no HTTP test: on PostgreSQL too (tests/conftest.py).
pytestmark = pytest.mark.every_engine

PROVIDER = Path(__file__).parents[1] / "identity_provider"
PROVIDER_NAME = "Test NHS Identity"
SECRET = "a client secret only these tests know"
ACCOUNTS = {
    # Has a homeflow account (made as discharge team); the provider now says ward staff.
    "ann": {"email": "Ann.Ward@rx1.test", "name": "Ann Ward", "groups": ["homeflow-rx1-ward"]},
    # In a group the rules map, but nobody made her an account (provisioning is off).
    "bea": {"email": "bea@rx1.test", "name": "Bea New", "groups": ["homeflow-rx1-ward"]},
    # Signed in properly at the provider, in no group homeflow knows.
    "cal": {"email": "cal@rx1.test", "name": "Cal Finance", "groups": ["finance"]},
}
SETTINGS = """
[sign_in]
local_passwords = false

[sign_in.provider]
name = "{name}"
issuer = "{issuer}"
client_id = "homeflow"
scopes = ["openid", "email", "profile", "groups"]

[[sign_in.provider.rules]]
claim = "groups"
value = "homeflow-rx1-ward"
org = "RX1"
role = "ward-staff"
"""


@dataclass
class Deployment:
    url: str
    base: str
    issuer: str

    def spoil_next_token(self, how: str) -> None:
        assert httpx.post(f"{self.issuer}/_test/next-token", content=how).status_code == 204

    def audit(self) -> list[tuple[str, str]]:
        engine = db.connect(self.url)
        with engine.connect() as conn:
            rows = conn.execute(
                select(t.audit_log.c.user_email, t.audit_log.c.what).order_by(t.audit_log.c.id)
            ).all()
        engine.dispose()
        return [(r.user_email, r.what) for r in rows]


def start_provider(port: int, homeflow: str) -> subprocess.Popen[str]:
    assert (PROVIDER / "node_modules" / "oidc-provider").is_dir(), (
        "run `npm ci` in tests/identity_provider (.ci/run and `make test` do)"
    )
    process = subprocess.Popen(
        ["node", str(PROVIDER / "provider.mjs")],
        env={
            **os.environ,
            "PORT": str(port),
            "CLIENT_ID": "homeflow",
            "CLIENT_SECRET": SECRET,
            "REDIRECT_URI": f"{homeflow}/sign-in/provider/callback",
            "POST_LOGOUT_URI": f"{homeflow}/",
            "ACCOUNTS": json.dumps(ACCOUNTS),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # blocks until it listens, or ends
    assert line.startswith("listening"), f"the provider did not start: {line!r}"
    return process


@pytest.fixture(scope="module", params=ENGINES)
def deployment(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:  # fmt: skip
    folder = tmp_path_factory.mktemp("identity")
    with fresh_database(request.param, folder) as engine:
        with engine.begin() as conn:
            save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
        add_user(engine, "ann.ward@rx1.test", "RX1", "discharge-team", "a password nobody types")
        provider_port, homeflow_port = free_port(), free_port()
        issuer = f"http://127.0.0.1:{provider_port}"
        homeflow = f"http://127.0.0.1:{homeflow_port}"
        settings = folder / "homeflow.toml"
        settings.write_text(SETTINGS.format(name=PROVIDER_NAME, issuer=issuer))
        provider = start_provider(provider_port, homeflow)
        env = {
            "HOMEFLOW_CONFIG": str(settings),
            "HOMEFLOW_BASE_URL": homeflow,
            "HOMEFLOW_OIDC_CLIENT_SECRET": SECRET,
        }
        server = ServerProcess(url_of(engine), env=env, port=homeflow_port)
        try:
            yield Deployment(url_of(engine), homeflow, issuer)
        finally:
            server.stop()
            provider.terminate()
            provider.wait(timeout=20)


def only_this_machine(context: object) -> None:
    """Let the browser reach 127.0.0.1 only: the provider's development pages ask for web
    fonts, which are refused."""
    context.route(  # type: ignore[attr-defined]
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("http://127.0.0.1:")
            else route.abort()
        ),
    )


@pytest.fixture
def tab(browser: object) -> Iterator[object]:
    """A fresh browser profile: no provider session yet."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})  # type: ignore[attr-defined]
    only_this_machine(context)
    page = context.new_page()
    yield page
    context.close()


def sign_in_at_provider(tab: object, deployment: Deployment, login: str) -> None:
    """From homeflow's sign-in page, through the provider's form, as `login`."""
    tab.goto(deployment.base + "/")  # type: ignore[attr-defined]
    tab.get_by_role("button", name=f"Sign in with {PROVIDER_NAME}").click()  # type: ignore[attr-defined]
    tab.wait_for_url(f"{deployment.issuer}/**")  # type: ignore[attr-defined]
    tab.fill("input[name=login]", login)  # type: ignore[attr-defined]
    tab.fill("input[name=password]", "any password: the provider's own business")  # type: ignore[attr-defined]
    tab.click("button[type=submit]")  # type: ignore[attr-defined]
    tab.wait_for_url(f"{deployment.base}/**")  # type: ignore[attr-defined]


def heading(tab: object) -> str:
    return str(tab.locator("h1").inner_text())  # type: ignore[attr-defined]


def test_sign_in_and_out_through_the_provider(deployment: Deployment, tab: object) -> None:
    tab.goto(deployment.base + "/")  # type: ignore[attr-defined]
    assert tab.locator("#password").count() == 0  # type: ignore[attr-defined]
    sign_in_at_provider(tab, deployment, "ann")
    tab.wait_for_url("**/overview")  # type: ignore[attr-defined]
    assert "ann.ward@rx1.test" in tab.content()  # type: ignore[attr-defined]
    audit = deployment.audit()
    assert ("ann.ward@rx1.test", f"signed in through {PROVIDER_NAME}") in audit
    assert (
        "ann.ward@rx1.test",
        "account now RX1 ward-staff (was RX1 discharge-team), from the identity provider",
    ) in audit
    # Signing out of homeflow signs out at the provider too: on a shared computer the next
    # person must not be signed straight in as Ann.
    tab.get_by_role("button", name="Sign out", exact=True).click()  # type: ignore[attr-defined]
    tab.wait_for_url(f"{deployment.issuer}/**")  # type: ignore[attr-defined]
    tab.get_by_role("button", name="Yes, sign me out").click()  # type: ignore[attr-defined]
    tab.wait_for_url(f"{deployment.base}/")  # type: ignore[attr-defined]
    assert heading(tab) == "Sign in to homeflow"
    tab.goto(deployment.base + "/overview")  # type: ignore[attr-defined]
    assert heading(tab) == "Sign in to homeflow"
    tab.get_by_role("button", name=f"Sign in with {PROVIDER_NAME}").click()  # type: ignore[attr-defined]
    tab.wait_for_url(f"{deployment.issuer}/**")  # type: ignore[attr-defined]
    assert tab.locator("input[name=login]").count() == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("how", "reason"),
    [("tampered", "bad_signature"), ("wrong-audience", "aud")],
)
def test_a_spoiled_id_token_is_refused(
    deployment: Deployment, tab: object, how: str, reason: str
) -> None:
    deployment.spoil_next_token(how)
    sign_in_at_provider(tab, deployment, "ann")
    assert heading(tab) == "homeflow could not sign you in"
    assert "the ID token failed its checks" in tab.content()  # type: ignore[attr-defined]
    assert reason in tab.content()  # type: ignore[attr-defined]
    tab.goto(deployment.base + "/overview")  # type: ignore[attr-defined]
    assert heading(tab) == "Sign in to homeflow"
    assert any(what.startswith("refused: the ID token") for _, what in deployment.audit())


@pytest.mark.parametrize(
    ("login", "reason"),
    [
        ("cal", "no sign-in rule gives this person an organisation and role in homeflow"),
        ("bea", "there is no homeflow account for this email address"),
    ],
)
def test_people_homeflow_does_not_know_are_refused(
    deployment: Deployment, tab: object, login: str, reason: str
) -> None:
    sign_in_at_provider(tab, deployment, login)
    assert heading(tab) == "homeflow could not sign you in"
    assert f"The reason: {reason}." in tab.locator("main").inner_text()  # type: ignore[attr-defined]
    tab.goto(deployment.base + "/overview")  # type: ignore[attr-defined]
    assert heading(tab) == "Sign in to homeflow"
    email = str(ACCOUNTS[login]["email"])
    assert (email, f"refused: {reason}") in deployment.audit()


def test_a_callback_this_browser_did_not_start_is_refused(deployment: Deployment) -> None:
    """Someone else's code and state, replayed from another browser (login CSRF)."""
    with httpx.Client(base_url=deployment.base) as client:
        started = client.get("/sign-in/provider", follow_redirects=False)
        assert started.status_code == 303 and started.headers["location"].startswith(
            f"{deployment.issuer}/auth?"
        )
        state = httpx.URL(started.headers["location"]).params["state"]
    with httpx.Client(base_url=deployment.base) as other:
        answer = other.get(f"/sign-in/provider/callback?code=x&state={state}")
        assert answer.status_code == 400
        assert "did not start in this browser" in answer.text


def test_local_passwords_can_be_switched_off(deployment: Deployment) -> None:
    with httpx.Client(base_url=deployment.base) as client:
        page = client.get("/")
        assert 'name="password"' not in page.text
        token = client.cookies["homeflow_pre_session"]
        answer = client.post(
            "/sign-in",
            data={
                "email": "ann.ward@rx1.test",
                "password": "a password nobody types",
                "pre_session": token,
            },
        )
        assert answer.status_code == 403
        assert "Passwords are switched off here" in answer.text
        assert client.get("/overview", follow_redirects=False).status_code != 200


def code_from_provider(deployment: Deployment, address: str, login: str) -> str:
    """Sign in at the provider's own form without a browser; the callback address it sends
    the browser back to (holding a code the provider issued, not yet exchanged)."""
    with httpx.Client() as provider:
        answer = provider.get(address, follow_redirects=True)
        action = re.search(r'<form[^>]*action="([^"]+)"', answer.text)
        assert action, answer.text[:2000]
        fields = {"prompt": "login", "login": login, "password": "anything at all"}
        answer = provider.post(answer.url.join(action.group(1)), data=fields)
        while answer.is_redirect:
            target = str(answer.next_request.url) if answer.next_request else ""
            if target.startswith(deployment.base):
                return target
            answer = provider.get(target)
    raise AssertionError("the provider never sent the browser back to homeflow")


@pytest.mark.parametrize("code", ["forged", "used already"])
def test_a_code_the_provider_refuses_is_answered_and_audited(
    deployment: Deployment, code: str
) -> None:
    """The token endpoint refuses a code it never issued, and one already exchanged: a 400
    page saying so, no session, and the refusal in the audit log (was a 500, unaudited)."""
    with httpx.Client(base_url=deployment.base) as client:
        started = client.get("/sign-in/provider", follow_redirects=False)
        callback = httpx.URL(code_from_provider(deployment, started.headers["location"], "ann"))
        if code == "used already":
            assert client.get(str(callback)).status_code == 303  # Ann signed in with it
            client.cookies.delete("homeflow_session")
            offered = callback.params["code"]
        else:
            offered = "a-code-nobody-issued"
        again = client.get("/sign-in/provider", follow_redirects=False)
        state = httpx.URL(again.headers["location"]).params["state"]
        before = deployment.audit()
        answer = client.get(
            "/sign-in/provider/callback",
            params={"code": offered, "state": state, "iss": deployment.issuer},
        )
        assert answer.status_code == 400, answer.text
        assert "the identity provider refused the code" in answer.text
        assert "homeflow_session" not in answer.cookies
        assert client.get("/overview", follow_redirects=False).status_code != 200
    new = deployment.audit()[len(before) :]
    assert [who for who, _ in new] == ["-"]
    assert new[0][1].startswith("refused: the identity provider refused the code (invalid_grant")
