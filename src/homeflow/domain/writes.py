"""Who may record what on a patient's record. Reading is `privacy.may_identify`: the treating
trust and the providers a patient has been referred to. Writing is narrower:

- the treating trust's care roles record the clinical picture (EDD, criteria to reside, delay
  reason, pathway, red/green days, reviews, CHC, a mental-health stay's delayed discharge
  periods) and make referrals;
- only the provider a referral was made to accepts, declines or completes it (the treating
  trust, when the referral named no provider);
- daily-call actions and escalations are added, while the patient is in hospital, by any
  organisation involved in the patient's care and by the coordinators of the patient's system
  (who chair the call), and changed only by the organisation that owns the action (its
  owner_org) or the one that recorded it.
"""

from __future__ import annotations

from collections.abc import Collection

from homeflow.domain import events as ev
from homeflow.domain.privacy import RECORDS_ACTIONS, RECORDS_CARE, Role, may_identify
from homeflow.domain.spell import SpellState, SpellStatus


def may_record_care(org_code: str, role: Role, treating_org: str | None) -> bool:
    """The treating trust's care roles record the clinical picture and make referrals."""
    return role in RECORDS_CARE and org_code == treating_org


def may_answer_referral(
    org_code: str, role: Role, provider_org: str | None, treating_org: str | None
) -> bool:
    """Only the provider a referral was made to (else the treating trust) answers it."""
    return role in RECORDS_CARE and org_code == (provider_org or treating_org)


def may_record_actions(
    org_code: str,
    role: Role,
    treating_org: str | None,
    involved: Collection[str],
    treating_system: str | None,
) -> bool:
    """Daily-call actions and escalations are agreed by the discharge teams, coordinators and
    admins of an organisation involved in the patient's care (the treating trust, a provider
    the patient was referred to), and by a coordinator of the system the treating trust belongs
    to, who chairs the call; whether the patient is still in hospital is `refusal`'s to say."""
    if role not in RECORDS_ACTIONS:
        return False
    if may_identify(org_code, treating_org, involved):
        return True
    return role is Role.SYSTEM_COORDINATOR and org_code == treating_system


def refusal(
    payload: ev.Payload,
    org_code: str,
    role: Role,
    state: SpellState,
    treating_org: str | None,
    action_recorded_by_org: str | None = None,
    treating_system: str | None = None,
) -> str | None:
    """Why `org_code` in `role` may not record `payload` on this spell; None when it may.
    For anything but an action the caller has already checked that the organisation is
    involved in the patient's care; an action's own rule says who may (`may_record_actions`)."""
    if isinstance(payload, ev.ActionRecorded):
        return _action_refusal(
            payload, org_code, role, state, treating_org, action_recorded_by_org, treating_system
        )
    if role not in RECORDS_CARE:
        return f"a {role} user does not record this"
    if isinstance(payload, ev.ReferralAccepted | ev.ReferralDeclined | ev.ReferralCompleted):
        referral = next((r for r in state.referrals if r.referral_id == payload.referral_id), None)
        if referral is None:
            return f"there is no referral {payload.referral_id}"
        if not may_answer_referral(org_code, role, referral.provider_org, treating_org):
            return "only the provider the referral was made to answers it"
        return None
    if not may_record_care(org_code, role, treating_org):
        if isinstance(payload, ev.ReferralMade):
            return "only the trust treating the patient refers them"
        return "only the team caring for this patient records this"
    return None


def may_change_action(
    org_code: str, role: Role, owner_org: str | None, recorded_by_org: str | None
) -> bool:
    """An action is changed (done, cancelled, re-dated) by the organisation that owns it or the
    one that recorded it, involved in the patient's care or not."""
    return role in RECORDS_ACTIONS and org_code in {owner_org, recorded_by_org} - {None}


def _action_refusal(
    payload: ev.ActionRecorded,
    org_code: str,
    role: Role,
    state: SpellState,
    treating_org: str | None,
    recorded_by_org: str | None,
    treating_system: str | None,
) -> str | None:
    if role not in RECORDS_ACTIONS:
        return f"a {role} user does not record daily-call actions"
    if state.status is not SpellStatus.ADMITTED:
        return "the patient is no longer in hospital"
    existing = next((a for a in state.actions if a.action_id == payload.action_id), None)
    if existing is not None:
        if not may_change_action(org_code, role, existing.owner_org, recorded_by_org):
            return "only the organisation that owns this action changes it"
        return None
    involved = {r.provider_org for r in state.referrals if r.provider_org}
    if not may_record_actions(org_code, role, treating_org, involved, treating_system):
        return "only the organisations caring for the patient, and their system's coordinators, add actions"
    return None


def may_change_beds(org_code: str, role: Role, ward_org: str, ward_system: str | None) -> bool:
    """A ward's beds are changed by an admin of its trust or of the trust's system."""
    return role is Role.ADMIN and org_code in {ward_org, ward_system}


def may_enter_opel(org_code: str, role: Role, provider: str) -> bool:
    """A provider's OPEL parameters are entered by its own staff who run its flow (not ward
    staff, not an analyst), and by no other organisation: not even its system, which reads
    them to roll them up."""
    return org_code == provider and role in RECORDS_ACTIONS


def may_set_bed_status(org_code: str, role: Role, ward_org: str) -> bool:
    """A bed's status (cleaned, closed, isolated, reserved) is set by its own trust's ward
    staff, discharge and flow teams and admins, never by another organisation, its system
    included: the beds are the trust's."""
    return org_code == ward_org and role in RECORDS_CARE


def may_coordinate_beds(org_code: str, role: Role, site_org: str) -> bool:
    """A site's bed requests are made and given beds by its own trust's flow staff (the site
    team: discharge and flow teams, admins), never by another organisation, its system
    included: the beds are the trust's."""
    return org_code == site_org and role in (Role.DISCHARGE_TEAM, Role.ADMIN)
