"""What a spell's form may say beyond its fields' own shapes: dates bounded by what they mean (a
discharge ready date from the admission to today, a due date from today to a year ahead), an
action's owner and a referral's provider organisations of the registry, and whether the form
would change anything at all.
The form is read with every problem at once (`checked`), each naming its field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from homeflow.domain import events as ev
from homeflow.domain.clock import local_date, parse_day
from homeflow.domain.errors import InvalidInput, Problems
from homeflow.domain.forms import form_named
from homeflow.domain.spell import Action, SpellState

Fields = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Limits:
    """What bounds a form, read where it is posted: today, the spell as it stands (its
    admission, its actions) and the registry's organisations (an action's owner, a
    referral's provider)."""

    today: date
    state: SpellState | None = None
    organisations: frozenset[str] | None = None

    @property
    def admitted_on(self) -> date | None:
        admitted = self.state.admitted_at if self.state is not None else None
        return local_date(admitted) if admitted is not None else None

    def action(self, action_id: str) -> Action | None:
        actions = self.state.actions if self.state is not None else ()
        return next((a for a in actions if action_id and a.action_id == action_id), None)


def a_year_after(day: date) -> date:
    """The same day a year on (28 February after a 29th)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def bounded_day(
    name: str, day: date, earliest: tuple[date, str] | None, latest: tuple[date, str]
) -> date:
    """`day` if it lies within the bounds (each a date and what it is, both inclusive); else
    an error naming the field, the day and the bound it passes."""
    if earliest is not None and day < earliest[0]:
        raise InvalidInput(
            name, f"is {day:%d/%m/%Y}, before {earliest[1]} ({earliest[0]:%d/%m/%Y})"
        )
    if day > latest[0]:
        raise InvalidInput(name, f"is {day:%d/%m/%Y}, after {latest[1]} ({latest[0]:%d/%m/%Y})")
    return day


def ready_date(name: str, day: date, admitted_on: date | None, today: date) -> date:
    """A discharge ready date: not before the admission, not after today (a patient is
    ready from a day that has come)."""
    earliest = (admitted_on, "the admission") if admitted_on is not None else None
    return bounded_day(name, day, earliest, (today, "today"))


def due_date(name: str, day: date, today: date) -> date:
    """An action's due date: from today to a year ahead."""
    return bounded_day(name, day, (today, "today"), (a_year_after(today), "a year from today"))


def organisation(name: str, code: str, organisations: frozenset[str] | None) -> str:
    """An organisation chosen from the registry's (any, when they are not known)."""
    if organisations is not None and code not in organisations:
        raise InvalidInput(name, f"{code!r} is not an organisation of the registry")
    return code


def _day_in(fields: Fields, name: str) -> date | None:
    """The day a field gives, if it gives one (its shape is the form's to report)."""
    try:
        return parse_day(name, fields.get(name) or "")
    except InvalidInput:
        return None


def _out_of_bounds(form_name: str, fields: Fields, limits: Limits) -> list[InvalidInput]:
    problems = Problems()
    does_not_meet = form_name == "criteria" and (fields.get("meets") or "").strip() == "no"
    if does_not_meet and (ready := _day_in(fields, "discharge_ready_date")) is not None:
        problems.check(ready_date, "discharge_ready_date", ready, limits.admitted_on, limits.today)
    provider = (fields.get("provider_org") or "").strip()
    if form_name == "referral" and fields.get("step") == "make" and provider:
        problems.check(organisation, "provider_org", provider, limits.organisations)
    if form_name == "action":
        # What the action already says stands: marking an overdue action done is no new date.
        kept = limits.action((fields.get("action_id") or "").strip())
        org = (fields.get("owner_org") or "").strip()
        if org and (kept is None or org != kept.owner_org):
            problems.check(organisation, "owner_org", org, limits.organisations)
        due = _day_in(fields, "due_date")
        if due is not None and (kept is None or due != kept.due_date):
            problems.check(due_date, "due_date", due, limits.today)
    if form_name == "mh-delay":
        earliest = (limits.admitted_on, "the admission") if limits.admitted_on else None
        for name in ("start_date", "end_date"):
            if (day := _day_in(fields, name)) is not None:
                problems.check(bounded_day, name, day, earliest, (limits.today, "today"))
    return problems.found


def checked(form_name: str, fields: Fields, limits: Limits | None) -> ev.Payload:
    """The event a posted form records, or every problem with it at once: its fields' own
    and, where the limits are known, the bounds they pass (one problem a field)."""
    problems = Problems()
    payload = problems.check(lambda: form_named(form_name).parse(fields))
    if limits is not None:
        named = {p.field for p in problems.found}
        problems.found += [
            p for p in _out_of_bounds(form_name, fields, limits) if p.field not in named
        ]
    problems.done()
    assert payload is not None
    return payload


def changes_nothing(state: SpellState, payload: ev.Payload) -> bool:
    """Whether recording `payload` would leave what it sets as it already reads."""
    match payload:
        case ev.CriteriaToResideAssessed():
            if state.meets_criteria is not payload.meets:
                return False
            if payload.meets:
                return set(payload.criteria) == set(state.criteria)
            return payload.discharge_ready_date == state.discharge_ready_date
        case ev.ExpectedDischargeDateSet():
            return (payload.expected_discharge_date, payload.clinical_criteria) == (
                state.expected_discharge_date,
                state.clinical_criteria,
            )
        case ev.PathwayAssigned():
            return payload.pathway == state.pathway
        case ev.ActionRecorded():
            kept = next((a for a in state.actions if a.action_id == payload.action_id), None)
            said = (payload.description, payload.owner, payload.owner_org, payload.due_date)
            return kept is not None and (*said, payload.status.value) == (
                kept.description,
                kept.owner,
                kept.owner_org,
                kept.due_date,
                kept.status,
            )
        case ev.MhDelayRecorded():
            period = next((p for p in state.mh_delays if p.period_id == payload.period_id), None)
            return period is not None and (
                period.start_date,
                period.end_date,
                period.reason,
                period.attributable_to,
            ) == (payload.start_date, payload.end_date, payload.reason, payload.attributable_to)
    return False
