"""Every kind of community record, by its stored type name."""

from __future__ import annotations

from homeflow.domain.community.leaving import (
    ArbitrationRecorded,
    CheckInStarted,
    DischargeDecisionRecorded,
    EpisodeClosed,
    EpisodeReopened,
)
from homeflow.domain.community.records import (
    CarerRecorded,
    ContactRecorded,
    EpisodeOpened,
    GoalRecorded,
    PeerReviewRecorded,
    PlanAgreed,
    TeamDefined,
)
from homeflow.domain.community.sharing import (
    ConsentRecorded,
    DirectoryServiceRecorded,
    SignpostRecorded,
)
from homeflow.domain.events import Payload

COMMUNITY_KINDS: tuple[type[Payload], ...] = (
    TeamDefined,
    EpisodeOpened,
    ContactRecorded,
    GoalRecorded,
    PlanAgreed,
    CarerRecorded,
    PeerReviewRecorded,
    DischargeDecisionRecorded,
    CheckInStarted,
    EpisodeReopened,
    EpisodeClosed,
    ArbitrationRecorded,
    ConsentRecorded,
    SignpostRecorded,
    DirectoryServiceRecorded,
)
COMMUNITY_PAYLOADS: dict[str, type[Payload]] = {cls.TYPE: cls for cls in COMMUNITY_KINDS}
