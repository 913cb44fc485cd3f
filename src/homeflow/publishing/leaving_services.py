"""What the discharge decision tool hands out: a plain-language summary for the person and
their carer, and a letter for their GP, as HTML pages Chromium prints to PDF."""

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
) -> str:
    """The summary or the GP letter for an episode's latest discharge decision."""
    decision = episode.decision()
    if decision is None:
        raise InvalidInput("decision", "record the discharge decision first")
    if kind not in LETTERS:
        raise InvalidInput("kind", f"{kind!r} is not one of {', '.join(LETTERS)}")
    return _templates.get_template(LETTERS[kind]).render(
        episode=episode,
        person=episode.opened,
        decision=decision,
        team=caseloads.teams.get(episode.opened.team_code),
        goals=episode.current_goals(),
        carers=list(episode.carers.values()),
        signposts=[(s, directory.get(s.service_id)) for s in episode.signposts],
        check_in=episode.check_in(),
        needs=NEEDS,
        inline=inline,
        choice_words=_choice_words(decision),
    )


def _choice_words(decision: DischargeDecisionRecorded) -> str:
    return {
        "check-in": "You will move to a check-in period before your care with us ends.",
        "discharge": "Your care with us is ending.",
        "continue": "We agreed that your care with us continues for now.",
        "disputed": "We have not yet agreed; an independent panel will look at the decision.",
    }[decision.choice.value]


def letter_css() -> str:
    assert _templates.loader is not None
    return _templates.loader.get_source(_templates, "letter.css")[0]
