"""A system's own settings, from the TOML file named by HOMEFLOW_CONFIG (defaults otherwise).

[pressure.occupancy_percent]
level_2 = 85
level_3 = 92
level_4 = 97

[pressure.nctr_per_100_beds]
level_2 = 15
level_3 = 22
level_4 = 30

[daily_call]
escalate_after_days_delayed = 14

[opel.ambulance-handover]   # any OPEL parameter; the acute bed ones take only a weight
level_2 = 15
level_3 = 30
level_4 = 45
weight = 1
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from homeflow.domain.clock import FUTURE_TOLERANCE
from homeflow.domain.errors import InvalidInput
from homeflow.domain.escalation import EscalationRules, Thresholds
from homeflow.domain.forms import MAX_TEXT_CHARS
from homeflow.domain.identity import IdentityProviderSettings, IdentityRule, SignInSettings
from homeflow.domain.opel import CODES as OPEL_CODES
from homeflow.domain.opel import DEFAULT_PARAMETERS, PRESSURE_MEASURES
from homeflow.domain.organisations import check_ods_code
from homeflow.domain.privacy import Role
from homeflow.domain.toml_text import read_toml


def settings(path: str | None = None) -> dict[str, Any]:
    """The settings file as TOML tables ({} when there is none)."""
    path = path or os.environ.get("HOMEFLOW_CONFIG")
    if not path:
        return {}
    try:
        text = Path(path).read_text("utf-8")
    except OSError as error:
        raise InvalidInput("HOMEFLOW_CONFIG", f"cannot read {path}: {error.strerror}") from None
    return read_toml(text, "HOMEFLOW_CONFIG")


def escalation_rules(path: str | None = None) -> EscalationRules:
    found = settings(path)
    defaults = EscalationRules()
    pressure = found.get("pressure", {})
    daily_call = found.get("daily_call", {})
    days = daily_call.get("escalate_after_days_delayed", defaults.escalate_after_days_delayed)
    if not isinstance(days, int) or isinstance(days, bool):
        raise InvalidInput("daily_call.escalate_after_days_delayed", "must be a whole number")
    return EscalationRules(
        occupancy_percent=_thresholds(pressure, "occupancy_percent", defaults.occupancy_percent),
        nctr_per_100_beds=_thresholds(pressure, "nctr_per_100_beds", defaults.nctr_per_100_beds),
        escalate_after_days_delayed=days,
    )


def opel_settings(path: str | None = None) -> tuple[dict[str, Thresholds], dict[str, int]]:
    """The thresholds and weights a system set for its OPEL parameters (`[opel.<parameter>]`:
    level_2, level_3, level_4, weight). A parameter keeps its direction (less is worse for a
    performance) whatever the file says; the acute bed parameters take their thresholds from
    `[pressure.*]`, so only their weight is set here."""
    section = settings(path).get("opel", {})
    levels = {"level_2", "level_3", "level_4"}
    weights: dict[str, int] = {}
    for name, given in section.items():
        if name not in OPEL_CODES:
            raise InvalidInput(f"opel.{name}", "is not an OPEL parameter")
        if not isinstance(given, dict):
            raise InvalidInput(
                f"opel.{name}", "must be a table of level_2, level_3, level_4, weight"
            )
        allowed = {"weight"} if name in PRESSURE_MEASURES else levels | {"weight"}
        for key in sorted(set(given) - allowed):
            why = (
                f"is set by [pressure.{PRESSURE_MEASURES[name]}]"
                if key in levels
                else "is not a setting"
            )
            raise InvalidInput(f"opel.{name}.{key}", why)
        weight = given.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 10:
            raise InvalidInput(f"opel.{name}.weight", "must be a whole number from 1 to 10")
        weights[name] = weight
    thresholds = {
        p.code: _thresholds(section, p.code, p.thresholds, "opel")
        for p in DEFAULT_PARAMETERS
        if p.code in section and p.code not in PRESSURE_MEASURES
    }
    return thresholds, weights


def _thresholds(
    section: dict[str, Any], name: str, default: Thresholds, table: str = "pressure"
) -> Thresholds:
    given = section.get(name)
    if given is None:
        return default
    if not isinstance(given, dict):
        raise InvalidInput(f"{table}.{name}", "must be a table of level_2, level_3 and level_4")
    values = []
    for level in ("level_2", "level_3", "level_4"):
        value = given.get(level, getattr(default, level))
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise InvalidInput(f"{table}.{name}.{level}", "must be a number")
        values.append(float(value))
    try:
        return Thresholds(values[0], values[1], values[2], default.falling)
    except InvalidInput as error:
        raise InvalidInput(f"{table}.{name}", error.reason) from None


def base_url(path: str | None = None) -> str:
    """The address people and systems reach homeflow at, for the links the FHIR API returns
    (never the Host header a caller sent): HOMEFLOW_BASE_URL, else `[web] base_url` in the
    settings file, else http://127.0.0.1:8000."""
    url = os.environ.get("HOMEFLOW_BASE_URL") or settings(path).get("web", {}).get(
        "base_url", "http://127.0.0.1:8000"
    )
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvalidInput("web.base_url", "must be an http:// or https:// address")
    return url.rstrip("/")


def max_text_chars(path: str | None = None) -> int:
    """The longest text a form field may hold: HOMEFLOW_MAX_TEXT_CHARS, else `[web]
    max_text_chars`, else 2,000; never more than the domain's own cap (forms.MAX_TEXT_CHARS)."""
    value = os.environ.get("HOMEFLOW_MAX_TEXT_CHARS") or settings(path).get("web", {}).get(
        "max_text_chars", MAX_TEXT_CHARS
    )
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("web.max_text_chars", "must be a whole number") from None
    if not 1 <= number <= MAX_TEXT_CHARS:
        raise InvalidInput("web.max_text_chars", f"must be from 1 to {MAX_TEXT_CHARS:,}")
    return number


def fhir_requests_per_minute(path: str | None = None) -> int:
    """How many FHIR calls one token may make a minute: HOMEFLOW_FHIR_REQUESTS_PER_MINUTE, else
    `[fhir] requests_per_minute`, else 600 (ten a second: a busy trust's feed, not a scraper)."""
    value = os.environ.get("HOMEFLOW_FHIR_REQUESTS_PER_MINUTE") or settings(path).get(
        "fhir", {}
    ).get("requests_per_minute", 600)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("fhir.requests_per_minute", "must be a whole number") from None
    if number < 1:
        raise InvalidInput("fhir.requests_per_minute", "must be at least 1")
    return number


def models_folder(path: str | None = None) -> Path:
    """Where the web app finds model files (`*.toml`) and scenarios (`scenarios/*.toml`):
    HOMEFLOW_MODELS, else `[simulation] models` in the settings file, else var/models."""
    folder = os.environ.get("HOMEFLOW_MODELS") or settings(path).get("simulation", {}).get(
        "models", "var/models"
    )
    if not isinstance(folder, str):
        raise InvalidInput("simulation.models", "must be a folder name")
    return Path(folder)


def models_system(path: str | None = None) -> str | None:
    """The system whose models folder it is, whose planners alone see and change its scenarios
    (domain/planning): HOMEFLOW_MODELS_SYSTEM, else `[simulation] system`; unset, the one
    system whose organisations hold sites (store/simulation_runs.planning_system)."""
    code = os.environ.get("HOMEFLOW_MODELS_SYSTEM") or settings(path).get("simulation", {}).get(
        "system"
    )
    if code is None:
        return None
    return check_ods_code("simulation.system", str(code))


def future_tolerance(path: str | None = None) -> timedelta:
    """How far ahead of the clock a fed event may be and still be stored (a sender's clock runs
    a little fast): HOMEFLOW_FUTURE_TOLERANCE_MINUTES, else `[event_log]
    future_tolerance_minutes`, else 5 minutes."""
    value = os.environ.get("HOMEFLOW_FUTURE_TOLERANCE_MINUTES") or settings(path).get(
        "event_log", {}
    ).get("future_tolerance_minutes", FUTURE_TOLERANCE.total_seconds() / 60)
    try:
        minutes = float(value)
    except (TypeError, ValueError):
        raise InvalidInput("event_log.future_tolerance_minutes", "must be a number") from None
    if not 0 <= minutes <= 24 * 60:
        raise InvalidInput("event_log.future_tolerance_minutes", "must be from 0 to 1,440")
    return timedelta(minutes=minutes)


def mappings_folder(path: str | None = None) -> Path:
    """Where each feed's mapping is kept, `{source}.toml`, for the feeds page to edit and the
    listener to read: HOMEFLOW_MAPPINGS, else `[feeds] mappings`, else var/mappings."""
    folder = os.environ.get("HOMEFLOW_MAPPINGS") or settings(path).get("feeds", {}).get(
        "mappings", "var/mappings"
    )
    if not isinstance(folder, str):
        raise InvalidInput("feeds.mappings", "must be a folder name")
    return Path(folder)


def audit_retention_days(path: str | None = None) -> int | None:
    """How many days the audit log keeps rows (`homeflow audit prune`):
    HOMEFLOW_AUDIT_RETENTION_DAYS, else `[audit] retention_days`, else none set (keep all)."""
    value = os.environ.get("HOMEFLOW_AUDIT_RETENTION_DAYS") or settings(path).get("audit", {}).get(
        "retention_days"
    )
    if value is None:
        return None
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("audit.retention_days", "must be a whole number of days") from None
    if days < 1:
        raise InvalidInput("audit.retention_days", "must be at least 1")
    return days


def session_limits(path: str | None = None) -> tuple[timedelta, timedelta]:
    """How long a session lasts at most, and unused: HOMEFLOW_SESSION_LIFETIME_HOURS and
    HOMEFLOW_SESSION_IDLE_MINUTES, else `[sessions] lifetime_hours` and `idle_minutes`, else
    12 hours and 60 minutes."""
    section = settings(path).get("sessions", {})
    found = []
    for name, env, default, low, high in (
        ("lifetime_hours", "HOMEFLOW_SESSION_LIFETIME_HOURS", 12, 1, 24 * 7),
        ("idle_minutes", "HOMEFLOW_SESSION_IDLE_MINUTES", 60, 1, 24 * 60),
    ):
        value = os.environ.get(env) or section.get(name, default)
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise InvalidInput(f"sessions.{name}", "must be a whole number") from None
        if not low <= number <= high:
            raise InvalidInput(f"sessions.{name}", f"must be from {low} to {high:,}")
        found.append(number)
    return timedelta(hours=found[0]), timedelta(minutes=found[1])


def sign_in_settings(path: str | None = None) -> SignInSettings:
    """How people sign in: `[sign_in] local_passwords` (default true) and, optionally, an
    OpenID Connect provider in `[sign_in.provider]` with its `[[sign_in.provider.rules]]`.
    The client secret comes from HOMEFLOW_OIDC_CLIENT_SECRET (else `client_secret`)."""
    section = settings(path).get("sign_in", {})
    local = section.get("local_passwords", True)
    if not isinstance(local, bool):
        raise InvalidInput("sign_in.local_passwords", "must be true or false")
    found = section.get("provider")
    provider = None if found is None else _identity_provider(found)
    if not local and provider is None:
        raise InvalidInput("sign_in.local_passwords", "false needs a [sign_in.provider]")
    return SignInSettings(local, provider)


def _identity_provider(found: object) -> IdentityProviderSettings:
    if not isinstance(found, dict):
        raise InvalidInput("sign_in.provider", "must be a table")

    def text(name: str, default: str | None = None) -> str:
        value = found.get(name, default)
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput(f"sign_in.provider.{name}", "must be given as text")
        return value.strip()

    issuer = text("issuer")
    if not issuer.startswith(("https://", "http://")):
        raise InvalidInput("sign_in.provider.issuer", "must be an https:// address")
    secret = os.environ.get("HOMEFLOW_OIDC_CLIENT_SECRET") or found.get("client_secret")
    if not isinstance(secret, str) or not secret:
        raise InvalidInput("sign_in.provider.client_secret", "set HOMEFLOW_OIDC_CLIENT_SECRET")
    scopes = found.get("scopes", ["openid", "email", "profile"])
    if not isinstance(scopes, list) or "openid" not in scopes:
        raise InvalidInput("sign_in.provider.scopes", "must be a list that includes openid")
    provision = found.get("provision", False)
    if not isinstance(provision, bool):
        raise InvalidInput("sign_in.provider.provision", "must be true or false")
    rules = found.get("rules", [])
    if not isinstance(rules, list) or not rules:
        raise InvalidInput("sign_in.provider.rules", "give at least one rule")
    return IdentityProviderSettings(
        name=text("name", "your organisation's account"),
        issuer=issuer.rstrip("/"),
        client_id=text("client_id"),
        client_secret=secret,
        scopes=tuple(str(scope) for scope in scopes),
        email_claim=text("email_claim", "email"),
        rules=tuple(_identity_rule(rule, n) for n, rule in enumerate(rules, 1)),
        provision=provision,
    )


def _identity_rule(rule: object, number: int) -> IdentityRule:
    field = f"sign_in.provider.rules[{number}]"
    if not isinstance(rule, dict):
        raise InvalidInput(field, "must be a table")
    for name in ("claim", "value", "org", "role"):
        if not isinstance(rule.get(name), str) or not rule[name]:
            raise InvalidInput(f"{field}.{name}", "must be given as text")
    role = Role.parse(rule["role"], f"{field}.role")
    return IdentityRule(rule["claim"], rule["value"], rule["org"], role)


def beds_cleaned_after_discharge(path: str | None = None) -> frozenset[str]:
    """The trusts whose beds wait for cleaning when a patient leaves them, `[beds]
    awaiting_cleaning_after_discharge = ["RX1", ...]`; elsewhere a vacated bed is free at once
    (docs/beds.md). Each must be an organisation code."""
    value = settings(path).get("beds", {}).get("awaiting_cleaning_after_discharge", [])
    name = "beds.awaiting_cleaning_after_discharge"
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(name, "must be a list of trusts' codes")
    for code in value:
        check_ods_code(name, code)
    return frozenset(value)
