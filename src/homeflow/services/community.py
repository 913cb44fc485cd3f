"""Community teams' work and the directory: what the pages, the command line and the demo call."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from homeflow.domain.community.caseload import Caseloads, Episode
from homeflow.domain.community.directory import public_document, reviewed
from homeflow.domain.community.permissions import directory_refusal
from homeflow.domain.community.records import (
    CommunityRecord,
)
from homeflow.domain.community.sharing import (
    DirectoryServiceRecorded,
)
from homeflow.domain.errors import InvalidInput
from homeflow.ingest.directory import (
    check_service,
    list_fields,
    parse_directory,
    read_directory,
    write_directory,
)
from homeflow.reports.community import MEASURES, WeekValue, weekly
from homeflow.store import community as store
from homeflow.store.access.scope import Forbidden, Viewer
from homeflow.store.db import reading
from homeflow.store.registry import systems_of_places

MAX_PER_PAGE = 100


def record(
    engine: Engine,
    items: Sequence[CommunityRecord],
    today: date,
    viewer: Viewer | None = None,
    recorded_by: str | None = None,
    source: str = "web",
    replay: bool = False,
) -> int:
    return store.save(engine, items, today, viewer, recorded_by or _who(viewer), source, replay)


def _who(viewer: Viewer | None) -> str | None:
    return viewer.email if viewer else None


def canonical(doc: dict[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def import_directory(
    engine: Engine, path: Path, today: date, recorded_by: str | None = None
) -> tuple[int, int]:
    """Every service in the file, or none if any is wrong. Returns (stored, unchanged)."""
    docs = read_directory(path)
    items = [DirectoryServiceRecorded(doc["id"], canonical(doc)) for doc in docs]
    stored = record(engine, items, today, None, recorded_by, f"file:{path.name}"[:60])
    return stored, len(items) - stored


def demo_community(engine: Engine, seed: int, end: date) -> int:
    """The demo's directory and community teams; returns how many records were stored."""
    from homeflow.demo import community as demo

    docs = parse_directory(demo.directory_csv(end), True, "directory.csv")
    items: list[CommunityRecord] = [
        DirectoryServiceRecorded(doc["id"], canonical(doc)) for doc in docs
    ]
    items += demo.community_records(seed, end, demo.need_services(docs))
    return record(engine, items, end, None, None, "demo", replay=True)


def review_service(
    engine: Engine, service_id: str, rating: str, on: date, viewer: Viewer, today: date
) -> None:
    """A quality-assurance review of a service, by the signed-in reviewer: a new version of its
    document, checked as an import is. Who reviewed it is the record's author and its audit
    row, never the document: the document is served openly."""
    with reading(engine) as conn:
        why = directory_refusal(viewer.role, *store.directory_systems(conn, viewer))
        if why is not None:
            raise Forbidden(why)
        doc = store.directory_documents(conn).get(service_id)
    if on > today:
        raise InvalidInput("reviewed_on", f"{on:%d/%m/%Y} is in the future")
    if doc is None:
        raise InvalidInput("service_id", f"{service_id!r} is not in the directory")
    new = check_service(reviewed(doc, rating, on), "service")
    record(engine, [DirectoryServiceRecorded(service_id, canonical(new))], today, viewer)


def may_review(engine: Engine, viewer: Viewer) -> bool:
    with reading(engine) as conn:
        return directory_refusal(viewer.role, *store.directory_systems(conn, viewer)) is None


def export_directory(engine: Engine, out: Path) -> int:
    with reading(engine) as conn:
        docs = list(store.directory_documents(conn).values())
    write_directory(docs, out)
    return len(docs)


def open_referral_services(
    engine: Engine, page: int, per_page: int, text: str, taxonomy_term_id: str
) -> dict[str, Any]:
    """The HSDS 3.0 paginated list of services (Open Referral UK's `/services`)."""
    if page < 1:
        raise InvalidInput("page", "starts at 1")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput("per_page", f"is from 1 to {MAX_PER_PAGE}")
    with reading(engine) as conn:
        docs = store.directory_documents(conn)
        services = store.directory(conn)
    found = [docs[key] for key, s in services.items() if s.matches(text, taxonomy_term_id, area="")]
    total_pages = max(1, math.ceil(len(found) / per_page))
    contents = found[(page - 1) * per_page : page * per_page]
    fields = list_fields()
    return {
        "total_items": len(found),
        "total_pages": total_pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": not contents,
        "contents": [
            {k: v for k, v in public_document(doc).items() if k in fields} for doc in contents
        ],
    }


def open_referral_service(engine: Engine, service_id: str) -> dict[str, Any] | None:
    with reading(engine) as conn:
        doc = store.directory_documents(conn).get(service_id)
    return public_document(doc) if doc is not None else None


@dataclass(frozen=True, slots=True)
class MeasureSeries:
    name: str
    description: str
    better: str | None
    weeks: list[WeekValue]


def episodes_of(caseloads: Caseloads, place: str, engine: Engine) -> list[Episode]:
    """A trust's episodes (by its code), or a system's (by the ICB's code, or "system")."""
    if place == "system":
        return list(caseloads.episodes.values())
    with reading(engine) as conn:
        systems = systems_of_places(conn, "org")
    return [
        e
        for e in caseloads.episodes.values()
        if place in (e.org_code, systems.get(e.org_code, e.org_code))
    ]


def community_measures(
    engine: Engine, place: str, first: date, last: date, today: date
) -> list[MeasureSeries]:
    """Each community measure week by week at a trust or system, where it has episodes."""
    with reading(engine) as conn:
        caseloads = store.caseloads(conn)
    episodes = episodes_of(caseloads, place, engine)
    if not episodes:
        return []
    return [
        MeasureSeries(
            m.name,
            m.description,
            m.better.value if m.better else None,
            weekly(caseloads, episodes, m.name, first, last, today),
        )
        for m in MEASURES.values()
    ]


def measure_week(
    engine: Engine, name: str, place: str, week: date, today: date
) -> tuple[WeekValue, Caseloads]:
    """One week's value of a community measure, with the episodes behind it."""
    if name not in MEASURES:
        raise InvalidInput("measure", f"{name!r} is not a community measure")
    with reading(engine) as conn:
        caseloads = store.caseloads(conn)
    episodes = episodes_of(caseloads, place, engine)
    start = week - timedelta(days=week.weekday())
    value = MEASURES[name].compute(caseloads, episodes, start, start + timedelta(days=6), today)
    return value, caseloads
