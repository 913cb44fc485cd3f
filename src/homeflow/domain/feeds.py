"""Who runs a feed. A feed belongs to the organisation its mapping names (`[feed]
organisation`): its page, its messages as sent (patient data), its mapping and its replay are
for that organisation's admins and the admins of the system (ICB) it belongs to. A feed whose
mapping names no organisation may carry any trust's patients: it is run by the admins of the
system only where the registry holds a single system, and by nobody in the browser otherwise.

Who owns a feed decides whose spells its messages make, so the organisation a mapping names is
never changed in the browser once named; a feed that names none is given one, of their own
system, by the system's admins."""

from __future__ import annotations

from collections.abc import Collection

from homeflow.domain.privacy import Role

# A feed's messages as sent hold patient data; its mapping decides whose spells they make.
RUNS_FEEDS = frozenset({Role.ADMIN})


def role_refusal(role: Role) -> str | None:
    """Why a `role` user runs no feed at all; None when they may run some."""
    if role not in RUNS_FEEDS:
        return "only admins run feeds: their messages hold patient data"
    return None


def feed_refusal(
    role: Role,
    viewer_org: str,
    owner: str | None,
    administered: Collection[str],
    systems: Collection[str],
) -> str | None:
    """Why a `role` user of `viewer_org` may not run a feed owned by `owner` (None: named by
    no mapping); None when they may. `administered` is the viewer's organisation and those it
    holds (a system's trusts and councils); `systems` every ICB in the registry."""
    if (not_an_admin := role_refusal(role)) is not None:
        return not_an_admin
    if owner is not None:
        if owner in administered:
            return None
        return f"this feed belongs to {owner}: only its admins and its system's admins run it"
    if set(systems) == {viewer_org}:
        return None
    return "this feed's mapping names no organisation: only the system's admins run it"


def organisation_refusal(
    owner: str | None, named: str | None, administered: Collection[str]
) -> str | None:
    """Why a mapping naming `named` may not replace one owned by `owner`, saved by someone
    who may run the feed and administers `administered`; None when it may."""
    if owner is not None:
        if named == owner:
            return None
        return (
            f"must stay {owner!r}: the feed belongs to {owner}, whose spells its messages make, "
            "and that is not changed in the browser"
        )
    if named is None or named in administered:
        return None
    return f"is {named!r}, not an organisation of your system"
