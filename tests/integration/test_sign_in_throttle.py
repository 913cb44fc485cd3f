"""Sign-in throttling and HTTPS over real HTTP, on each engine: many failures from one address
(a trust's NAT) never refuse a colleague's right password there, while the account being
guessed is locked from that address; Strict-Transport-Security is sent only on an answer that
came over HTTPS, as a trusted proxy says."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select

from homeflow.demo.system import ORGANISATIONS, SITES, WARDS
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.registry import save_registry
from homeflow.store.users import FAILURES_ALLOWED, FAILURES_BEFORE_SLOWING, add_user
from tests.conftest import ENGINES, fresh_database, url_of
from tests.support import ServerProcess
from tests.web_site import PASSWORD, sign_in_form

COLLEAGUES = [f"staff{i}@rx1.nat.test" for i in range(8)]
VICTIM = "victim@rx1.nat.test"


@dataclass
class Servers:
    url: str
    behind_proxy: str  # names 127.0.0.1 in HOMEFLOW_TRUSTED_PROXIES
    untrusting: str  # believes no proxy


@pytest.fixture(scope="module", params=ENGINES)
def servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Servers]:
    with fresh_database(request.param, tmp_path_factory.mktemp("throttle")) as engine:
        with engine.begin() as conn:
            save_registry(conn, ORGANISATIONS, SITES, WARDS)
        for email in [*COLLEAGUES, VICTIM]:
            add_user(engine, email, "RX1", "ward-staff", PASSWORD)
        url = url_of(engine)
        proxied = ServerProcess(url, env={"HOMEFLOW_TRUSTED_PROXIES": "127.0.0.1"})
        plain = ServerProcess(url, env={"HOMEFLOW_TRUSTED_PROXIES": ""})
        try:
            yield Servers(url, proxied.base, plain.base)
        finally:
            proxied.stop()
            plain.stop()


def attempt(base: str, address: str, email: str, password: str) -> int:
    """A sign-in from `address` (the trusted proxy says so); its status code."""
    with httpx.Client(base_url=base, timeout=60) as client:
        form = {"email": email, "password": password, **sign_in_form(client)}
        answer = client.post("/sign-in", data=form, headers={"X-Forwarded-For": address})
        return answer.status_code


def guesser(base: str, address: str) -> Callable[[str, str], int]:
    """One browser guessing from `address`: its form's token fetched once."""
    client = httpx.Client(base_url=base, timeout=60)
    token = sign_in_form(client)

    def guess(email: str, password: str) -> int:
        form = {"email": email, "password": password, **token}
        headers = {"X-Forwarded-For": address}
        return client.post("/sign-in", data=form, headers=headers).status_code

    return guess


def sessions_of(url: str, email: str) -> int:
    engine = db.connect(url)
    with engine.connect() as conn:
        w = t.web_sessions
        found = conn.scalar(select(func.count()).select_from(w).where(w.c.email == email))
    engine.dispose()
    return int(found or 0)


def audited(url: str, email: str) -> list[str]:
    engine = db.connect(url)
    with engine.connect() as conn:
        a = t.audit_log
        rows = conn.execute(select(a.c.what).where(a.c.user_email == email).order_by(a.c.id)).all()
    engine.dispose()
    return [r.what for r in rows]


def test_failures_from_one_address_never_refuse_a_right_password(servers: Servers) -> None:
    nat = "203.0.113.7"
    guess = guesser(servers.behind_proxy, nat)
    victim_guesses = [guess(VICTIM, f"guess {i}") for i in range(6)]
    assert victim_guesses[:FAILURES_ALLOWED] == [401] * FAILURES_ALLOWED
    assert victim_guesses[FAILURES_ALLOWED:] == [429]  # the victim's account: locked from here
    for i in range(FAILURES_BEFORE_SLOWING + 2):
        # Wrong passwords spread over real accounts (never FAILURES_ALLOWED on any one), and
        # addresses nobody has.
        email = COLLEAGUES[1 + i % (len(COLLEAGUES) - 1)] if i % 2 else f"nobody{i}@rx1.nat.test"
        assert guess(email, f"wrong {i}") == 401
    colleague = COLLEAGUES[0]
    before = sessions_of(servers.url, colleague)
    # A colleague behind the same NAT, with her right password: in (was refused, 429).
    assert attempt(servers.behind_proxy, nat, colleague, PASSWORD) == 303
    assert sessions_of(servers.url, colleague) == before + 1
    assert audited(servers.url, colleague)[-1] == "signed in"
    # The attacker's guesses on the locked account are still refused, its right password too
    # from this address; from anywhere else its owner signs in.
    assert guess(VICTIM, "guess 7") == 429
    victim_sessions = sessions_of(servers.url, VICTIM)
    assert attempt(servers.behind_proxy, nat, VICTIM, PASSWORD) == 429
    assert sessions_of(servers.url, VICTIM) == victim_sessions
    assert attempt(servers.behind_proxy, "198.51.100.20", VICTIM, PASSWORD) == 303
    # The slowed address's failures say so in the audit log.
    assert any("held back" in what for what in audited(servers.url, email))


def test_strict_transport_security_only_over_https(servers: Servers) -> None:
    https = {"X-Forwarded-Proto": "https"}
    for path in ("/", "/static/homeflow.css", "/overview"):
        secure = httpx.get(servers.behind_proxy + path, headers=https, timeout=30)
        assert secure.headers.get("strict-transport-security") == "max-age=31536000", path
        plain = httpx.get(servers.behind_proxy + path, timeout=30)
        assert "strict-transport-security" not in plain.headers, path
        # A proxy homeflow was not told to trust cannot make an answer HTTPS.
        untrusted = httpx.get(servers.untrusting + path, headers=https, timeout=30)
        assert "strict-transport-security" not in untrusted.headers, path
