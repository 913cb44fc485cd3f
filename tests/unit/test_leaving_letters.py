"""The letters of leaving mental-health services, read as their readers read them: the GP
letter is addressed to the person's practice, is about the person (never to them), and is
signed by their named care coordinator with the team, its trust and telephone; the person's
summary gives the team's telephone number and how to get back in touch."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from homeflow.domain.community.caseload import Caseloads, fold_caseloads
from homeflow.domain.community.leaving import (
    CheckInStarted,
    DischargeChoice,
    DischargeDecisionRecorded,
)
from homeflow.domain.community.records import CommunityRecord, EpisodeOpened, TeamDefined
from homeflow.domain.errors import InvalidInput
from homeflow.domain.events import Event
from homeflow.publishing.leaving_services import letter_html

TEAM = TeamDefined(
    "cmht-riverside", "Riverside Community Mental Health Team", "RW1", telephone="01632 960301"
)
TRUST = "Demo Mental Health NHS Foundation Trust"
OPENED = EpisodeOpened(
    "ep-1", "cmht-riverside", "9434765919", "Ann", "Smith", date(1970, 1, 1),
    date(2026, 3, 2), date(2026, 3, 9), "Sam Okafor, CPN", "GP", "Riverside Medical Centre",
)  # fmt: skip
DECIDED = date(2026, 9, 1)


def decision(
    choice: DischargeChoice, decided_by: str = "Care coordinator"
) -> DischargeDecisionRecorded:
    return DischargeDecisionRecorded(
        "ep-1", DECIDED, choice, "Most goals met", "Relapse signs known to the family",
        "A weekly group", "Continue the current prescription", "Crisis line on the plan",
        "Ready to try", "", decided_by,
    )  # fmt: skip


def letter(kind: str, *records: CommunityRecord, team: TeamDefined = TEAM) -> str:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    found: Caseloads = fold_caseloads(
        Event(f"k{n}", "test", at, at, None, r) for n, r in enumerate((team, OPENED, *records))
    )
    html = letter_html(kind, found, found.episodes["ep-1"], {}, trust=TRUST)
    text = re.sub(r"<[^>]+>", " | ", html.replace("&#39;", "'"))
    return re.sub(r"(\s*\|\s*)+", " | ", " ".join(text.split()))


CHECK_IN = CheckInStarted("ep-1", DECIDED, date(2026, 10, 13))


def test_the_gp_letter_is_to_the_practice_about_the_person_and_signed_by_the_coordinator() -> None:
    text = letter("gp-letter", decision(DischargeChoice.CHECK_IN), CHECK_IN)
    assert "To: Riverside Medical Centre" in text
    assert "Dear colleagues at Riverside Medical Centre," in text
    assert "Dear Doctor" not in text
    assert (
        "Ann Smith has moved to a check-in period with the team before their care with us ends;"
        " during it they can contact the team directly, without a new referral." in text
    )
    # Written about the person: none of the letter's own words speak to them.
    assert not re.search(r"\b(you|your)\b", text, re.IGNORECASE)
    assert "Ann's view: | Ready to try" in text
    assert "until 13/10/2026 they can contact us directly" in text
    assert "call the team on 01632 960301" in text
    signed = text[text.index("Yours sincerely") :]
    assert signed.startswith(
        "Yours sincerely, | Sam Okafor, CPN | Care coordinator, Riverside Community Mental"
        " Health Team | Demo Mental Health NHS Foundation Trust"
    )
    assert (
        "Riverside Community Mental Health Team, Demo Mental Health NHS Foundation Trust |" in text
    )
    assert "Telephone 01632 960301" in text


@pytest.mark.parametrize(
    ("choice", "words"),
    [
        (DischargeChoice.DISCHARGE, "Ann Smith's care with the team is ending."),
        (DischargeChoice.CONTINUE, "We agreed with Ann Smith that their care with the team continues"),
        (DischargeChoice.DISPUTED, "Ann Smith and the team have not agreed that their care should end"),
    ],
)  # fmt: skip
def test_every_decision_is_told_to_the_gp_about_the_person(
    choice: DischargeChoice, words: str
) -> None:
    text = letter("gp-letter", decision(choice))
    assert words in text
    assert not re.search(r"\b(you|your)\b", text, re.IGNORECASE)
    assert "please refer them back to us or call the team on 01632 960301" in text


def test_a_letter_without_a_practice_or_coordinator_says_so_and_signs_as_the_team() -> None:
    unnamed = EpisodeOpened(
        "ep-1", "cmht-riverside", "9434765919", "Ann", "Smith", date(1970, 1, 1),
        date(2026, 3, 2), date(2026, 3, 9),
    )  # fmt: skip
    text = letter("gp-letter", unnamed, decision(DischargeChoice.DISCHARGE, ""))
    assert "To: The person's GP practice" in text and "Dear colleagues," in text
    assert "Yours sincerely, | Riverside Community Mental Health Team | Demo Mental" in text


def test_the_summary_gives_the_teams_telephone_and_how_to_get_back_in_touch() -> None:
    text = letter("summary", decision(DischargeChoice.CHECK_IN), CHECK_IN)
    assert "You will move to a check-in period before your care with us ends." in text
    assert "If you need us again" in text
    assert "Call Riverside Community Mental Health Team on | 01632 960301 | ." in text
    assert (
        "Until 13/10/2026 you can contact the team directly, without a new referral; after"
        " that, ask your GP at Riverside Medical Centre to refer you back to us." in text
    )
    assert "call NHS 111 and choose the option for mental health" in text
    decided = letter("summary", decision(DischargeChoice.CHECK_IN))  # check-in not begun yet
    assert (
        "During your check-in period you can contact the team directly, without a new referral;"
        " after it, ask your GP at Riverside Medical Centre to refer you back to us." in decided
    )
    assert "during the check-in period they can contact us directly; after it, please refer" in (
        letter("gp-letter", decision(DischargeChoice.CHECK_IN))
    )
    ended = letter("summary", decision(DischargeChoice.DISCHARGE))
    assert "Your GP at Riverside Medical Centre can refer you back to us." in ended


def test_a_teams_telephone_must_be_a_telephone_number() -> None:
    for bad in ("call us", "01632", "01632 960301 ext 4 and more digits 12345"):
        with pytest.raises(InvalidInput) as problem:
            TeamDefined("cmht-a", "A team", "RW1", telephone=bad)
        assert problem.value.field == "telephone"
    assert TeamDefined("cmht-a", "A team", "RW1", telephone="+44 (0)1632 960301").telephone
