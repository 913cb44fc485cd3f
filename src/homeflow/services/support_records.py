"""Recording an episode of support from the care transfer hub in the web app: who may, the
form's fields read and checked, and the episode stored as a provider's CSV row would be."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Engine

from homeflow.domain.after_discharge.records import SupportEpisodeRecorded
from homeflow.domain.clock import parse_day
from homeflow.domain.errors import InvalidInput
from homeflow.domain.privacy import RECORDS_CARE
from homeflow.ingest.support_csv import (
    EPISODE_DATES,
    EPISODE_OPTIONAL,
    EPISODE_REQUIRED,
    episode_of,
)
from homeflow.services.after_discharge import episodes_as_recorded
from homeflow.store import db
from homeflow.store.access.audit import record as audit
from homeflow.store.access.scope import Forbidden, Viewer, fold_scoped
from homeflow.store.after_discharge import EpisodeProblems, save_support

# The provider's CSV columns, but the stay's key, which the page's address gives.
FIELDS = tuple(c for c in EPISODE_REQUIRED + EPISODE_OPTIONAL if c != "spell_key")


def support_of_spell(
    engine: Engine, viewer: Viewer, spell_key: str
) -> list[SupportEpisodeRecorded]:
    """The episodes after this stay, for someone whose organisation is involved in it."""
    with db.reading(engine) as conn:
        fold_scoped(conn, viewer, spell_key)
    return sorted(
        (e for e in episodes_as_recorded(engine) if e.spell_key == spell_key),
        key=lambda e: (e.start, e.episode_id),
    )


def record_support(
    engine: Engine, viewer: Viewer, spell_key: str, form: Mapping[str, str], today: date
) -> SupportEpisodeRecorded:
    """Store the episode the form describes (a new one, or a newer version of one)."""
    if viewer.role not in RECORDS_CARE:
        raise Forbidden("only care staff and admins record support after discharge")
    with db.reading(engine) as conn:
        fold_scoped(conn, viewer, spell_key)
    cells: dict[str, Any] = {"spell_key": spell_key}
    for name in FIELDS:
        text = (form.get(name) or "").strip()
        if text and name in EPISODE_DATES:
            day = parse_day(name, text)  # typed dd/mm/yyyy, where the files give ISO dates
            if day > today and name != "planned_end":  # a plan may look ahead; a fact may not
                raise InvalidInput(name, f"{day:%d/%m/%Y} is in the future")
            text = day.isoformat()
        cells[name] = text
    episode = episode_of(cells)
    try:
        stored = save_support(engine, [(1, episode)], viewer.email, "web")
    except EpisodeProblems as problems:
        _, field, reason = problems.problems[0]
        raise InvalidInput(field, reason) from None
    if stored:
        audit(engine, viewer, "change", f"support episode {episode.episode_id}", spell_key)
    return episode
