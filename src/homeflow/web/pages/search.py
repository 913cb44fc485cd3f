"""Finding a patient from every page's header: by name, NHS number or visit number, among the
patients the signed-in user's organisation may identify. A GET form, so it works without
JavaScript; the server's access log drops the query string (web/logs.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from homeflow.domain.clock import today
from homeflow.domain.errors import InvalidInput
from homeflow.domain.patient_search import parse_query
from homeflow.store.access.search import find_patients
from homeflow.web.auth import Database, Signed, viewer_of
from homeflow.web.rendering import render

router = APIRouter()


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request, engine: Database, session: Signed, q: str | None = None
) -> HTMLResponse:
    if q is None:
        return render(request, "search.html", session, {"q": "", "found": None, "problem": None})
    try:
        query = parse_query(q)
    except InvalidInput as bad:
        # A 200, as a search with no match is: the page is the answer, not a failed load.
        return render(request, "search.html", session, {"q": q, "found": None, "problem": bad})
    found = find_patients(engine, viewer_of(session, request), query, today())
    return render(
        request,
        "search.html",
        session,
        {"q": q, "query": query, "found": found, "problem": None},
    )
