"""Recording an episode of support from the care transfer hub in the web app: the form's
fields read and checked, and the episode stored as a provider's CSV row would be, by the
store's one transaction that asks who may."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Engine

from homeflow.domain.after_discharge.records import SupportEpisodeRecorded
from homeflow.domain.clock import parse_day
from homeflow.domain.errors import InvalidInput
from homeflow.ingest.support_csv import (
    EPISODE_DATES,
    EPISODE_OPTIONAL,
    EPISODE_REQUIRED,
    episode_of,
)
from homeflow.services.after_discharge import episodes_as_recorded
from homeflow.store import db
from homeflow.store.access.scope import Viewer, fold_scoped
from homeflow.store.after_discharge import record_episode

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
) -> tuple[SupportEpisodeRecorded, bool]:
    """Store the episode the form describes: a new one, with an id nobody can guess, when
    the form gives none; else a newer version of that episode of this stay, if the viewer's
    organisation holds it (`domain.after_discharge.permissions`). Says whether anything was
    stored: the same episode again is not."""
    cells: dict[str, Any] = {"spell_key": spell_key}
    for name in FIELDS:
        text = (form.get(name) or "").strip()
        if text and name in EPISODE_DATES:
            day = parse_day(name, text)  # typed dd/mm/yyyy, where the files give ISO dates
            if day > today and name != "planned_end":  # a plan may look ahead; a fact may not
                raise InvalidInput(name, f"{day:%d/%m/%Y} is in the future")
            text = day.isoformat()
        cells[name] = text
    cells["episode_id"] = cells["episode_id"] or new_episode_id()
    episode = episode_of(cells)
    return episode, record_episode(engine, viewer, spell_key, episode)


def new_episode_id() -> str:
    return f"SUP-{uuid.uuid4().hex}"
