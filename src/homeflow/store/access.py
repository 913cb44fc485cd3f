"""The signed-in user's window on the record: every page's data, scoped and audited here.

Organisation scoping lives in this data-access layer, not in templates: a row for a patient
outside the viewer's organisations never carries a name or NHS number, a spell page for
one is refused, and every look at or change to identifiable data is written to the audit
log in the same transaction. Changes are events, appended through the event log.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Engine, Select, desc, func, select

from homeflow.domain import codes
from homeflow.domain import events as ev
from homeflow.domain.clock import local_date
from homeflow.domain.errors import InvalidInput
from homeflow.domain.escalation import EscalationRules, escalation_flags
from homeflow.domain.flow import STRANDED_DAYS, SUPER_STRANDED_DAYS, days_delayed_since
from homeflow.domain.privacy import (
    READS_AUDIT,
    RECORDS_ACTIONS,
    RECORDS_CARE,
    Role,
    age_on,
    format_nhs_number,
    initials,
    may_identify,
)
from homeflow.domain.spell import Action, SpellState, SpellStatus, fold_spell
from homeflow.store import db
from homeflow.store import projections as proj
from homeflow.store import schema as t
from homeflow.store.codec import event_from_row, from_db_time, to_db_time
from homeflow.store.eventlog import append_in, lock_writers
from homeflow.store.queries import census

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Viewer:
    email: str
    org_code: str
    role: Role
    client: str  # where the request came from, for the audit log


class Forbidden(Exception):
    """The viewer's organisation is not involved in this patient's care, or their role
    does not allow the change."""


class NotFound(Exception):
    pass


class Conflict(Exception):
    """Someone else changed the same thing since the form was opened."""

    def __init__(
        self, what: str, now_reads: str, changed_by: str | None, changed_at: datetime | None
    ) -> None:
        super().__init__(f"{what} was changed by {changed_by or 'someone else'}")
        self.what = what
        self.now_reads = now_reads
        self.changed_by = changed_by
        self.changed_at = changed_at


@dataclass(frozen=True, slots=True)
class PatientLabel:
    name: str  # full name, or initials for someone outside the patient's care
    nhs_number: str | None
    age: int | None
    identified: bool


def audit(
    conn: Connection,
    viewer: Viewer,
    action: str,
    what: str,
    spell_key: str | None = None,
) -> None:
    conn.execute(
        t.audit_log.insert().values(
            at=to_db_time(datetime.now(UTC)),
            user_email=viewer.email,
            org_code=viewer.org_code,
            action=action,
            what=what[:200],
            spell_key=spell_key,
            client=viewer.client[:60],
        )
    )


def audit_view(engine: Engine, viewer: Viewer, what: str, spell_key: str | None = None) -> None:
    """Record a look at identifiable data, in its own short write after the page's reads."""
    with engine.begin() as conn:
        audit(conn, viewer, "view", what, spell_key)


def audit_entries(
    engine: Engine, viewer: Viewer, user: str | None = None, spell_key: str | None = None
) -> list[Any]:
    if viewer.role not in READS_AUDIT:
        raise Forbidden("only admins read the audit log")
    a = t.audit_log
    query = select(a).order_by(desc(a.c.id)).limit(500)
    if user:
        query = query.where(a.c.user_email == user)
    if spell_key:
        query = query.where(a.c.spell_key == spell_key)
    with db.reading(engine) as conn:
        return list(conn.execute(query))


# ---- Views shared by every user until the log changes ----------------------------------

# What many people look at at once (the overview, the daily call) is computed once per change
# to the log and reused until the next event: keyed by the database, the last event's seq
# and what else the view depends on. The registry is configuration, changed rarely.
_log_cache: dict[str, tuple[Hashable, Any]] = {}


def per_log_version(engine: Engine, name: str, key: Hashable, compute: Callable[[], T]) -> T:
    with db.reading(engine) as conn:
        version = conn.execute(select(func.max(t.events.c.seq))).scalar_one_or_none()
    full_key = (engine.url.render_as_string(), version, key)
    hit = _log_cache.get(name)
    if hit is not None and hit[0] == full_key:
        return cast(T, hit[1])
    value = compute()
    _log_cache[name] = (full_key, value)
    return value


# ---- Who is involved in a patient's care ------------------------------------------------


def _org_of_site(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(select(t.sites.c.code, t.sites.c.org_code)).all())


def _referrals_of(
    conn: Connection, among: Select[tuple[str]]
) -> tuple[dict[str, list[PendingReferral]], dict[str, set[str]]]:
    """The open referrals of the spells `among` selects, and the providers each spell has
    been referred to (who are involved in the patient's care)."""
    r = t.referrals
    waiting: dict[str, list[PendingReferral]] = {}
    involved: dict[str, set[str]] = {}
    for row in conn.execute(
        select(
            r.c.spell_key, r.c.referral_id, r.c.service, r.c.provider_org, r.c.status, r.c.made_at
        )
        .where(r.c.spell_key.in_(among))
        .order_by(r.c.made_at)
    ):
        if row.provider_org:
            involved.setdefault(row.spell_key, set()).add(row.provider_org)
        if row.status in ("made", "accepted"):
            made_at = from_db_time(row.made_at)
            assert made_at is not None
            waiting.setdefault(row.spell_key, []).append(
                PendingReferral(row.referral_id, row.service, row.provider_org, row.status, made_at)
            )
    return waiting, involved


def _label(viewer: Viewer, patient: Any, identified: bool, today: date) -> PatientLabel:
    if patient is None or patient.family_name is None:
        return PatientLabel("unknown", None, None, identified)
    age = age_on(patient.birth_date, today)
    if not identified:
        return PatientLabel(initials(patient.given_name, patient.family_name), None, age, False)
    nhs = format_nhs_number(patient.nhs_number) if patient.nhs_number else None
    name = f"{patient.family_name.upper()}, {patient.given_name}"
    return PatientLabel(name, nhs, age, True)


_PATIENT_COLUMNS = (
    t.patients.c.family_name,
    t.patients.c.given_name,
    t.patients.c.nhs_number,
    t.patients.c.birth_date,
)


# ---- System overview --------------------------------------------------------------------


@dataclass(slots=True)
class OverviewRow:
    org_code: str
    site_code: str
    place: str  # "site – service" at system level, the ward's name when drilled down
    link: str | None
    beds: int = 0
    occupied: int = 0
    nctr: int = 0
    delayed_bed_days_yesterday: int = 0
    stranded: int = 0
    super_stranded: int = 0
    admissions_today: int = 0
    admissions_yesterday: int = 0
    discharges_today: int = 0
    discharges_yesterday: int = 0
    discharges_before_noon_yesterday: int = 0
    pressure_level: int = 1

    @property
    def occupancy_percent(self) -> float | None:
        return 100 * self.occupied / self.beds if self.beds else None

    @property
    def nctr_per_100_beds(self) -> float | None:
        return 100 * self.nctr / self.beds if self.beds else None

    @property
    def percent_before_noon(self) -> float | None:
        if not self.discharges_yesterday:
            return None
        return 100 * self.discharges_before_noon_yesterday / self.discharges_yesterday


def overview(
    engine: Engine, today: date, rules: EscalationRules, site_code: str | None = None
) -> list[OverviewRow]:
    """A row per site and service (or per ward of one site). Counts only: nothing here
    identifies a patient, so every signed-in user sees the whole system."""
    return per_log_version(
        engine,
        f"overview {site_code}",
        (today, rules),
        lambda: _overview(engine, today, rules, site_code),
    )


def _overview(
    engine: Engine, today: date, rules: EscalationRules, site_code: str | None
) -> list[OverviewRow]:
    with db.reading(engine) as conn:
        ward_info = {
            r.code: r
            for r in conn.execute(
                select(t.wards.c.code, t.wards.c.type, t.sites.c.name.label("site_name")).join(
                    t.sites, t.sites.c.code == t.wards.c.site_code
                )
            )
        }
    yesterday = today - timedelta(days=1)
    before = {r.ward_code: r for r in census(engine, yesterday, today=today)}
    rows: dict[str, OverviewRow] = {}
    for now in census(engine, today, today=today):
        if site_code is not None and now.site_code != site_code:
            continue
        info = ward_info[now.ward_code]
        if site_code is None:
            key = f"{now.site_code}/{info.type}"
            place, link = f"{info.site_name} – {info.type}", f"/overview?site={now.site_code}"
        else:
            key, place, link = now.ward_code, now.ward_name, f"/wards/{now.ward_code}"
        row = rows.setdefault(key, OverviewRow(now.org_code, now.site_code, place, link))
        then = before.get(now.ward_code)
        row.beds += now.beds
        row.occupied += now.occupied
        row.nctr += now.nctr
        row.stranded += now.stranded
        row.super_stranded += now.super_stranded
        row.admissions_today += now.admissions
        row.discharges_today += now.discharges
        if then is not None:
            # A patient without criteria to reside at midnight is one delayed bed-day.
            row.delayed_bed_days_yesterday += then.nctr
            row.admissions_yesterday += then.admissions
            row.discharges_yesterday += then.discharges
            row.discharges_before_noon_yesterday += then.discharges_before_noon
    for row in rows.values():
        row.pressure_level = rules.pressure_level(row.beds, row.occupied, row.nctr)
    return list(rows.values())


# ---- Ward whiteboard --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PendingReferral:
    referral_id: str
    service: str
    provider_org: str | None
    status: str
    made_at: datetime


@dataclass(frozen=True, slots=True)
class BedRow:
    spell_key: str
    bed: str | None
    patient: PatientLabel
    length_of_stay: int
    expected_discharge_date: date | None
    clinical_criteria: str
    senior_review_today: bool
    meets_criteria: bool | None
    discharge_ready_date: date | None
    delay_reason: str | None
    dtoc_reason: str | None
    responsible_agency: str | None
    pathway: str | None
    referrals: tuple[PendingReferral, ...]
    colour_today: str | None
    may_record: bool
    seen: dict[str, str]  # what each inline form shows, to detect a conflicting change

    @property
    def is_nctr(self) -> bool:
        return self.discharge_ready_date is not None

    @property
    def is_stranded(self) -> bool:
        return self.length_of_stay >= STRANDED_DAYS


@dataclass(frozen=True, slots=True)
class Whiteboard:
    ward_code: str
    ward_name: str
    ward_type: str
    site_name: str
    org_code: str
    beds: int
    occupied: int
    rows: list[BedRow]


WHITEBOARD_FILTERS = ("nctr", "stranded", "edd-soon")
WHITEBOARD_FORMS = ("edd", "criteria", "delay-reason", "pathway", "day")


def whiteboard(
    engine: Engine, viewer: Viewer, ward_code: str, today: date, only: str | None = None
) -> Whiteboard:
    if only is not None and only not in WHITEBOARD_FILTERS:
        raise InvalidInput("only", f"{only!r} is not one of {', '.join(WHITEBOARD_FILTERS)}")
    s = t.spells
    with db.reading(engine) as conn:
        ward = conn.execute(
            select(t.wards, t.sites.c.name.label("site_name"), t.sites.c.org_code)
            .join(t.sites, t.sites.c.code == t.wards.c.site_code)
            .where(t.wards.c.code == ward_code)
        ).one_or_none()
        if ward is None:
            raise NotFound(f"ward {ward_code}")
        patients = {
            r.spell_key: r
            for r in conn.execute(
                select(s.c.spell_key, s.c.event_count, *_PATIENT_COLUMNS)
                .outerjoin(t.patients, t.patients.c.patient_id == s.c.patient_id)
                .where(s.c.status == SpellStatus.ADMITTED.value, s.c.ward_code == ward_code)
            )
        }
        # The whiteboard is folded from the events, so each inline form carries exactly the
        # values `record_change` will compare against.
        states = folded_spells(conn, {key: r.event_count for key, r in patients.items()})
        rows = []
        for state in states:
            involved = {r.provider_org for r in state.referrals if r.provider_org}
            identified = may_identify(viewer.org_code, ward.org_code, involved)
            row = _bed_row(
                viewer, state, _label(viewer, patients[state.spell_key], identified, today), today
            )
            row = replace(
                row, may_record=viewer.org_code == ward.org_code and viewer.role in RECORDS_CARE
            )
            if _passes(row, only, today):
                rows.append(row)
    if any(row.patient.identified for row in rows):
        audit_view(engine, viewer, f"whiteboard {ward_code}")
    rows.sort(key=lambda row: (row.bed or "", row.spell_key))
    return Whiteboard(
        ward.code,
        ward.name,
        ward.type,
        ward.site_name,
        ward.org_code,
        ward.beds,
        len(states),
        rows,
    )


# Folded spells, by spell and its number of events: events are only ever added, so a spell
# whose count is unchanged folds to the same state. Bounded, so memory stays flat.
_fold_cache: dict[str, tuple[int, SpellState]] = {}
FOLD_CACHE_SPELLS = 20_000


def folded_spells(conn: Connection, event_counts: Mapping[str, int]) -> list[SpellState]:
    """The folded state of each spell, refolding only those with new events since last time."""
    states: dict[str, SpellState] = {}
    stale = []
    for key, count in event_counts.items():
        cached = _fold_cache.get(key)
        if cached is not None and cached[0] == count:
            states[key] = cached[1]
        else:
            stale.append(key)
    if stale:
        if len(_fold_cache) > FOLD_CACHE_SPELLS:
            _fold_cache.clear()
        for key, found in proj.load_spell_events(conn, stale).items():
            state = fold_spell(key, found)
            states[key] = state
            _fold_cache[key] = (state.event_count, state)
    return [states[key] for key in event_counts if key in states]


def _bed_row(viewer: Viewer, state: SpellState, patient: PatientLabel, today: date) -> BedRow:
    stay = state.current_stay
    reason = state.current_delay_reason
    assert state.admitted_at is not None
    ready = state.discharge_ready_date
    rating = next((r for r in state.day_ratings if r.day == today), None)
    return BedRow(
        spell_key=state.spell_key,
        bed=stay.bed if stay else None,
        patient=patient,
        length_of_stay=(today - local_date(state.admitted_at)).days,
        expected_discharge_date=state.expected_discharge_date,
        clinical_criteria=state.clinical_criteria,
        senior_review_today=state.last_senior_review_at is not None
        and local_date(state.last_senior_review_at) == today,
        meets_criteria=state.meets_criteria,
        discharge_ready_date=ready if ready is not None and ready <= today else None,
        delay_reason=reason.reason if reason else None,
        dtoc_reason=reason.dtoc_reason if reason else None,
        responsible_agency=reason.responsible_agency if reason else None,
        pathway=state.pathway,
        referrals=tuple(
            PendingReferral(r.referral_id, r.service, r.provider_org, r.status, r.made_at)
            for r in state.referrals
            if r.is_open
        ),
        colour_today=rating.colour if rating else None,
        may_record=False,
        seen={
            form: CHANGE_READERS[form](state, {"day": today.isoformat()})
            for form in WHITEBOARD_FORMS
        },
    )


def _passes(row: BedRow, only: str | None, today: date) -> bool:
    if only == "nctr":
        return row.is_nctr
    if only == "stranded":
        return row.is_stranded
    if only == "edd-soon":
        edd = row.expected_discharge_date
        return edd is not None and today <= edd <= today + timedelta(days=1)
    return True


def _local(stored: datetime) -> date:
    instant = from_db_time(stored)
    assert instant is not None
    return local_date(instant)


# ---- The patient spell page -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    occurred_at: datetime
    received_at: datetime
    what: str
    details: dict[str, Any]
    source: str
    recorded_by: str | None


@dataclass(frozen=True, slots=True)
class SpellView:
    state: SpellState
    patient: PatientLabel
    ward_name: str | None
    ward_type: str | None
    timeline: list[TimelineEntry]
    may_record: bool
    may_record_actions: bool


def spell_view(engine: Engine, viewer: Viewer, spell_key: str, today: date) -> SpellView:
    with db.reading(engine) as conn:
        state, treating_org = _fold_scoped(conn, viewer, spell_key)
        patient = conn.execute(
            select(*_PATIENT_COLUMNS).where(t.patients.c.patient_id == state.patient_id)
        ).one_or_none()
        ward = None
        if state.current_stay is not None:
            ward = conn.execute(
                select(t.wards.c.name, t.wards.c.type).where(
                    t.wards.c.code == state.current_stay.ward_code
                )
            ).one_or_none()
        found = [
            event_from_row(r)
            for r in conn.execute(select(t.events).where(t.events.c.spell_key == spell_key))
        ]
    audit_view(engine, viewer, "spell page", spell_key)
    timeline = [
        TimelineEntry(
            e.occurred_at,
            e.received_at,
            e.type.replace("-", " "),
            ev.payload_to_dict(e.payload),
            e.source,
            e.recorded_by,
        )
        for e in sorted(found, key=lambda e: e.fold_order, reverse=True)
    ]
    return SpellView(
        state,
        _label(viewer, patient, True, today),
        ward.name if ward else None,
        ward.type if ward else None,
        timeline,
        may_record=viewer.org_code == treating_org and viewer.role in RECORDS_CARE,
        may_record_actions=viewer.role in RECORDS_ACTIONS,
    )


def _fold_scoped(conn: Connection, viewer: Viewer, spell_key: str) -> tuple[SpellState, str | None]:
    """The spell folded from its events, if the viewer's organisation is involved."""
    found = proj.load_spell_events(conn, [spell_key]).get(spell_key)
    if not found:
        raise NotFound(f"spell {spell_key}")
    state = fold_spell(spell_key, found)
    treating_org = _org_of_site(conn).get(state.site_code or "")
    involved = {r.provider_org for r in state.referrals if r.provider_org}
    if not may_identify(viewer.org_code, treating_org, involved):
        raise Forbidden("this patient is not in the care of your organisation")
    return state, treating_org


# ---- Recording a change ------------------------------------------------------------------

# What each form changes, read from the spell as the user saw it: a form posts the value it
# showed, and if the spell now reads differently someone else got there first.
CHANGE_READERS: dict[str, Callable[[SpellState, Mapping[str, str]], str]] = {
    "edd": lambda s, _f: f"{s.expected_discharge_date or ''} {s.clinical_criteria}".strip(),
    "criteria": lambda s, _f: (
        "" if s.meets_criteria is None else f"{s.meets_criteria} {s.discharge_ready_date or ''}"
    ).strip(),
    "delay-reason": lambda s, _f: _current_reason(s),
    "pathway": lambda s, _f: s.pathway or "",
    "day": lambda s, f: next(
        (
            f"{r.colour} {r.red_reason or ''}".strip()
            for r in s.day_ratings
            if str(r.day) == f.get("day")
        ),
        "",
    ),
    "senior-review": lambda s, _f: str(s.last_senior_review_at or ""),
    "referral": lambda s, f: next(
        (r.status for r in s.referrals if r.referral_id == f.get("referral_id")), ""
    ),
    "chc-checklist": lambda s, _f: s.chc_checklist or "",
    "chc-assessment": lambda s, _f: str(s.chc_assessment_date or ""),
    "action": lambda s, f: next(
        (action_seen(a) for a in s.actions if a.action_id == f.get("action_id")), ""
    ),
    "stranded-review": lambda s, _f: review_seen(
        s.stranded_reviews[-1].reviewed_at if s.stranded_reviews else None
    ),
}


def action_seen(action: Action) -> str:
    return f"{action.status} {action.owner} {action.due_date or ''}".strip()


def review_seen(last_review_at: datetime | None) -> str:
    return last_review_at.astimezone(UTC).isoformat() if last_review_at else ""


def _current_reason(s: SpellState) -> str:
    reason = s.current_delay_reason
    if reason is None:
        return ""
    return " ".join(x for x in (reason.reason, reason.dtoc_reason, reason.responsible_agency) if x)


@dataclass(frozen=True, slots=True)
class Change:
    form: str
    payload: ev.Payload
    seen: str  # the form's value when the user opened it (see CHANGE_READERS)
    fields: Mapping[str, str] = field(default_factory=dict)


def record_change(engine: Engine, viewer: Viewer, spell_key: str, change: Change) -> SpellState:
    """Append the change as an event, if the viewer may make it and nobody changed the
    same thing since they looked; returns the spell's new state."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        lock_writers(conn)
        state = _fold_scoped_for_change(conn, viewer, spell_key, change)
        read = CHANGE_READERS[change.form]
        now_reads = read(state, change.fields)
        if now_reads != change.seen:
            last = _last_change(conn, spell_key, type(change.payload).TYPE)
            raise Conflict(
                change.form,
                now_reads,
                last.recorded_by if last is not None else None,
                from_db_time(last.occurred_at) if last is not None else None,
            )
        event = ev.Event(
            key=f"web:{uuid.uuid4()}",
            source="web",
            occurred_at=now,
            received_at=now,
            spell_key=spell_key,
            payload=change.payload,
            recorded_by=viewer.email,
        )
        result = append_in(conn, [event])
        if result.rejected:
            rejection = result.rejected[0]
            raise InvalidInput(rejection.field, rejection.reason)
        audit(conn, viewer, "change", f"{change.form}: {event.type}", spell_key)
        return fold_spell(spell_key, proj.load_spell_events(conn, [spell_key])[spell_key])


def _fold_scoped_for_change(
    conn: Connection, viewer: Viewer, spell_key: str, change: Change
) -> SpellState:
    if change.form == "action":
        if viewer.role not in RECORDS_ACTIONS:
            raise Forbidden(f"a {viewer.role} user does not record daily-call actions")
        found = proj.load_spell_events(conn, [spell_key]).get(spell_key)
        if not found:
            raise NotFound(f"spell {spell_key}")
        return fold_spell(spell_key, found)
    state, treating_org = _fold_scoped(conn, viewer, spell_key)
    provider_may = change.form == "referral" and any(
        r.provider_org == viewer.org_code for r in state.referrals
    )
    if viewer.role not in RECORDS_CARE or not (viewer.org_code == treating_org or provider_may):
        raise Forbidden("only the team caring for this patient records this")
    return state


def _last_change(conn: Connection, spell_key: str, event_type: str) -> Any:
    e = t.events
    # The type is matched here, not in SQL: a type condition tempts the planner onto the type
    # index, which scans every event of that type in the log instead of this spell's few.
    spell_events = conn.execute(
        select(e.c.type, e.c.recorded_by, e.c.occurred_at)
        .where(e.c.spell_key == spell_key)
        .order_by(desc(e.c.seq))
    )
    return next((row for row in spell_events if row.type == event_type), None)


# ---- The daily system call ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DailyCallRow:
    spell_key: str
    patient: PatientLabel
    org_code: str
    site_name: str
    ward_name: str
    family: str
    reason: str
    next_step_org: str
    discharge_ready_date: date
    days_delayed: int
    pathway: str | None
    actions: tuple[Action, ...]
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Delayed:
    """A delayed patient as every viewer's daily call starts from (before scoping)."""

    found: Any  # the spell, patient and place columns
    involved: frozenset[str]
    family: str
    reason: str
    next_step_org: str
    days_delayed: int
    actions: tuple[Action, ...]
    flags: tuple[str, ...]


def daily_call(
    engine: Engine, viewer: Viewer, today: date, rules: EscalationRules
) -> list[DailyCallRow]:
    """Every patient without criteria to reside, across the system, most delayed first."""
    delayed = per_log_version(
        engine, "daily call", (today, rules), lambda: _delayed_patients(engine, today, rules)
    )
    rows = [
        DailyCallRow(
            d.found.spell_key,
            _label(
                viewer, d.found, may_identify(viewer.org_code, d.found.org_code, d.involved), today
            ),
            d.found.org_code,
            d.found.site_name,
            d.found.ward_name,
            d.family,
            d.reason,
            d.next_step_org,
            d.found.discharge_ready_date,
            d.days_delayed,
            d.found.pathway,
            d.actions,
            d.flags,
        )
        for d in delayed
    ]
    if any(row.patient.identified for row in rows):
        audit_view(engine, viewer, "daily call")
    return rows


def _delayed_patients(engine: Engine, today: date, rules: EscalationRules) -> list[_Delayed]:
    with db.reading(engine) as conn:
        return _delayed_in(conn, today, rules)


def _delayed_in(conn: Connection, today: date, rules: EscalationRules) -> list[_Delayed]:
    s = t.spells
    reasons = codes.nctr_delay_reasons()
    dtoc = codes.dtoc_reasons()
    delayed = (s.c.status == SpellStatus.ADMITTED.value, s.c.discharge_ready_date <= today)
    among = select(s.c.spell_key).where(*delayed)
    found = conn.execute(
        select(
            s.c.spell_key,
            s.c.discharge_ready_date,
            s.c.delay_reason,
            s.c.dtoc_reason,
            s.c.responsible_agency,
            s.c.pathway,
            *_PATIENT_COLUMNS,
            t.wards.c.name.label("ward_name"),
            t.sites.c.name.label("site_name"),
            t.sites.c.org_code,
        )
        .join(t.wards, t.wards.c.code == s.c.ward_code)
        .join(t.sites, t.sites.c.code == t.wards.c.site_code)
        .outerjoin(t.patients, t.patients.c.patient_id == s.c.patient_id)
        .where(*delayed)
    ).all()
    actions = _actions(conn, among)
    referrals, involved = _referrals_of(conn, among)
    result = []
    for r in found:
        spell_actions = tuple(actions.get(r.spell_key, ()))
        days = days_delayed_since(r.discharge_ready_date, today)
        family, reason = "Not recorded", "No delay reason recorded"
        if r.delay_reason:
            code = reasons.get(r.delay_reason)
            family, reason = code.family, code.label
        elif r.dtoc_reason:
            family, reason = "DToC", f"{dtoc.get(r.dtoc_reason).label} ({r.responsible_agency})"
        result.append(
            _Delayed(
                r,
                frozenset(involved.get(r.spell_key, ())),
                family,
                reason,
                _next_step_org(r.org_code, spell_actions, referrals.get(r.spell_key, [])),
                days,
                spell_actions,
                tuple(escalation_flags(days, spell_actions, today, rules)),
            )
        )
    result.sort(key=lambda d: (d.family, d.next_step_org, -d.days_delayed))
    return result


def _next_step_org(
    treating_org: str, actions: Iterable[Action], referrals: list[PendingReferral]
) -> str:
    """The next step belongs to whoever owns the earliest open action, else the provider
    a referral is waiting on, else the treating trust."""
    open_actions = sorted(
        (a for a in actions if a.status == "open" and a.owner_org),
        key=lambda a: (a.due_date or date.max, a.recorded_at),
    )
    if open_actions:
        return open_actions[0].owner_org or treating_org
    waiting = [r.provider_org for r in referrals if r.provider_org]
    return waiting[0] if waiting else treating_org


def _actions(conn: Connection, among: Select[tuple[str]]) -> dict[str, list[Action]]:
    a = t.actions
    found: dict[str, list[Action]] = {}
    for r in conn.execute(select(a).where(a.c.spell_key.in_(among)).order_by(a.c.recorded_at)):
        recorded_at = from_db_time(r.recorded_at)
        assert recorded_at is not None
        found.setdefault(r.spell_key, []).append(
            Action(
                r.action_id,
                r.description,
                r.owner,
                r.owner_org,
                r.due_date,
                r.status,
                recorded_at,
                r.recorded_by,
            )
        )
    return found


# ---- Stranded and super-stranded review list -------------------------------------------


@dataclass(frozen=True, slots=True)
class StrandedRow:
    spell_key: str
    patient: PatientLabel
    org_code: str
    ward_name: str
    length_of_stay: int
    super_stranded: bool
    nctr: bool
    last_review_at: datetime | None
    last_reviewer: str | None
    last_outcome: str | None
    last_actions: str | None
    may_record: bool

    @property
    def reviewed_this_week(self) -> bool:
        return self.last_review_at is not None and (
            datetime.now(UTC) - self.last_review_at < timedelta(days=7)
        )


def stranded_list(engine: Engine, viewer: Viewer, today: date) -> list[StrandedRow]:
    """Patients in hospital 7+ days (21+ are super-stranded), longest first."""
    s = t.spells
    admitted_before = to_db_time(
        datetime.combine(today - timedelta(days=STRANDED_DAYS - 1), datetime.min.time(), UTC)
    )
    long_stay = (s.c.status == SpellStatus.ADMITTED.value, s.c.admitted_at < admitted_before)
    among = select(s.c.spell_key).where(*long_stay)
    with db.reading(engine) as conn:
        found = list(
            conn.execute(
                select(
                    s.c.spell_key,
                    s.c.admitted_at,
                    s.c.discharge_ready_date,
                    *_PATIENT_COLUMNS,
                    t.wards.c.name.label("ward_name"),
                    t.sites.c.org_code,
                )
                .join(t.wards, t.wards.c.code == s.c.ward_code)
                .join(t.sites, t.sites.c.code == t.wards.c.site_code)
                .outerjoin(t.patients, t.patients.c.patient_id == s.c.patient_id)
                .where(*long_stay)
            )
        )
        latest = _latest_reviews(conn, among)
        _waiting, involved = _referrals_of(conn, among)
        rows = []
        for r in found:
            los = (today - _local(r.admitted_at)).days
            if los < STRANDED_DAYS:
                continue
            review = latest.get(r.spell_key)
            identified = may_identify(viewer.org_code, r.org_code, involved.get(r.spell_key, ()))
            rows.append(
                StrandedRow(
                    r.spell_key,
                    _label(viewer, r, identified, today),
                    r.org_code,
                    r.ward_name,
                    los,
                    los >= SUPER_STRANDED_DAYS,
                    r.discharge_ready_date is not None and r.discharge_ready_date <= today,
                    from_db_time(review.reviewed_at) if review is not None else None,
                    review.reviewer if review is not None else None,
                    review.outcome if review is not None else None,
                    review.actions if review is not None else None,
                    viewer.org_code == r.org_code and viewer.role in RECORDS_CARE,
                )
            )
    if any(row.patient.identified for row in rows):
        audit_view(engine, viewer, "stranded list")
    rows.sort(key=lambda row: -row.length_of_stay)
    return rows


def _latest_reviews(conn: Connection, among: Select[tuple[str]]) -> dict[str, Any]:
    r = t.stranded_reviews
    latest: dict[str, Any] = {}
    for row in conn.execute(select(r).where(r.c.spell_key.in_(among)).order_by(r.c.seq)):
        latest[row.spell_key] = row
    return latest


# ---- Referrals board ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReferralRow:
    spell_key: str
    referral_id: str
    patient: PatientLabel
    org_code: str
    ward_name: str
    service: str
    provider_org: str | None
    status: str
    made_at: datetime
    days_waiting: int
    trusted_assessment: bool
    decline_reason: str | None
    may_record: bool


def referrals_board(
    engine: Engine, viewer: Viewer, today: date, service: str | None = None
) -> list[ReferralRow]:
    """Referrals of patients still in hospital that are open, or were declined and need
    another plan; longest waiting first."""
    r, s = t.referrals, t.spells
    board = (
        s.c.status == SpellStatus.ADMITTED.value,
        r.c.status.in_(["made", "accepted", "declined"]),
        *((r.c.service == service,) if service else ()),
    )
    query = (
        select(
            r,
            *_PATIENT_COLUMNS,
            t.wards.c.name.label("ward_name"),
            t.sites.c.org_code,
        )
        .join(s, s.c.spell_key == r.c.spell_key)
        .join(t.wards, t.wards.c.code == s.c.ward_code)
        .join(t.sites, t.sites.c.code == t.wards.c.site_code)
        .outerjoin(t.patients, t.patients.c.patient_id == s.c.patient_id)
        .where(*board)
        .order_by(r.c.made_at)
    )
    among = select(r.c.spell_key).join(s, s.c.spell_key == r.c.spell_key).where(*board)
    with db.reading(engine) as conn:
        found = list(conn.execute(query))
        _waiting, involved = _referrals_of(conn, among)
        rows = []
        for row in found:
            made_at = from_db_time(row.made_at)
            assert made_at is not None
            provider = row.provider_org
            identified = may_identify(
                viewer.org_code, row.org_code, involved.get(row.spell_key, ())
            )
            rows.append(
                ReferralRow(
                    row.spell_key,
                    row.referral_id,
                    _label(viewer, row, identified, today),
                    row.org_code,
                    row.ward_name,
                    row.service,
                    provider,
                    row.status,
                    made_at,
                    (today - local_date(made_at)).days,
                    row.trusted_assessment,
                    row.decline_reason,
                    viewer.role in RECORDS_CARE and viewer.org_code in (row.org_code, provider),
                )
            )
    if any(x.patient.identified for x in rows):
        audit_view(engine, viewer, "referrals board")
    return rows
