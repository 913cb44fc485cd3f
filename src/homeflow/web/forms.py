"""Turning a posted form into the event it records, or an error naming the field."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import date
from enum import StrEnum
from typing import TypeVar

from homeflow.domain import events as ev
from homeflow.domain.errors import InvalidInput
from homeflow.store.access import Change

E = TypeVar("E", bound=StrEnum)


def _text(form: Mapping[str, str], name: str) -> str:
    return (form.get(name) or "").strip()


def _required(form: Mapping[str, str], name: str) -> str:
    value = _text(form, name)
    if not value:
        raise InvalidInput(name, "is required")
    return value


def _date(form: Mapping[str, str], name: str, required: bool = True) -> date | None:
    value = _text(form, name)
    if not value:
        if required:
            raise InvalidInput(name, "is required")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(name, f"{value!r} is not a date (YYYY-MM-DD)") from None


def _choice(form: Mapping[str, str], name: str, kind: type[E]) -> E:
    value = _required(form, name)
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(k.value for k in kind)
        raise InvalidInput(name, f"{value!r} is not one of {allowed}") from None


def _edd(form: Mapping[str, str]) -> ev.Payload:
    edd = _date(form, "expected_discharge_date")
    assert edd is not None
    return ev.ExpectedDischargeDateSet(edd, _text(form, "clinical_criteria"))


def _criteria(form: Mapping[str, str]) -> ev.Payload:
    meets = _required(form, "meets")
    if meets not in ("yes", "no"):
        raise InvalidInput("meets", "answer yes or no")
    if meets == "yes":
        return ev.CriteriaToResideAssessed(True, tuple(_text(form, "criteria").split()))
    return ev.CriteriaToResideAssessed(False, (), _date(form, "discharge_ready_date"))


def _delay_reason(form: Mapping[str, str]) -> ev.Payload:
    if _text(form, "clear") == "yes":
        return ev.DelayReasonCleared()
    return ev.DelayReasonSet(
        reason=_text(form, "reason") or None,
        dtoc_reason=_text(form, "dtoc_reason") or None,
        responsible_agency=_text(form, "responsible_agency") or None,
    )


def _day(form: Mapping[str, str]) -> ev.Payload:
    day = _date(form, "day")
    assert day is not None
    return ev.RedGreenDayRecorded(
        day, _choice(form, "colour", ev.DayColour), _text(form, "red_reason") or None
    )


def _referral(form: Mapping[str, str]) -> ev.Payload:
    step = _required(form, "step")
    if step == "make":
        return ev.ReferralMade(
            _text(form, "referral_id") or f"R-{uuid.uuid4().hex[:10]}",
            _choice(form, "service", ev.ReferralService),
            _text(form, "provider_org") or None,
        )
    referral_id = _required(form, "referral_id")
    if step == "accept":
        return ev.ReferralAccepted(referral_id, _text(form, "trusted_assessment") == "yes")
    if step == "decline":
        return ev.ReferralDeclined(referral_id, _required(form, "decline_reason"))
    if step == "complete":
        return ev.ReferralCompleted(referral_id)
    raise InvalidInput("step", f"{step!r} is not one of make, accept, decline, complete")


def _chc_assessment(form: Mapping[str, str]) -> ev.Payload:
    assessed = _date(form, "assessment_date")
    assert assessed is not None
    eligible = _text(form, "eligible")
    if eligible not in ("", "yes", "no"):
        raise InvalidInput("eligible", "answer yes, no or leave blank")
    return ev.ChcAssessmentRecorded(
        assessed,
        _choice(form, "setting", ev.CareSetting),
        _date(form, "decision_date", required=False),
        None if not eligible else eligible == "yes",
    )


def _action(form: Mapping[str, str]) -> ev.Payload:
    return ev.ActionRecorded(
        action_id=_text(form, "action_id") or f"A-{uuid.uuid4().hex[:10]}",
        description=_required(form, "description"),
        owner=_required(form, "owner"),
        owner_org=_text(form, "owner_org") or None,
        due_date=_date(form, "due_date", required=False),
        status=_choice(form, "status", ev.ActionStatus)
        if _text(form, "status")
        else ev.ActionStatus.OPEN,
    )


PARSERS: dict[str, Callable[[Mapping[str, str]], ev.Payload]] = {
    "edd": _edd,
    "criteria": _criteria,
    "delay-reason": _delay_reason,
    "pathway": lambda f: ev.PathwayAssigned(_required(f, "pathway")),
    "day": _day,
    "senior-review": lambda f: ev.SeniorReviewRecorded(_text(f, "reviewer")),
    "referral": _referral,
    "chc-checklist": lambda f: ev.ChcChecklistCompleted(_choice(f, "outcome", ev.ChecklistOutcome)),
    "chc-assessment": _chc_assessment,
    "action": _action,
    "stranded-review": lambda f: ev.StrandedReviewRecorded(
        _choice(f, "outcome", ev.ReviewOutcome), _text(f, "actions")
    ),
}


def parse_change(form_name: str, form: Mapping[str, str]) -> Change:
    parser = PARSERS.get(form_name)
    if parser is None:
        raise InvalidInput("form", f"{form_name!r} is not a form homeflow knows")
    return Change(form_name, parser(form), _text(form, "seen"), dict(form))
