"""Who may record an episode of support after discharge, and who may change one.

Recording a new episode is for care staff and admins of an organisation involved in the
stay it followed (the caller has checked that involvement). An episode, once recorded, is
held by the organisation that recorded it (a care transfer hub's form), or for an episode
that came in a council's or provider's file, by the trust whose stay it followed; and by the
provider named in it when that is an organisation. Only they change it, whatever id a form
posts; and an episode never moves to another stay.
"""

from __future__ import annotations

from collections.abc import Container

from homeflow.domain.privacy import RECORDS_CARE, Role


def episode_holders(
    recorded_by_org: str | None,
    treating_org: str | None,
    provider: str,
    organisations: Container[str],
) -> frozenset[str]:
    """The organisations holding an episode: whoever recorded its first version (the trust
    treating the patient when it came in a file), and its provider if an organisation."""
    holders = {recorded_by_org or treating_org}
    if provider in organisations:
        holders.add(provider)
    return frozenset(h for h in holders if h)


def support_refusal(
    role: Role, org_code: str, episode_id: str, holders: frozenset[str] | None
) -> str | None:
    """Why a user of `org_code` in `role` may not record this episode; None when they may.
    `holders` is None for a new episode, else the organisations holding the stored one."""
    if role not in RECORDS_CARE:
        return "only care staff and admins record support after discharge"
    if holders is not None and org_code not in holders:
        return f"episode {episode_id} is held by another organisation; only it changes it"
    return None


def may_record_support(role: Role) -> bool:
    """Whether the page offers this user the form that records a new episode."""
    return support_refusal(role, "", "", None) is None
