"""The demo's community mental-health teams: two teams of the mental-health trust with ten
months of caseload: referrals, recovery plans in people's words, carers, contacts rated red or
green, peer reviews (most on time, some late, some missed), discharge decisions, check-in
discharges, one person re-accessing during check-in, one re-referred within 90 days and one
disputed discharge before the arbitration panel. The directory of trusted services is
`directory.csv`; consent for the council to see an episode is given by some, refused by a few.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources

from homeflow.demo.people import FAMILY_NAMES, GIVEN_NAMES, demo_nhs_number
from homeflow.domain.community.directory import NEEDS
from homeflow.domain.community.leaving import (
    ArbitrationRecorded,
    CheckInStarted,
    ClosureReason,
    DischargeChoice,
    DischargeDecisionRecorded,
    EpisodeClosed,
    EpisodeReopened,
)
from homeflow.domain.community.records import (
    Achievement,
    CarerAssessment,
    CarerRecorded,
    CommunityRecord,
    ContactKind,
    ContactRecorded,
    EpisodeOpened,
    GoalRecorded,
    LifeArea,
    PeerReviewRecorded,
    PlanAgreed,
    TeamDefined,
)
from homeflow.domain.community.sharing import (
    ConsentPurpose,
    ConsentRecorded,
    ConsentStatus,
    SignpostRecorded,
)
from homeflow.domain.events import DayColour

TRUST = "RW1"
COUNCIL = "LAR01"
HISTORY_DAYS = 300
CHECK_IN_DAYS = 42
TEAMS = (
    TeamDefined(
        "cmht-riverside", "Riverside Community Mental Health Team", TRUST, (12,),
        telephone="01632 960301",
    ),
    TeamDefined(
        "cmht-eastfield", "Eastfield Community Mental Health Team", TRUST, (12, 26),
        telephone="01632 960302",
    ),
)  # fmt: skip
# The practices the people of each team's area are registered with (fictional), one for each
# person in turn.
PRACTICES = {
    "cmht-riverside": ("Riverside Medical Centre", "Northgate Surgery", "Market Square Practice"),
    "cmht-eastfield": ("Eastfield Health Centre", "Mill Lane Surgery", "Orchard Family Practice"),
}
LEADS = ("Sam Okafor, CPN", "Priya Shah, OT", "Tom Byrne, social worker", "Ana Costa, CPN")
RED_REASONS = (
    "Routine review with no purpose agreed beforehand",
    "Waiting for a psychology opinion; nothing could change today",
    "New care coordinator; history retold, no plan moved",
    "Medication review repeated without new information",
)
# Goals in people's words, with what would show it is met and who helps.
GOALS = (
    (
        LifeArea.MENTAL_HEALTH,
        "Feel less anxious going out",
        "Goes to the shop alone twice a week",
        "wellbeing",
    ),
    (
        LifeArea.WORK,
        "Get back to work, part-time to start",
        "Works two days a week for a month",
        "work",
    ),
    (LifeArea.HOUSING, "Keep my flat", "Rent paid and no arrears for three months", "housing"),
    (LifeArea.MONEY, "Sort out my debts", "A repayment plan I can keep to", "money"),
    (LifeArea.RELATIONSHIPS, "See more of my daughter", "Visits every weekend", "relationships"),
    (
        LifeArea.PHYSICAL_HEALTH,
        "Walk every day",
        "Walks 30 minutes five days a week",
        "physical-activity",
    ),
    (LifeArea.DAILY_LIVING, "Cook for myself again", "Cooks a hot meal most days", "food"),
    (LifeArea.RELATIONSHIPS, "Have people to talk to", "Goes to a group every week", "loneliness"),
)


Person = tuple[str, str, date]  # given name, family name, birth date


@dataclass
class Journey:
    """One person's path through a team, decided up front by the demo's random stream."""

    episode_id: str
    team: TeamDefined
    referral: date
    opened: date
    routine_days: int
    choice: DischargeChoice
    reaccess_in_check_in: bool = False


def _people(rng: random.Random, end: date) -> Iterator[Journey]:
    start = end - timedelta(days=HISTORY_DAYS)
    n = 0
    for team in TEAMS:
        day = start
        while True:
            day += timedelta(days=rng.randint(2, 6))
            opened = day + timedelta(days=rng.randint(3, 21))
            if opened > end:
                break
            n += 1
            choice = rng.choices(
                (DischargeChoice.CHECK_IN, DischargeChoice.DISCHARGE), (0.75, 0.25)
            )[0]
            yield Journey(f"ep-{n:04d}", team, day, opened, rng.randint(70, 220), choice)


def community_records(seed: int, end: date, services: dict[str, str]) -> list[CommunityRecord]:
    """Every team, person and record of the demo, in the order they happened per person.
    `services` maps a need to a directory service's id, for signposting."""
    rng = random.Random(seed * 104729 + 3)
    issued: set[str] = set()
    records: list[CommunityRecord] = list(TEAMS)
    journeys = list(_people(rng, end))
    # Three journeys that show the rest of the process: re-access during check-in, a
    # disputed discharge, and (below) a re-referral soon after closing.
    long_done = [j for j in journeys if j.opened + timedelta(days=j.routine_days + 60) < end]
    if len(long_done) >= 3:
        long_done[0].choice, long_done[0].reaccess_in_check_in = DischargeChoice.CHECK_IN, True
        long_done[1].choice = DischargeChoice.DISPUTED
    re_referred = long_done[2] if len(long_done) >= 3 else None
    for journey in journeys:
        nhs = demo_nhs_number(rng, issued)
        born = journey.referral - timedelta(days=rng.randint(18 * 365, 75 * 365))
        person = (rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES), born)
        records += _journey(rng, journey, nhs, person, end, services)
        if journey is re_referred:
            records += _re_referral(journey, nhs, person, end)
    return records


def _journey(
    rng: random.Random,
    j: Journey,
    nhs: str,
    person: Person,
    end: date,
    services: dict[str, str],
) -> list[CommunityRecord]:
    lead = rng.choice(LEADS)
    out: list[CommunityRecord] = [
        EpisodeOpened(
            j.episode_id, j.team.team_code, nhs, person[0], person[1], person[2], j.referral,
            j.opened, lead, rng.choice(("GP", "Crisis team", "Inpatient ward", "Self-referral")),
            _practice(j.team.team_code, j.episode_id),
        )
    ]  # fmt: skip
    last_routine = j.opened + timedelta(days=j.routine_days)
    stop = min(end, last_routine)
    planned = j.opened + timedelta(days=rng.randint(7, 21))
    goals = rng.sample(GOALS, rng.randint(2, 3))
    targets = [j.opened + timedelta(days=rng.randint(60, 200)) for _ in goals]
    if planned <= stop:
        for n, (area, words, criteria, _) in enumerate(goals, 1):
            out.append(
                GoalRecorded(
                    j.episode_id, f"g{n}", words, area, criteria, targets[n - 1], planned,
                    rng.choice(("Care coordinator", "Peer support worker", "Family", "OT")),
                )
            )  # fmt: skip
        if rng.random() < 0.85:
            out.append(PlanAgreed(j.episode_id, planned, f"{person[0]} {person[1]} with {lead}"))
    out += _carer(rng, j, planned, stop)
    out += _contacts(rng, j, stop)
    out += _progress(rng, j, list(zip(goals, targets, strict=True)), planned, stop)
    out += _reviews(rng, j, stop, end)
    for n, target in enumerate(targets, 1):
        held = target + timedelta(days=rng.randint(-5, 9))
        if planned <= held <= stop and rng.random() < 0.8:
            out.append(
                PeerReviewRecorded(
                    j.episode_id, f"goal-g{n}", held, "Is this goal still the person's own?",
                    "Goal reviewed with the person; plan updated", ("Care coordinator", "Peer reviewer"),
                )
            )  # fmt: skip
    for n, (_, _, _, need) in enumerate(goals[:2]):
        on = planned + timedelta(days=7 * (n + 1))
        if need in services and on <= stop:
            out.append(SignpostRecorded(j.episode_id, services[need], on, need))
    if rng.random() < 0.3 and j.opened + timedelta(days=10) <= end:
        status = ConsentStatus.GIVEN if rng.random() < 0.8 else ConsentStatus.REFUSED
        on = j.opened + timedelta(days=10)
        out.append(ConsentRecorded(COUNCIL, ConsentPurpose.DIRECT_CARE, status, on, j.episode_id))
    if last_routine <= end:
        out += _leaving(rng, j, last_routine, end, lead)
    return out


def _carer(rng: random.Random, j: Journey, planned: date, stop: date) -> list[CommunityRecord]:
    if rng.random() > 0.55 or planned > stop:
        return []
    assessment = rng.choices(list(CarerAssessment), (0.2, 0.25, 0.4, 0.15))[0]
    name = f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}"
    return [
        CarerRecorded(
            j.episode_id, "c1", name, rng.choice(("Partner", "Mother", "Son", "Daughter", "Friend")),
            assessment, planned,
            "Riverside City Council" if assessment in (CarerAssessment.DONE, CarerAssessment.OFFERED) else "",
            "Riverside Carers Centre" if assessment is CarerAssessment.DONE else "",
        )
    ]  # fmt: skip


def _contacts(rng: random.Random, j: Journey, stop: date) -> list[CommunityRecord]:
    out: list[CommunityRecord] = []
    day, n = j.opened, 0
    while day <= stop:
        n += 1
        red = rng.random() < 0.18
        dialog: tuple[int, ...] = ()
        if n % 4 == 1:
            lift = min(3, n // 4)
            dialog = tuple(min(7, rng.randint(2, 4) + lift) for _ in range(11))
        out.append(
            ContactRecorded(
                j.episode_id, f"k{n}", day,
                rng.choice((ContactKind.APPOINTMENT, ContactKind.APPOINTMENT, ContactKind.CALL, ContactKind.HOME_VISIT)),
                DayColour.RED if red else DayColour.GREEN,
                rng.choice(RED_REASONS) if red else "",
                dialog=dialog, more_help=(1, 3) if dialog and rng.random() < 0.4 else (),
            )
        )  # fmt: skip
        day += timedelta(days=rng.randint(7, 14))
    return out


def _progress(
    rng: random.Random,
    j: Journey,
    goals: list[tuple[tuple[LifeArea, str, str, str], date]],
    planned: date,
    stop: date,
) -> list[CommunityRecord]:
    """Each goal's progress about six weeks in and again some months in."""
    out: list[CommunityRecord] = []
    for n, ((area, words, criteria, _), target) in enumerate(goals, 1):
        for step, status in ((45, Achievement.IMPROVING), (110, Achievement.ACHIEVED)):
            on = planned + timedelta(days=step + rng.randint(0, 20))
            if on > stop:
                break
            if status is Achievement.ACHIEVED and rng.random() < 0.25:
                status = Achievement.NO_PROGRESS
            out.append(
                GoalRecorded(
                    j.episode_id, f"g{n}", words, area, criteria, target, on,
                    "Care coordinator", status, f"Reviewed together on {on:%d/%m/%Y}",
                )
            )  # fmt: skip
    return out


def _reviews(rng: random.Random, j: Journey, stop: date, end: date) -> list[CommunityRecord]:
    out: list[CommunityRecord] = []
    for weeks in j.team.review_weeks:
        due = j.opened + timedelta(weeks=weeks)
        held = due + timedelta(days=rng.randint(-7, 12))
        if held <= stop and held <= end and rng.random() < 0.85:
            out.append(
                PeerReviewRecorded(
                    j.episode_id, f"week-{weeks}", held,
                    "Is the plan still the person's own, and what would let them leave us?",
                    rng.choice(("Plan refreshed; two goals narrowed", "Discharge planning to start", "Continue; carer's assessment to offer")),
                    ("Care coordinator", "Peer reviewer from another team", "Team manager"),
                )
            )  # fmt: skip
    return out


def _practice(team_code: str, episode_id: str) -> str:
    """The person's practice, in turn by episode (no draw, so the demo's stream is as it was)."""
    practices = PRACTICES[team_code]
    return practices[int(episode_id.removeprefix("ep-")) % len(practices)]


def _leaving(
    rng: random.Random, j: Journey, last: date, end: date, lead: str
) -> list[CommunityRecord]:
    decided = last - timedelta(days=7)
    out: list[CommunityRecord] = [
        PeerReviewRecorded(
            j.episode_id, "before-discharge", decided - timedelta(days=2),
            "Are the risks held outside services, and does the person know how to come back?",
            "Agreed to move to check-in" if j.choice is DischargeChoice.CHECK_IN else "Agreed",
            ("Care coordinator", "Critical friend from the crisis team"),
        ),
        DischargeDecisionRecorded(
            j.episode_id, decided, j.choice,
            "Most goals met in the person's own terms",
            "Relapse signs known to the person and their family; crisis line on the plan",
            "Recovery college course and a weekly group",
            "GP to continue the current prescription; shared-care agreement in place",
            "Crisis café and crisis line; direct re-access to the team during check-in",
            "Ready to try without the team, a little nervous",
            "Relieved there is a way back in" if rng.random() < 0.6 else "",
            lead,
        ),
    ]  # fmt: skip
    if j.choice is DischargeChoice.DISPUTED:
        heard = decided + timedelta(days=12)
        out.append(
            ArbitrationRecorded(
                j.episode_id, "arb-1", decided + timedelta(days=2),
                "Is discharge safe while housing is not settled?",
                ("Clinical: consultant psychiatrist", "Wider agency: council housing lead",
                 "Legal: trust solicitor", "Advocate: independent advocate"),
                decided + timedelta(days=16),
                heard if heard <= end else None,
                "Discharge after housing support starts" if heard <= end else "",
                "Housing officer to confirm tenancy support; then check-in" if heard <= end else "",
                heard + timedelta(days=21) if heard <= end else None,
            )
        )  # fmt: skip
        return out
    if j.choice is DischargeChoice.DISCHARGE:
        letter = last + timedelta(days=3)
        out.append(
            EpisodeClosed(
                j.episode_id, last, ClosureReason.DISCHARGED, letter if letter <= end else None
            )
        )
        return out
    ends = last + timedelta(days=CHECK_IN_DAYS)
    out.append(CheckInStarted(j.episode_id, last, ends))
    check_in_call = last + timedelta(days=21)
    if check_in_call <= end:
        out.append(
            ContactRecorded(
                j.episode_id, "check-in-1", check_in_call, ContactKind.CHECK_IN, DayColour.GREEN,
                note="Keeping well; knows how to get back in touch", routine=False,
            )
        )  # fmt: skip
    if j.reaccess_in_check_in and last + timedelta(days=30) <= end:
        back = last + timedelta(days=30)
        out.append(EpisodeReopened(j.episode_id, back, "Lost job; low mood returned"))
        again = back + timedelta(days=35)
        if again <= end:
            out.append(CheckInStarted(j.episode_id, again, again + timedelta(days=CHECK_IN_DAYS)))
    return out


def _re_referral(j: Journey, nhs: str, person: Person, end: date) -> list[CommunityRecord]:
    """The same person referred again 30 days after their check-in ended."""
    closed = j.opened + timedelta(days=j.routine_days + CHECK_IN_DAYS)
    if j.choice is DischargeChoice.DISCHARGE:
        closed = j.opened + timedelta(days=j.routine_days)
    referral = closed + timedelta(days=30)
    if referral + timedelta(days=7) > end:
        return []
    return [
        EpisodeOpened(
            f"{j.episode_id}-r", j.team.team_code, nhs, person[0], person[1], person[2], referral,
            referral + timedelta(days=7), "Sam Okafor, CPN", "GP",
            _practice(j.team.team_code, j.episode_id),
        )
    ]  # fmt: skip


def directory_csv(end: date) -> str:
    """The demo directory, each service last reviewed in the six months before `end`."""
    text = resources.files("homeflow.demo").joinpath("directory.csv").read_text("utf-8")
    lines = text.splitlines()
    out = [lines[0]]
    for n, line in enumerate(lines[1:]):
        reviewed = end - timedelta(days=14 + 11 * n)
        out.append(line.replace("ASSURED", reviewed.isoformat()))
    return "\n".join(out) + "\n"


def need_services(docs: list[dict[str, object]]) -> dict[str, str]:
    """For each need, the first demo service that meets it."""
    found: dict[str, str] = {}
    for doc in docs:
        for attribute in doc.get("attributes") or []:  # type: ignore[attr-defined]
            term = attribute.get("taxonomy_term_id", "")
            if term in NEEDS:
                found.setdefault(term, str(doc["id"]))
    return found
