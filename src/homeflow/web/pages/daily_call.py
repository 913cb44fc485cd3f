"""The daily system call: every delayed patient by delay family or next-step owner, and its
CSV for those who work the list offline."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from homeflow.domain import forms
from homeflow.domain.clock import today
from homeflow.domain.errors import InvalidInput
from homeflow.reports.cells import safe_row
from homeflow.store import access
from homeflow.store.db import reading
from homeflow.store.registry import organisation_names
from homeflow.web.auth import Database, Signed, escalation_rules_of, viewer_of
from homeflow.web.pages.long_delays import delay_counts
from homeflow.web.rendering import PAGE_SIZE, paged, render
from homeflow.web.sorting import Column, sort_rows, sortable

router = APIRouter()
# Each group's patients, the longest delayed first unless a header asks for another order.
COLUMNS: Mapping[str, Column[access.DailyCallRow]] = sortable(
    "daily_call.html",
    {
        "patient": Column(lambda r: r.patient.name, shows="patient"),
        "reason": Column(lambda r: r.reason),
        "days": Column(lambda r: r.days_delayed, first="desc", shows="number"),
        "pathway": Column(lambda r: r.pathway),
    },
)

CSV_COLUMNS = (
    "patient", "nhs_number", "age", "organisation", "site", "ward", "delay_family",
    "delay_reason", "next_step_owner", "discharge_ready_date", "days_delayed",
    "pathway", "open_actions", "escalation",
)  # fmt: skip


def _matches(row: access.DailyCallRow, query: str) -> bool:
    """A name or NHS number search, over patients the viewer may identify."""
    if not row.patient.identified:
        return False
    text = query.strip().lower()
    digits = "".join(ch for ch in text if ch.isdigit())
    nhs = (row.patient.nhs_number or "").replace(" ", "")
    return text in row.patient.name.lower() or (len(digits) >= 3 and digits in nhs)


def _summary(rows: list[access.DailyCallRow], group: str) -> dict[str, dict[str, int]]:
    """Patients, escalations and days delayed per group, and the page where each group starts."""
    summary: dict[str, dict[str, int]] = {}
    for n, row in enumerate(rows):
        entry = summary.setdefault(
            _group_of(row, group),
            {"patients": 0, "escalated": 0, "days": 0, "page": n // PAGE_SIZE + 1},
        )
        entry["patients"] += 1
        entry["escalated"] += bool(row.flags)
        entry["days"] += row.days_delayed
    return summary


def _group_of(row: access.DailyCallRow, group: str) -> str:
    return row.family if group == "family" else row.next_step_org


@router.get("/daily-call", response_class=HTMLResponse)
def daily_call_page(
    request: Request,
    engine: Database,
    session: Signed,
    group: str = Query("family"),
    q: str = Query(""),
    page: int = Query(1),
    print_all: str = Query("", alias="print"),
    only: str = Query(""),
    escalated: str = Query(""),
) -> HTMLResponse:
    if group not in ("family", "owner"):
        raise InvalidInput("group", "group by family or owner")
    rules = escalation_rules_of(request)
    viewer = viewer_of(session, request)
    rows = access.daily_call(engine, viewer, today(), rules)
    if q.strip():
        rows = [r for r in rows if _matches(r, q)]
    rows, sorting = sort_rows(request, rows, COLUMNS, default="days")
    rows.sort(key=lambda r: _group_of(r, group))  # grouped; in each, the order asked
    summary = _summary(rows, group)
    # A figure of the summary opens to its patients: one group, or those it escalates.
    if only:
        rows = [r for r in rows if _group_of(r, group) == only and (r.flags or not escalated)]
    # The call works through the list in order; the summary jumps to where a group starts.
    shown, page, pages = paged(rows, page)
    if print_all:
        shown = rows
    groups: dict[str, list[access.DailyCallRow]] = {}
    for row in shown:
        groups.setdefault(_group_of(row, group), []).append(row)
    return render(
        request,
        "daily_call.html",
        session,
        {
            "groups": groups,
            "summary": summary,
            "only": only,
            "escalated_only": bool(escalated),
            "group": group,
            "q": q,
            "page": page,
            "pages": pages,
            "print_all": bool(print_all),
            "total": len(rows),
            "escalated": sum(1 for r in rows if r.flags),
            "rules": rules,
            "action_seen": forms.action_seen,
            "sorting": sorting,
            "org_names": call_organisations(engine),
            "delay_counts": delay_counts(engine, viewer),
        },
    )


def call_organisations(engine: Engine) -> dict[str, str]:
    """The registry's organisations by name: the call's rows name them, and an action's
    owning organisation is chosen from them."""
    with reading(engine) as conn:
        return organisation_names(conn)


@router.get("/daily-call.csv")
def daily_call_csv(request: Request, engine: Database, session: Signed) -> Response:
    viewer = viewer_of(session, request)
    rows = access.daily_call(engine, viewer, today(), escalation_rules_of(request))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            safe_row([
                r.patient.name, r.patient.nhs_number or "", r.patient.age or "", r.org_code,
                r.site_name, r.ward_name, r.family, r.reason, r.next_step_org,
                r.discharge_ready_date.isoformat(), r.days_delayed, r.pathway or "",
                "; ".join(
                    f"{'Escalation: ' if a.escalation else ''}{a.description}"
                    f" ({a.owner}, due {a.due_date or 'no date'})"
                    for a in r.actions if a.status == "open"
                ),
                "; ".join(r.flags),
            ])
        )  # fmt: skip
    if any(r.patient.identified for r in rows):
        access.audit_export(engine, viewer, "daily call CSV")
    filename = f"daily-call-{today().isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
