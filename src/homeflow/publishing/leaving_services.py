"""What the discharge decision tool hands out: a plain-language summary for the person and
their carer, written to them, with the team's telephone number and how to get back in touch;
and a letter to their GP practice about them, in the third person, signed by their care
coordinator; as HTML pages Chromium prints to PDF."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from homeflow.domain.clock import format_day
from homeflow.domain.community.caseload import Caseloads, Episode
from homeflow.domain.community.directory import NEEDS, DirectoryService
from homeflow.domain.community.leaving import (
    DischargeDecisionRecorded,
)
from homeflow.domain.errors import InvalidInput

_templates = Environment(
    loader=PackageLoader("homeflow.publishing", "templates"), autoescape=select_autoescape()
)
_templates.filters["day"] = format_day
LETTERS = {"summary": "leaving_summary.html", "gp-letter": "gp_letter.html"}


def letter_html(
    kind: str,
    caseloads: Caseloads,
    episode: Episode,
    directory: dict[str, DirectoryService],
    inline: bool = True,
    trust: str = "",
) -> str:
    """The summary or the GP letter for an episode's latest discharge decision; `trust`, the
    name of the team's trust."""
    decision = episode.decision()
    if decision is None:
        raise InvalidInput("decision", "record the discharge decision first")
    if kind not in LETTERS:
        raise InvalidInput("kind", f"{kind!r} is not one of {', '.join(LETTERS)}")
    person = episode.opened
    team = caseloads.teams.get(person.team_code)
    return _templates.get_template(LETTERS[kind]).render(
        episode=episode,
        person=person,
        decision=decision,
        team=team,
        trust=trust,
        signed_by=person.lead_professional or decision.decided_by,
        goals=episode.current_goals(),
        carers=list(episode.carers.values()),
        signposts=[(s, directory.get(s.service_id)) for s in episode.signposts],
        check_in=episode.check_in(),
        needs=NEEDS,
        inline=inline,
        choice_words=_choice_words(decision),
        about_words=_about_words(decision, f"{person.given_name} {person.family_name}"),
    )


def _choice_words(decision: DischargeDecisionRecorded) -> str:
    """The decision, said to the person."""
    return {
        "check-in": "You will move to a check-in period before your care with us ends.",
        "discharge": "Your care with us is ending.",
        "continue": "We agreed that your care with us continues for now.",
        "disputed": "We have not yet agreed; an independent panel will look at the decision.",
    }[decision.choice.value]


def _about_words(decision: DischargeDecisionRecorded, name: str) -> str:
    """The decision, said to the GP about the person."""
    return {
        "check-in": f"{name} has moved to a check-in period with the team before their care "
        "with us ends; during it they can contact the team directly, without a new referral.",
        "discharge": f"{name}'s care with the team is ending.",
        "continue": f"We agreed with {name} that their care with the team continues for now.",
        "disputed": f"{name} and the team have not agreed that their care should end; an "
        "independent panel will review the decision.",
    }[decision.choice.value]


def letter_css() -> str:
    assert _templates.loader is not None
    return _templates.loader.get_source(_templates, "letter.css")[0]
