"""The care transfer hub: open referrals by discharge pathway, NHS Continuing Healthcare from
the positive checklist to the decision within 28 days, and housing and personal health budget
requests with their time to decision. Every count opens to the list of its patients."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from homeflow.domain import events as ev
from homeflow.domain import hub
from homeflow.domain.clock import today
from homeflow.domain.errors import InvalidInput
from homeflow.store import access
from homeflow.store.access import hub as hub_access
from homeflow.web.auth import Database, Signed, viewer_of
from homeflow.web.rendering import paged, render
from homeflow.web.sorting import Column, sort_rows, sortable

router = APIRouter()

# The hub's figures look back one quarter, as NHS England's CHC statistics do.
WEEKS_SHOWN = 13
COLUMNS: Mapping[str, Column[access.ReferralRow]] = sortable(
    "referrals.html",
    {
        "patient": Column(lambda r: r.patient.name, shows="patient"),
        "where": Column(lambda r: f"{r.org_name}, {r.ward_name}"),
        "service": Column(lambda r: hub.service_name(r.service)),
        "provider": Column(lambda r: r.provider_name),
        "status": Column(lambda r: r.status.replace("made", "waiting")),
        "days": Column(lambda r: r.days_waiting, first="desc", shows="number"),
    },
)
# The hub's CHC and request lists behind its figures, by the column their header asks for.
CHC_COLUMNS: Mapping[str, Column[hub_access.ChcRow]] = sortable(
    "referrals_chc.html",
    {
        "patient": Column(lambda r: r.patient.name, shows="patient"),
        "checklist": Column(lambda r: r.case.checklist_on, shows="day"),
        "tool": Column(lambda r: r.case.assessed_on, shows="day"),
        "decision": Column(lambda r: r.case.decided_on, shows="day"),
        "days": Column(lambda r: r.case.days(today()), first="desc", shows="number"),
    },
)
REQUEST_COLUMNS: Mapping[str, Column[hub_access.RequestRow]] = sortable(
    "referrals_requests.html",
    {
        "patient": Column(lambda r: r.patient.name, shows="patient"),
        "asked": Column(lambda r: r.provider),
        "requested": Column(lambda r: r.request.made_on, shows="day"),
        "decision": Column(lambda r: r.request.decided_on, shows="day"),
        "days": Column(lambda r: r.request.days(today()), first="desc", shows="number"),
    },
)
REQUEST_LISTS = {"all": "Requests", "decided": "Decided", "waiting": "Waiting for a decision"}


def _since(on: date) -> date:
    return on - timedelta(weeks=WEEKS_SHOWN) + timedelta(days=1)


@router.get("/referrals", response_class=HTMLResponse)
def referrals_page(
    request: Request,
    engine: Database,
    session: Signed,
    service: str | None = None,
    org: str = "",
    pathway: str | None = None,
    page: int = 1,
) -> HTMLResponse:
    if service and service not in set(ev.ReferralService):
        raise InvalidInput("service", f"{service!r} is not a referral service")
    if pathway and pathway not in (*hub.PATHWAY_GROUPS, "none"):
        raise InvalidInput("pathway", f"{pathway!r} is not a discharge pathway")
    viewer, on = viewer_of(session, request), today()
    rows = access.referrals_board(engine, viewer, on, service)
    orgs = {r.org_code: r.org_name for r in rows} | {
        r.provider_org: r.provider_name for r in rows if r.provider_org
    }
    if org:
        rows = [r for r in rows if org in (r.org_code, r.provider_org)]
    rows, sorting = sort_rows(request, rows, COLUMNS)  # longest waiting first unless asked
    by_pathway = {g: [r for r in rows if (r.pathway or "") == g] for g in hub.PATHWAY_GROUPS}
    if pathway:
        rows = by_pathway["" if pathway == "none" else pathway]
    shown, page, pages = paged(rows, page)
    since = _since(on)
    chc = hub_access.chc_cases(engine, viewer, on, since, listed=False)
    counts = hub.chc_counts((r.case for r in chc), on)
    requests = {
        s: [
            x.request
            for x in hub_access.decided_requests(engine, viewer, on, since, s, listed=False)
        ]
        for s in hub.DECIDED_SERVICES
    }
    return render(
        request,
        "referrals.html",
        session,
        {
            "groups": [
                (g, [r for r in shown if (r.pathway or "") == g]) for g in hub.PATHWAY_GROUPS
            ],
            "pathway_names": hub.PATHWAY_NAMES,
            "sorting": sorting,
            "service_names": hub.SERVICE_NAMES,
            "pathway_counts": {g: len(found) for g, found in by_pathway.items()},
            "total": len(rows),
            "service": service,
            "org": org,
            "pathway": pathway,
            "orgs": sorted(orgs.items(), key=lambda o: o[1]),
            "page": page,
            "pages": pages,
            "since": since,
            "chc_groups": hub.CHC_GROUPS,
            "chc_counts": counts,
            "chc_within": hub.chc_share_within(counts),
            "requests": {
                s: {
                    "all": len(found),
                    "decided": sum(r.decided_on is not None for r in found),
                    "waiting": sum(r.decided_on is None for r in found),
                    "median": hub.median_days_to_decision(found, on),
                    "longest": max(
                        (r.days(on) for r in found if r.decided_on is None), default=None
                    ),
                }
                for s, found in requests.items()
            },
        },
    )


@router.get("/referrals/chc", response_class=HTMLResponse)
def chc_page(
    request: Request, engine: Database, session: Signed, show: str = "checklists"
) -> HTMLResponse:
    if show not in hub.CHC_GROUPS:
        raise InvalidInput("show", f"{show!r} is not one of the hub's CHC figures")
    on = today()
    since = _since(on)
    rows = [
        r
        for r in hub_access.chc_cases(engine, viewer_of(session, request), on, since)
        if hub.in_chc_group(r.case, show, on)
    ]
    rows, sorting = sort_rows(request, rows, CHC_COLUMNS)
    return render(
        request,
        "referrals_chc.html",
        session,
        {
            "rows": rows,
            "sorting": sorting,
            "show": show,
            "title": hub.CHC_GROUPS[show],
            "since": since,
            "on": on,
        },
    )


@router.get("/referrals/requests", response_class=HTMLResponse)
def requests_page(
    request: Request,
    engine: Database,
    session: Signed,
    service: str = "housing",
    show: str = "all",
) -> HTMLResponse:
    if service not in hub.DECIDED_SERVICES:
        raise InvalidInput("service", f"{service!r} is not housing or a personal health budget")
    if show not in REQUEST_LISTS:
        raise InvalidInput("show", f"{show!r} is not one of the hub's lists")
    on = today()
    since = _since(on)
    rows = [
        r
        for r in hub_access.decided_requests(
            engine, viewer_of(session, request), on, since, service
        )
        if show == "all" or (r.request.decided_on is None) == (show == "waiting")
    ]
    rows, sorting = sort_rows(request, rows, REQUEST_COLUMNS)
    return render(
        request,
        "referrals_requests.html",
        session,
        {
            "rows": rows,
            "service": service,
            "service_name": hub.service_name(service),
            "sorting": sorting,
            "show": show,
            "title": REQUEST_LISTS[show],
            "since": since,
            "on": on,
            "median": hub.median_days_to_decision([r.request for r in rows], on),
        },
    )
