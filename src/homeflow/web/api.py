"""The aggregate JSON APIs: feed health and the census (counts only, no patient)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Query

from homeflow.store.feed_messages import feed_health
from homeflow.store.queries import census
from homeflow.web.auth import Database

router = APIRouter(prefix="/api")


@router.get("/feeds")
def feeds_api(engine: Database) -> list[dict[str, Any]]:
    return [h.as_dict() for h in feed_health(engine, datetime.now(UTC))]


@router.get("/census")
def census_api(
    engine: Database, day: date = Query(..., alias="date")
) -> list[dict[str, str | int]]:
    return [r.as_dict() for r in census(engine, day)]
