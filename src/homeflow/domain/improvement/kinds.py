"""Every kind of improvement-programme event, by its stored type name."""

from __future__ import annotations

from homeflow.domain.events import Payload
from homeflow.domain.improvement.collaborative import COLLABORATIVE_PAYLOADS
from homeflow.domain.improvement.records import (
    AssessmentEntryRecorded,
    FrameworkDefined,
    ImprovementActionRecorded,
    PdsaRecorded,
    ProjectRecorded,
    SegmentSet,
)
from homeflow.domain.improvement.series import ManualSeriesRecorded

KINDS: tuple[type[Payload], ...] = (
    FrameworkDefined,
    AssessmentEntryRecorded,
    ProjectRecorded,
    PdsaRecorded,
    ImprovementActionRecorded,
    SegmentSet,
    ManualSeriesRecorded,
    *COLLABORATIVE_PAYLOADS,
)
PROGRAMME_PAYLOADS: dict[str, type[Payload]] = {cls.TYPE: cls for cls in KINDS}
