"""The signed-in pages: overview, whiteboards, spell pages, the daily call, stranded
reviews, referrals and the audit log. Data comes scoped from homeflow.store.access."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine, select

from homeflow.config import escalation_rules
from homeflow.domain import codes
from homeflow.domain import events as ev
from homeflow.domain.clock import SYSTEM_ZONE, local_date
from homeflow.domain.errors import InvalidInput
from homeflow.domain.privacy import READS_AUDIT, RECORDS_ACTIONS
from homeflow.reports.kpi import Level, Period
from homeflow.store import access, db
from homeflow.store import schema as t
from homeflow.store.measures import measure_charts, places_at
from homeflow.store.users import Session, TooManyAttempts, sign_in, sign_out
from homeflow.web.auth import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SignInRequired,
    check_csrf,
    client_of,
    session_of,
    set_session_cookie,
    viewer_of,
)
from homeflow.web.forms import parse_change

T = TypeVar("T")

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _reference() -> dict[str, Any]:
    reasons = codes.nctr_delay_reasons()
    return {
        "reason_families": {
            family: [c for c in reasons.codes if c.family == family]
            for family in reasons.families()
        },
        "reasons": reasons,
        "dtoc_reasons": codes.dtoc_reasons(),
        "agencies": codes.responsible_agencies(),
        "pathways": codes.discharge_pathways(),
        "criteria": codes.criteria_to_reside(),
        "services": list(ev.ReferralService),
        "review_outcomes": list(ev.ReviewOutcome),
        "action_statuses": list(ev.ActionStatus),
    }


templates.env.globals.update(_reference())
templates.env.filters["label"] = lambda value: str(value).replace("-", " ").capitalize()
templates.env.filters["count"] = lambda value: f"{value:,.0f}".replace("-", "−")
templates.env.filters["pounds"] = lambda value: ("−£" if value < 0 else "£") + f"{abs(value):,.0f}"
templates.env.filters["when"] = lambda instant: (
    "" if instant is None else instant.astimezone(SYSTEM_ZONE).strftime("%d %b %Y %H:%M")
)


def today() -> date:
    return local_date(datetime.now(UTC))


def _safe_next(value: str | None, fallback: str) -> str:
    # Only a path on this site, so a crafted form cannot send the user elsewhere.
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return fallback


def render(
    request: Request,
    name: str,
    session: Session | None,
    context: Mapping[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        name,
        {
            "user": session.user if session else None,
            "csrf": session.csrf_token if session else None,
            "csrf_field": CSRF_FIELD,
            "today": today(),
            "reads_audit": session is not None and session.user.role in READS_AUDIT,
            **context,
        },
        status_code=status_code,
    )


# Long lists come in pages: quick to load and to read out on a call.
PAGE_SIZE = 50


def paged(rows: list[T], page: int) -> tuple[list[T], int, int]:
    """The rows on `page` (clamped to those that exist), the page and the number of pages."""
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    return rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], page, pages


def _matches(row: access.DailyCallRow, query: str) -> bool:
    """A name or NHS number search, over patients the viewer may identify."""
    if not row.patient.identified:
        return False
    text = query.strip().lower()
    digits = "".join(ch for ch in text if ch.isdigit())
    nhs = (row.patient.nhs_number or "").replace(" ", "")
    return text in row.patient.name.lower() or (len(digits) >= 3 and digits in nhs)


def _date_field(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(name, f"{value!r} is not a date (YYYY-MM-DD)") from None


def page_router(engine: Engine) -> APIRouter:
    router = APIRouter()
    rules = escalation_rules()

    @router.get("/", response_class=HTMLResponse, response_model=None)
    def home(request: Request) -> Response:
        try:
            session_of(engine, request)
        except SignInRequired:
            return render(request, "sign_in.html", None, {"error": None, "email": ""})
        return RedirectResponse("/overview", status_code=303)

    @router.post("/sign-in", response_class=HTMLResponse, response_model=None)
    async def sign_in_post(request: Request) -> Response:
        form = await request.form()
        email = str(form.get("email") or "")
        password = str(form.get("password") or "")
        try:
            signed = sign_in(engine, email, password, client_of(request))
        except TooManyAttempts as refused:
            minutes = max(1, int(refused.retry_after.total_seconds() // 60) + 1)
            error = f"Too many failed sign-ins. Try again in {minutes} minutes."
            return render(
                request, "sign_in.html", None, {"error": error, "email": email}, status_code=429
            )
        if signed is None:
            error = "The email address or password is not right."
            return render(
                request, "sign_in.html", None, {"error": error, "email": email}, status_code=401
            )
        token, _session = signed
        response = RedirectResponse("/overview", status_code=303)
        set_session_cookie(response, request, token)
        return response

    @router.post("/sign-out", response_model=None)
    async def sign_out_post(request: Request) -> Response:
        session = session_of(engine, request)
        await check_csrf(session, request)
        sign_out(engine, request.cookies[SESSION_COOKIE])
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @router.get("/overview", response_class=HTMLResponse)
    def overview_page(request: Request, site: str | None = None) -> HTMLResponse:
        session = session_of(engine, request)
        rows = access.overview(engine, today(), rules, site)
        site_name = None
        if site is not None:
            with db.reading(engine) as conn:
                site_name = conn.execute(
                    select(t.sites.c.name).where(t.sites.c.code == site)
                ).scalar_one_or_none()
            if site_name is None:
                raise access.NotFound(f"site {site}")
        return render(
            request, "overview.html", session, {"rows": rows, "site": site, "site_name": site_name}
        )

    @router.get("/wards/{ward_code}", response_class=HTMLResponse)
    def whiteboard_page(request: Request, ward_code: str, only: str | None = None) -> HTMLResponse:
        session = session_of(engine, request)
        board = access.whiteboard(engine, viewer_of(session, request), ward_code, today(), only)
        return render(request, "whiteboard.html", session, {"board": board, "only": only})

    @router.get("/spells/{spell_key}", response_class=HTMLResponse)
    def spell_page(request: Request, spell_key: str) -> HTMLResponse:
        session = session_of(engine, request)
        return _spell_page(request, session, spell_key, None, {}, 200)

    def _spell_page(
        request: Request,
        session: Session,
        spell_key: str,
        problem: str | None,
        typed: Mapping[str, Any],
        status_code: int,
        saved: str | None = None,
    ) -> HTMLResponse:
        view = access.spell_view(engine, viewer_of(session, request), spell_key, today())
        readers = access.CHANGE_READERS
        seen = {
            name: read(view.state, {"day": today().isoformat()}) for name, read in readers.items()
        }
        return render(
            request,
            "spell.html",
            session,
            {
                "view": view,
                "s": view.state,
                "seen": seen,
                "problem": problem,
                "typed": typed,
                "saved": saved or request.query_params.get("saved"),
                "action_seen": access.action_seen,
                "uses_dtoc": view.ward_type in ("mental-health", "community"),
            },
            status_code=status_code,
        )

    @router.post("/spells/{spell_key}/record/{form_name}", response_model=None)
    async def record(request: Request, spell_key: str, form_name: str) -> Response:
        session = session_of(engine, request)
        await check_csrf(session, request)
        raw = await request.form()
        fields = {k: str(v) for k, v in raw.items() if isinstance(v, str)}
        multi = raw.getlist("criteria")
        if multi:
            fields["criteria"] = " ".join(str(v) for v in multi)
        viewer = viewer_of(session, request)
        # A row comes back in place only to HTMX; without JavaScript the browser posted the
        # whole form and gets the page again.
        shown_in = fields.get("view", "") if request.headers.get("HX-Request") else "page"
        problem, status_code = None, 200
        try:
            access.record_change(engine, viewer, spell_key, parse_change(form_name, fields))
        except InvalidInput as bad:
            problem, status_code = f"Not saved: {bad.field.replace('_', ' ')} {bad.reason}.", 400
        except access.Conflict as clash:
            who = clash.changed_by or "someone else"
            when = templates.env.filters["when"](clash.changed_at)
            reads = clash.now_reads or "blank"
            problem = (
                f"Not saved: {who} changed this at {when} and it now reads “{reads}”. "
                "Your entry is kept below; check it and save again."
            )
            status_code = 409
        if shown_in in ("row", "call-row"):
            return _row_back(request, session, spell_key, fields, problem, status_code, shown_in)
        if problem is None:
            target = _safe_next(fields.get("next"), f"/spells/{spell_key}?saved={form_name}")
            return RedirectResponse(target, status_code=303)
        if fields.get("next", "").startswith("/spells/") or not fields.get("next"):
            typed = {"form": form_name, **fields}
            return _spell_page(request, session, spell_key, problem, typed, status_code)
        return render(
            request,
            "problem.html",
            session,
            {"problem": problem, "back": fields.get("next")},
            status_code=status_code,
        )

    def _row_back(
        request: Request,
        session: Session,
        spell_key: str,
        typed: Mapping[str, str],
        problem: str | None,
        status_code: int,
        shown_in: str,
    ) -> HTMLResponse:
        """The one row an HTMX form came from, freshly read, with any problem and what the
        user typed (a whiteboard bed or a daily-call patient)."""
        viewer = viewer_of(session, request)
        context: dict[str, Any] = {"problem": problem, "typed": typed if problem else {}}
        if shown_in == "row":
            ward = typed.get("ward", "")
            board = access.whiteboard(engine, viewer, ward, today())
            rows: list[Any] = board.rows
            template, context["board"], where = "_bed_row.html", board, f"on ward {ward}"
        else:
            rows = access.daily_call(engine, viewer, today(), rules)
            template, where = "_call_row.html", "on the daily call"
            context["may_record_actions"] = session.user.role in RECORDS_ACTIONS
            context["action_seen"] = access.action_seen
        context["row"] = next((r for r in rows if r.spell_key == spell_key), None)
        if context["row"] is None:
            raise access.NotFound(f"spell {spell_key} {where}")
        return render(request, template, session, context, status_code=status_code)

    @router.get("/daily-call", response_class=HTMLResponse)
    def daily_call_page(
        request: Request,
        group: str = Query("family"),
        q: str = Query(""),
        page: int = Query(1),
        print_all: str = Query("", alias="print"),
    ) -> HTMLResponse:
        session = session_of(engine, request)
        if group not in ("family", "owner"):
            raise InvalidInput("group", "group by family or owner")
        rows = access.daily_call(engine, viewer_of(session, request), today(), rules)
        if q.strip():
            rows = [r for r in rows if _matches(r, q)]

        def group_of(row: access.DailyCallRow) -> str:
            return row.family if group == "family" else row.next_step_org

        rows.sort(key=lambda r: (group_of(r), -r.days_delayed))
        # The call works through the list in order; the summary jumps to where a group starts.
        shown, page, pages = paged(rows, page)
        summary: dict[str, dict[str, int]] = {}
        for n, row in enumerate(rows):
            entry = summary.setdefault(
                group_of(row),
                {"patients": 0, "escalated": 0, "days": 0, "page": n // PAGE_SIZE + 1},
            )
            entry["patients"] += 1
            entry["escalated"] += bool(row.flags)
            entry["days"] += row.days_delayed
        if print_all:
            shown = rows
        groups: dict[str, list[access.DailyCallRow]] = {}
        for row in shown:
            groups.setdefault(group_of(row), []).append(row)
        return render(
            request,
            "daily_call.html",
            session,
            {
                "groups": groups,
                "summary": summary,
                "group": group,
                "q": q,
                "page": page,
                "pages": pages,
                "print_all": bool(print_all),
                "total": len(rows),
                "escalated": sum(1 for r in rows if r.flags),
                "rules": rules,
                "may_record_actions": session.user.role in RECORDS_ACTIONS and not print_all,
                "action_seen": access.action_seen,
            },
        )

    @router.get("/daily-call.csv")
    def daily_call_csv(request: Request) -> Response:
        session = session_of(engine, request)
        viewer = viewer_of(session, request)
        rows = access.daily_call(engine, viewer, today(), rules)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "patient", "nhs_number", "age", "organisation", "site", "ward", "delay_family",
                "delay_reason", "next_step_owner", "discharge_ready_date", "days_delayed",
                "pathway", "open_actions", "escalation",
            ]
        )  # fmt: skip
        for r in rows:
            writer.writerow(
                [
                    r.patient.name, r.patient.nhs_number or "", r.patient.age or "", r.org_code,
                    r.site_name, r.ward_name, r.family, r.reason, r.next_step_org,
                    r.discharge_ready_date.isoformat(), r.days_delayed, r.pathway or "",
                    "; ".join(
                        f"{a.description} ({a.owner}, due {a.due_date or 'no date'})"
                        for a in r.actions if a.status == "open"
                    ),
                    "; ".join(r.flags),
                ]
            )  # fmt: skip
        if any(r.patient.identified for r in rows):
            with engine.begin() as conn:
                access.audit(conn, viewer, "export", "daily call CSV")
        filename = f"daily-call-{today().isoformat()}.csv"
        return Response(
            out.getvalue(),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @router.get("/stranded", response_class=HTMLResponse)
    def stranded_page(
        request: Request, only: str | None = None, org: str = "", page: int = 1
    ) -> HTMLResponse:
        session = session_of(engine, request)
        rows = access.stranded_list(engine, viewer_of(session, request), today())
        orgs = sorted({r.org_code for r in rows})
        if only == "super":
            rows = [r for r in rows if r.super_stranded]
        if org:
            rows = [r for r in rows if r.org_code == org]
        shown, page, pages = paged(rows, page)
        return render(
            request,
            "stranded.html",
            session,
            {
                "rows": shown,
                "total": len(rows),
                "super_total": sum(r.super_stranded for r in rows),
                "only": only,
                "org": org,
                "orgs": orgs,
                "page": page,
                "pages": pages,
                "review_seen": access.review_seen,
            },
        )

    @router.get("/referrals", response_class=HTMLResponse)
    def referrals_page(
        request: Request, service: str | None = None, org: str = "", page: int = 1
    ) -> HTMLResponse:
        session = session_of(engine, request)
        if service and service not in set(ev.ReferralService):
            raise InvalidInput("service", f"{service!r} is not a referral service")
        rows = access.referrals_board(engine, viewer_of(session, request), today(), service)
        orgs = sorted({r.org_code for r in rows} | {r.provider_org for r in rows if r.provider_org})
        if org:
            rows = [r for r in rows if org in (r.org_code, r.provider_org)]
        shown, page, pages = paged(rows, page)
        return render(
            request,
            "referrals.html",
            session,
            {
                "rows": shown,
                "total": len(rows),
                "service": service,
                "org": org,
                "orgs": orgs,
                "page": page,
                "pages": pages,
            },
        )

    @router.get("/measures", response_class=HTMLResponse)
    def measures_page(
        request: Request,
        level: Level = Level.SYSTEM,
        place: str = "",
        start: str = "",
        end: str = "",
        period: Period = Period.DAILY,
        rebase: str = "",
    ) -> HTMLResponse:
        session = session_of(engine, request)
        last = _date_field("end", end) if end else today() - timedelta(days=1)
        first = _date_field("start", start) if start else last - timedelta(days=89)
        changed = _date_field("rebase", rebase) if rebase else None
        charts = measure_charts(
            engine, level, place, first, last, period, rebase=[changed] if changed else []
        )
        with db.reading(engine) as conn:
            places = places_at(conn, level)
        return render(
            request,
            "measures.html",
            session,
            {
                "charts": charts,
                "level": level,
                "place": place or (places[0] if places else "system"),
                "places": places,
                "levels": list(Level),
                "periods": list(Period),
                "period": period,
                "start": first,
                "end": last,
                "rebase": changed,
            },
        )

    @router.get("/audit", response_class=HTMLResponse)
    def audit_page(
        request: Request, user: str | None = None, spell: str | None = None
    ) -> HTMLResponse:
        session = session_of(engine, request)
        entries = access.audit_entries(engine, viewer_of(session, request), user, spell)
        return render(
            request,
            "audit.html",
            session,
            {"entries": entries, "user_filter": user, "spell": spell},
        )

    return router
