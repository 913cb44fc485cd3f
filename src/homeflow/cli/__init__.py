"""The `homeflow` command line, by area: feeds, returns and measures, planning, administration.
Every message goes through `output`, which never reads text from outside as markup."""

from homeflow.cli import (
    admin,
    after_discharge,
    audit,
    bed_state,
    beds,
    community,
    delays,
    event_log,
    feeds,
    improvement,
    intermediate_care,
    mental_health,
    opel,
    planning,
    predict,
    returns,
    validation,
)
from homeflow.cli.app import app

__all__ = [
    "admin",
    "after_discharge",
    "app",
    "audit",
    "bed_state",
    "beds",
    "community",
    "delays",
    "event_log",
    "feeds",
    "improvement",
    "intermediate_care",
    "mental_health",
    "opel",
    "planning",
    "predict",
    "returns",
    "validation",
]
