"""Who may see and record what of a community episode: the one rule the store and every page
ask.

An episode belongs to the organisation whose team holds it. Its clinical staff and admins
(`RECORDS_CARE`) record everything on it, consent included, and see all of it. Another
organisation sees an episode only while the person's consent, held by that episode, is given
to it, and then only what the consent's purpose shares (`PURPOSE_SHARES`); it records
nothing. An episode of the same person held elsewhere shares nothing through this one, so no
page tells an organisation that another cares for the person unless a consent lets it see.
"""

from __future__ import annotations

from enum import StrEnum

from homeflow.domain.community.caseload import Caseloads, Episode
from homeflow.domain.community.records import CommunityRecord, EpisodeOpened, TeamDefined
from homeflow.domain.community.sharing import (
    ConsentPurpose,
    ConsentRecorded,
    ConsentStatus,
    DirectoryServiceRecorded,
)
from homeflow.domain.privacy import RECORDS_CARE, REVIEWS_DIRECTORY, Role


class Part(StrEnum):
    """The parts of an episode a page shows, each shared or not as a whole."""

    PERSON = "person"  # name, NHS number, birth date, team, lead professional, status
    PLAN = "plan"  # the goals, their progress and the plan's agreement
    CRISIS_PLAN = "crisis-plan"
    CONTACTS = "contacts"  # contacts, red reasons, DIALOG ratings
    CARERS = "carers"
    PEER_REVIEWS = "peer-reviews"
    SIGNPOSTS = "signposts"  # the support outside the trust
    DECISION = "decision"  # the discharge decision tool, the summary and the GP letter
    LEAVING = "leaving"  # check-in, re-access and closure
    ARBITRATION = "arbitration"
    CONSENTS = "consents"  # every consent the episode holds (the holder's own business)


EVERYTHING = frozenset(Part)
PURPOSE_SHARES: dict[ConsentPurpose, frozenset[Part]] = {
    # Caring for the person alongside the team: the whole episode but whom else it shares with.
    ConsentPurpose.DIRECT_CARE: EVERYTHING - {Part.CONSENTS},
    # Supporting the person's carers: who they are, what support they have and are offered,
    # what to do in a crisis, and when the person leaves services and how they come back.
    ConsentPurpose.CARER_SUPPORT: frozenset(
        {Part.PERSON, Part.CARERS, Part.CRISIS_PLAN, Part.SIGNPOSTS, Part.LEAVING}
    ),
}
# What a caseload's lists and a measure's people show of each episode.
CASELOAD_PARTS = frozenset({Part.PERSON, Part.PLAN, Part.CONTACTS, Part.PEER_REVIEWS})


def shared_with(viewer_org: str, episode: Episode) -> frozenset[Part]:
    """What of `episode` an organisation sees: all of it when the episode is its own, what the
    purposes of the consents given to it share otherwise; nothing at all is no access."""
    if viewer_org == episode.org_code:
        return EVERYTHING
    shared: frozenset[Part] = frozenset()
    for (org, _), consent in episode.consents.items():
        if org == viewer_org and consent.status is ConsentStatus.GIVEN:
            shared |= PURPOSE_SHARES[consent.purpose]
    return shared


def consents_shown(viewer_org: str, episode: Episode) -> list[ConsentRecorded]:
    """The episode's consents a viewer may read: every one where its consents are shared with
    them (its own organisation's), else only the one given to the viewer's organisation."""
    everyone = Part.CONSENTS in shared_with(viewer_org, episode)
    return [c for (org, _), c in episode.consents.items() if everyone or org == viewer_org]


def in_lists(viewer_org: str, episode: Episode) -> bool:
    """Whether a caseload's lists and a measure's people may show the episode to the viewer."""
    return shared_with(viewer_org, episode) >= CASELOAD_PARTS


def episode_refusal(viewer_org: str, role: Role, episode: Episode) -> str | None:
    """Why this user may not record on the episode (its consents included); None when they may."""
    if viewer_org != episode.org_code:
        return "only the organisation holding this episode records on it"
    if role not in RECORDS_CARE:
        return f"a {role} user does not record a person's care"
    return None


def team_refusal(viewer_org: str, role: Role, team: TeamDefined) -> str | None:
    """Why this user may not take someone onto the team's caseload; None when they may."""
    if viewer_org != team.org_code:
        return "only the team's own organisation takes people onto its caseload"
    if role not in RECORDS_CARE:
        return f"a {role} user does not take people onto a caseload"
    return None


def directory_refusal(role: Role, viewer_system: str, directory_system: str | None) -> str | None:
    """The directory is its system's (the one whose organisations hold the sites): that
    system's coordinators and admins assure its services, and no other system's."""
    if role not in REVIEWS_DIRECTORY:
        return "only the system's coordinators and admins review directory services"
    if directory_system is None or viewer_system != directory_system:
        return f"the directory is {directory_system or 'no single system'}'s, assured by its own"
    return None


def refusal(
    viewer_org: str,
    role: Role,
    caseloads: Caseloads,
    item: CommunityRecord,
    systems: tuple[str, str | None] = ("", None),
) -> str | None:
    """Why this user may not record `item`; None when they may. A record about a team or an
    episode that does not exist is left to `rules.check_record`, which names the field.
    `systems`: the viewer's system and the directory's, for a directory service."""
    if isinstance(item, TeamDefined):
        existing = caseloads.teams.get(item.team_code)
        if role is not Role.ADMIN or viewer_org != item.org_code:
            return "a team is defined by its own organisation's admins"
        if existing is not None and existing.org_code != viewer_org:
            return "the team belongs to another organisation"
        return None
    if isinstance(item, DirectoryServiceRecorded):
        return directory_refusal(role, *systems)
    if isinstance(item, EpisodeOpened):
        existing_episode = caseloads.episodes.get(item.episode_id)
        if existing_episode is not None:
            return episode_refusal(viewer_org, role, existing_episode)
        team = caseloads.teams.get(item.team_code)
        return team_refusal(viewer_org, role, team) if team is not None else None
    episode = caseloads.episodes.get(getattr(item, "episode_id", ""))
    if episode is None:
        # A record naming no episode (an early consent's form) is nobody's to add now.
        return None if getattr(item, "episode_id", "") else "a record names its episode"
    return episode_refusal(viewer_org, role, episode)
