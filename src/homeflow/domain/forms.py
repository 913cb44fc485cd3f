"""The forms people change a spell with, each defined once: how a posted form becomes the event
it records, what the form shows (which a conflicting change would alter), and the pages that
show it. Adding a form means adding one entry to FORMS; who may record it is `writes.refusal`."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from homeflow.domain import events as ev
from homeflow.domain.clock import parse_day
from homeflow.domain.errors import InvalidInput, Problems
from homeflow.domain.spell import Action, SpellState

E = TypeVar("E", bound=StrEnum)

Fields = Mapping[str, str]


# Longer than any clinical criteria or action anyone types: a limit so that one form cannot
# fill every whiteboard that shows it.
MAX_TEXT_CHARS = 2000


def _text(form: Fields, name: str) -> str:
    value = (form.get(name) or "").strip()
    if len(value) > MAX_TEXT_CHARS:
        raise InvalidInput(name, f"is {len(value):,} characters; at most {MAX_TEXT_CHARS:,}")
    return value


def _required(form: Fields, name: str) -> str:
    value = _text(form, name)
    if not value:
        raise InvalidInput(name, "is required")
    return value


def _date(form: Fields, name: str) -> date:
    return parse_day(name, _required(form, name))


def _optional_date(form: Fields, name: str) -> date | None:
    value = _text(form, name)
    return parse_day(name, value) if value else None


def _choice(form: Fields, name: str, kind: type[E]) -> E:
    value = _required(form, name)
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(k.value for k in kind)
        raise InvalidInput(name, f"{value!r} is not one of {allowed}") from None


# ---- What a form shows, compared on save to detect someone else's change -----------------


def action_seen(action: Action) -> str:
    return f"{action.status} {action.owner} {action.due_date or ''}".strip()


def review_seen(last_review_at: datetime | None) -> str:
    return last_review_at.astimezone(UTC).isoformat() if last_review_at else ""


def _current_reason(s: SpellState, _f: Fields) -> str:
    reason = s.current_delay_reason
    if reason is None:
        return ""
    return " ".join(x for x in (reason.reason, reason.dtoc_reason, reason.responsible_agency) if x)


def _day_seen(s: SpellState, f: Fields) -> str:
    for r in s.day_ratings:
        if str(r.day) == f.get("day"):
            return f"{r.colour} {r.red_reason or ''}".strip()
    return ""


# ---- How each form becomes an event -------------------------------------------------------


def _read(form: Fields, **reads: Callable[[Fields, str], Any]) -> dict[str, Any]:
    """Each field read as its reader reads it, or every field's problem at once."""
    problems = Problems()
    values = {name: problems.check(read, form, name) for name, read in reads.items()}
    problems.done()
    return values


def _edd(form: Fields) -> ev.Payload:
    v = _read(form, expected_discharge_date=_date, clinical_criteria=_text)
    return ev.ExpectedDischargeDateSet(v["expected_discharge_date"], v["clinical_criteria"])


def _meets(form: Fields, name: str) -> str:
    meets = _required(form, name)
    if meets not in ("yes", "no"):
        raise InvalidInput(name, "answer yes or no")
    return meets


def _criteria(form: Fields) -> ev.Payload:
    if (form.get("meets") or "").strip() != "no":
        v = _read(form, meets=_meets, criteria=_text)
        return ev.CriteriaToResideAssessed(True, tuple(v["criteria"].split()))
    v = _read(form, meets=_meets, discharge_ready_date=_date)
    return ev.CriteriaToResideAssessed(False, (), v["discharge_ready_date"])


def _delay_reason(form: Fields) -> ev.Payload:
    if _text(form, "clear") == "yes":
        return ev.DelayReasonCleared()
    return ev.DelayReasonSet(
        reason=_text(form, "reason") or None,
        dtoc_reason=_text(form, "dtoc_reason") or None,
        responsible_agency=_text(form, "responsible_agency") or None,
    )


def _colour(form: Fields, name: str) -> ev.DayColour:
    return _choice(form, name, ev.DayColour)


def _day(form: Fields) -> ev.Payload:
    v = _read(form, day=_date, colour=_colour, red_reason=_text)
    return ev.RedGreenDayRecorded(v["day"], v["colour"], v["red_reason"] or None)


def _referral(form: Fields) -> ev.Payload:
    step = _required(form, "step")
    if step == "make":
        v = _read(form, referral_id=_text, service=_service, provider_org=_text)
        return ev.ReferralMade(
            v["referral_id"] or f"R-{uuid.uuid4().hex[:10]}",
            v["service"],
            v["provider_org"] or None,
        )
    referral_id = _required(form, "referral_id")
    if step == "accept":
        return ev.ReferralAccepted(referral_id, _text(form, "trusted_assessment") == "yes")
    if step == "decline":
        return ev.ReferralDeclined(referral_id, _required(form, "decline_reason"))
    if step == "complete":
        return ev.ReferralCompleted(referral_id)
    raise InvalidInput("step", f"{step!r} is not one of make, accept, decline, complete")


def _service(form: Fields, name: str) -> ev.ReferralService:
    return _choice(form, name, ev.ReferralService)


def _eligible(form: Fields, name: str) -> bool | None:
    eligible = _text(form, name)
    if eligible not in ("", "yes", "no"):
        raise InvalidInput(name, "answer yes, no or leave blank")
    return None if not eligible else eligible == "yes"


def _setting(form: Fields, name: str) -> ev.CareSetting:
    return _choice(form, name, ev.CareSetting)


def _chc_assessment(form: Fields) -> ev.Payload:
    v = _read(
        form,
        assessment_date=_date,
        setting=_setting,
        decision_date=_optional_date,
        eligible=_eligible,
    )
    return ev.ChcAssessmentRecorded(
        v["assessment_date"], v["setting"], v["decision_date"], v["eligible"]
    )


def _status(form: Fields, name: str) -> ev.ActionStatus:
    return _choice(form, name, ev.ActionStatus) if _text(form, name) else ev.ActionStatus.OPEN


def _action(form: Fields) -> ev.Payload:
    """An action, every field's problem at once (whether its organisation and due date are
    within bounds is `form_bounds`' to say)."""
    v = _read(
        form,
        action_id=_text,
        description=_required,
        owner=_required,
        owner_org=_text,
        due_date=_optional_date,
        status=_status,
    )
    return ev.ActionRecorded(
        action_id=v["action_id"] or f"A-{uuid.uuid4().hex[:10]}",
        description=v["description"],
        owner=v["owner"],
        owner_org=v["owner_org"] or None,
        due_date=v["due_date"],
        status=v["status"],
        escalation=_text(form, "escalation") == "yes",
    )


def _stranded_review(form: Fields) -> ev.Payload:
    """A review as the MDT holds it: its outcome chosen (none is assumed), who reviewed and
    the actions agreed, every missing one named at once."""
    v = _read(form, outcome=_review_outcome, reviewer=_required, actions=_required)
    return ev.StrandedReviewRecorded(v["outcome"], v["actions"], v["reviewer"])


def _review_outcome(form: Fields, name: str) -> ev.ReviewOutcome:
    if not _text(form, name):
        raise InvalidInput(name, "is required: choose what the review concluded")
    return _choice(form, name, ev.ReviewOutcome)


def _mh_delay(form: Fields) -> ev.Payload:
    """A mental health delayed discharge period, new (no period_id) or as corrected or ended."""
    v = _read(
        form,
        period_id=_text,
        start_date=_date,
        end_date=_optional_date,
        reason=_required,
        attributable_to=_required,
    )
    return ev.MhDelayRecorded(
        v["period_id"] or f"MH-{uuid.uuid4().hex[:10]}",
        v["start_date"],
        v["reason"],
        v["attributable_to"],
        v["end_date"],
    )


def mh_delay_seen(s: SpellState, f: Fields) -> str:
    """A period as its form shows it: start, end, reason and attributable to."""
    kept = next((p for p in s.mh_delays if p.period_id == f.get("period_id")), None)
    if kept is None:
        return ""
    return f"{kept.start_date} {kept.end_date or ''} {kept.reason} {kept.attributable_to}"


# ---- The registry ---------------------------------------------------------------------------

WHITEBOARD = "whiteboard"
SPELL_PAGE = "spell page"
DAILY_CALL = "daily call"
STRANDED_LIST = "stranded list"
REFERRALS_BOARD = "referrals board"


@dataclass(frozen=True, slots=True)
class Form:
    name: str
    parse: Callable[[Fields], ev.Payload]
    # The value the form showed, read from the spell: a save is refused if it now differs.
    reads: Callable[[SpellState, Fields], str]
    shown_on: frozenset[str] = field(default_factory=lambda: frozenset({SPELL_PAGE}))


def _forms(*forms: Form) -> dict[str, Form]:
    return {f.name: f for f in forms}


FORMS: dict[str, Form] = _forms(
    Form(
        "edd",
        _edd,
        lambda s, _f: f"{s.expected_discharge_date or ''} {s.clinical_criteria}".strip(),
        frozenset({WHITEBOARD, SPELL_PAGE}),
    ),
    Form(
        "criteria",
        _criteria,
        lambda s, _f: (
            "" if s.meets_criteria is None else f"{s.meets_criteria} {s.discharge_ready_date or ''}"
        ).strip(),
        frozenset({WHITEBOARD, SPELL_PAGE}),
    ),
    Form("delay-reason", _delay_reason, _current_reason, frozenset({WHITEBOARD, SPELL_PAGE})),
    Form(
        "pathway",
        lambda f: ev.PathwayAssigned(_required(f, "pathway")),
        lambda s, _f: s.pathway or "",
        frozenset({WHITEBOARD, SPELL_PAGE}),
    ),
    Form("day", _day, _day_seen, frozenset({WHITEBOARD, SPELL_PAGE})),
    Form(
        "senior-review",
        lambda f: ev.SeniorReviewRecorded(_text(f, "reviewer")),
        lambda s, _f: str(s.last_senior_review_at or ""),
        frozenset({WHITEBOARD, SPELL_PAGE}),
    ),
    Form(
        "referral",
        _referral,
        lambda s, f: next(
            (r.status for r in s.referrals if r.referral_id == f.get("referral_id")), ""
        ),
        frozenset({REFERRALS_BOARD, SPELL_PAGE}),
    ),
    Form(
        "chc-checklist",
        lambda f: ev.ChcChecklistCompleted(_choice(f, "outcome", ev.ChecklistOutcome)),
        lambda s, _f: s.chc_checklist or "",
    ),
    Form("chc-assessment", _chc_assessment, lambda s, _f: str(s.chc_assessment_date or "")),
    Form(
        "action",
        _action,
        lambda s, f: next(
            (action_seen(a) for a in s.actions if a.action_id == f.get("action_id")), ""
        ),
        frozenset({DAILY_CALL, SPELL_PAGE}),
    ),
    Form(
        "stranded-review",
        _stranded_review,
        lambda s, _f: review_seen(
            s.stranded_reviews[-1].reviewed_at if s.stranded_reviews else None
        ),
        frozenset({STRANDED_LIST, SPELL_PAGE}),
    ),
    Form("mh-delay", _mh_delay, mh_delay_seen),
)


def form_named(name: str) -> Form:
    found = FORMS.get(name)
    if found is None:
        raise InvalidInput("form", f"{name!r} is not a form homeflow knows")
    return found


def shown_on(page: str) -> tuple[str, ...]:
    """The forms a page shows, in registry order."""
    return tuple(name for name, f in FORMS.items() if page in f.shown_on)
