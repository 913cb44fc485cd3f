"""The demo's improvement programme, with a change that really happens.

From `idt_start(end)` (a Monday four weeks before the demo ends), an integrated discharge team
at Riverside General (site RX101) takes most pathway 1 patients home as soon as they are ready,
with the reablement team bridging their care at home (home first, discharge to assess), instead
of leaving them to queue in hospital for a reablement or home-care start. The generator acts it
out (`HomeFirstBridging`), so pathway 1 waits at that site really fall; the system's
self-assessments before and after, the project and its PDSA cycles record it as a system
would. docs/demo.md names the date, the site and the measure.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from homeflow.demo.system import SITES
from homeflow.domain.events import ActionStatus
from homeflow.domain.improvement.collaborative import (
    GatheringKind,
    GatheringRecorded,
    ProgressScored,
    ScoredBy,
)
from homeflow.domain.improvement.records import (
    AssessmentEntryRecorded,
    ImprovementActionRecorded,
    PdsaRecorded,
    ProjectRecorded,
)

IDT_SITE = "RX101"
IDT_PATHWAY = "P1"
IDT_WEEKS_BEFORE_END = 4
BRIDGED_SHARE = 0.8  # of pathway 1 patients ready at the site; the rest still need a package first
# The planner's estimate of what the team does to pathway 1 waits at the site, as the demo's
# scenario of it says (`team_scenario`): four in five home within the day, the rest as before.
TEAM_WAIT_FACTOR = 0.25
TEAM_SCENARIO_FILE = "integrated-discharge-team.toml"
# Before the team, the site's wards arranged support ahead for fewer of their pathway 1
# patients than the rest of the system (demo/realism.py PLANNED_AHEAD_SHARE): the others
# waited in hospital for a package to start, the problem the team was set up to solve.
PLANNED_AHEAD_BEFORE_TEAM = 0.5
SYSTEM = "QDE"
PROJECT = "home-first-rx101"


# From this many weeks before the end, every patient who would have gone to a bed (pathway 2
# or 3) is reviewed for going home with support first: a quarter of them do.
BED_REVIEW_WEEKS_BEFORE_END = 16
BED_REVIEW_HOME_SHARE = 0.25


def bed_review_start(end: date) -> date:
    """The Monday the system starts reviewing every pathway 2 and 3 discharge for home first."""
    day = end - timedelta(weeks=BED_REVIEW_WEEKS_BEFORE_END)
    return day - timedelta(days=day.weekday())


def pathway_weights(age: int, bed_review: bool) -> tuple[float, float, float, float]:
    """How likely each discharge pathway is at this age; under the bed review, some who would
    have gone to a bed go home with support instead."""
    # Older patients more often need support; overall near the national 50/45/4/1.
    if age < 65:
        p0, p1, p2, p3 = (0.62, 0.35, 0.02, 0.01)
    elif age < 80:
        p0, p1, p2, p3 = (0.48, 0.465, 0.042, 0.013)
    else:
        p0, p1, p2, p3 = (0.39, 0.52, 0.068, 0.022)
    if bed_review:
        home = BED_REVIEW_HOME_SHARE
        return (p0, p1 + home * (p2 + p3), p2 * (1 - home), p3 * (1 - home))
    return (p0, p1, p2, p3)


def idt_start(end: date) -> date:
    """The Monday the integrated discharge team starts."""
    day = end - timedelta(weeks=IDT_WEEKS_BEFORE_END)
    return day - timedelta(days=day.weekday())


def team_scenario(end: date) -> str:
    """The team as a capacity-model scenario (a `wait_change` from its first day), for checking
    the model on days after it started (`homeflow validate --scenario`, docs/simulation.md)."""
    site = next(s for s in SITES if s.code == IDT_SITE)
    return (
        "# Written by `homeflow demo`: the integrated discharge team its improvement programme\n"
        "# starts. Four in five pathway 1 patients go home the day they are ready.\n"
        f'name = "Integrated discharge team at {site.name}"\n\n'
        "[[wait_change]]\n"
        f'service = "{site.code} {site.name}"\n'
        f'pathway = "{IDT_PATHWAY}"\n'
        f"from = {idt_start(end).isoformat()}\n"
        f"factor = {TEAM_WAIT_FACTOR}\n"
    )


class HomeFirstBridging:
    """Which patients the team takes home at once, decided by a random stream of its own (a
    share of those ready, not a rule the generator's own draws would have to follow)."""

    def __init__(self, seed: int, end: date) -> None:
        self.rng = random.Random(seed * 7919 + 17)
        self.start = idt_start(end)

    def takes(self, site: str, pathway: str, ready_on: date) -> bool:
        return (
            site == IDT_SITE
            and pathway == IDT_PATHWAY
            and ready_on >= self.start
            and self.rng.random() < BRIDGED_SHARE
        )

    def before_team(self, site: str, pathway: str, ready_on: date) -> bool:
        """Whether the patient is one the team will take, ready before it started."""
        return site == IDT_SITE and pathway == IDT_PATHWAY and ready_on < self.start

    def hours_to_home(self) -> float:
        return self.rng.uniform(3.0, 20.0)


def assessment_entries(end: date) -> list[AssessmentEntryRecorded]:
    """QDE's High Impact Change entries on home first, a month before the team started and
    the week the demo ends."""
    before = idt_start(end) - timedelta(weeks=4)
    after = end - timedelta(days=end.weekday())
    rows = (
        (
            before,
            "Plans in place",
            "Business case agreed for an integrated discharge team at Riverside General to take pathway 1 patients home with reablement bridging",
            "Pathway 1 patients wait in hospital for a reablement or home-care start",
            f"Start the team on {idt_start(end):%d/%m/%Y}",
        ),
        (
            after,
            "Established",
            "Integrated discharge team at Riverside General takes pathway 1 patients home the day they are ready; reablement bridges care at home",
            "Not yet at Eastfield (RX201)",
            "Spread to Eastfield once the PDSA is adopted",
        ),
    )
    return [
        AssessmentEntryRecorded(
            system=SYSTEM,
            framework="hicm-2015",
            assessed_on=on,
            entry_id="row-1",
            position=1,
            item_code="4",
            change_cell="Home first / discharge to assess",
            where_now=where,
            status=status,
            spread="RX101",
            gaps=gaps,
            to_do=to_do,
            when_by="",
            owner="Head of integrated discharge, RX1",
        )
        for on, status, where, gaps, to_do in rows
    ]


def project(end: date) -> ProjectRecorded:
    return ProjectRecorded(
        system=SYSTEM,
        project_id=PROJECT,
        title="Home first from Riverside General",
        aim="Pathway 1 patients at Riverside General go home within 2 days of being ready",
        aim_kpi="ready-to-discharge-days",
        aim_level="site",
        aim_place=IDT_SITE,
        aim_target=2.0,
        aim_by=idt_start(end) + timedelta(weeks=26),
        drivers=(
            "Waits for a care start > Assessment in hospital > Integrated discharge team bridges reablement at home",
            "Waits for a care start > Referral late in the stay > Board round names pathway 1 patients on day one",
        ),
        measures=(
            f"outcome:ready-to-discharge-days:site:{IDT_SITE}",
            f"process:discharged-before-noon-pct:site:{IDT_SITE}",
            f"balancing:readmissions-30-day:site:{IDT_SITE}",
        ),
        lead="Head of integrated discharge, RX1",
    )


def pdsas(end: date) -> list[PdsaRecorded]:
    start = idt_start(end)
    return [
        PdsaRecorded(
            system=SYSTEM,
            project_id=PROJECT,
            pdsa_id="idt-bridging-1",
            change_idea="Integrated discharge team bridges reablement at home for pathway 1",
            kpi="ready-to-discharge-days",
            measure=IDT_PATHWAY,
            level="site",
            place=IDT_SITE,
            change_date=start,
            prediction="Pathway 1 waits at Riverside General fall to 3 days or less within a month",
            predicted_value=3.0,
            plan_who="Integrated discharge team, RX1",
            plan_what="Take pathway 1 patients home on the day they are ready, reablement bridging",
            plan_when=f"From {start:%d/%m/%Y}",
            plan_where="Riverside General medical wards",
            do_notes="Team started on the planned day",
        ),
        PdsaRecorded(
            system=SYSTEM,
            project_id=PROJECT,
            pdsa_id="eastfield-lounge-1",
            change_idea="Discharge lounge at Eastfield opens at 08:00",
            kpi="discharged-before-noon-pct",
            level="site",
            place="RX201",
            change_date=start,
            prediction="A third of Eastfield's discharges leave before midday",
            predicted_value=33.0,
            plan_who="Flow lead, RX2",
            plan_what="Open the lounge two hours earlier; wards send patients ready after the board round",
            plan_when=f"From {start:%d/%m/%Y}",
            plan_where="Eastfield University Hospital",
            do_notes="Lounge opened early; few patients sent before 10:00",
        ),
    ]


def actions(end: date) -> list[ImprovementActionRecorded]:
    """The programme's actions: one overdue, two due soon, one done."""
    start = idt_start(end)
    project_page = f"/improvement/projects/{SYSTEM}/{PROJECT}"
    rows = (
        (
            "recruit-bridging",
            "Recruit two more reablement bridging workers",
            "Reablement manager",
            "RY1",
            end - timedelta(days=5),
            ActionStatus.OPEN,
        ),
        (
            "eastfield-spread",
            "Agree when the integrated discharge team starts at Eastfield",
            "Flow lead",
            "RX2",
            end + timedelta(days=6),
            ActionStatus.OPEN,
        ),
        (
            "readmission-audit",
            "Audit 30-day readmissions of patients taken home by the team",
            "Head of integrated discharge",
            "RX1",
            end + timedelta(days=12),
            ActionStatus.OPEN,
        ),
        (
            "idt-rota",
            "Seven-day rota for the integrated discharge team",
            "Head of integrated discharge",
            "RX1",
            start - timedelta(days=3),
            ActionStatus.DONE,
        ),
    )
    return [
        ImprovementActionRecorded(
            system=SYSTEM,
            action_id=action_id,
            description=description,
            owner=owner,
            owner_org=org,
            due_date=due,
            status=status,
            about=project_page,
        )
        for action_id, description, owner, org, due, status in rows
    ]


def collaborative(end: date) -> list[GatheringRecorded | ProgressScored]:
    """A learning session, the action period it opened, a peer visit to the new team, and the
    home-first team's monthly progress scores."""
    start = idt_start(end)
    session = start - timedelta(weeks=6)
    team = "QDE home first"
    records: list[GatheringRecorded | ProgressScored] = [
        GatheringRecorded(
            system=SYSTEM,
            gathering_id="learning-session-1",
            kind=GatheringKind.LEARNING_SESSION,
            title="Learning session 1: home first",
            starts=session,
            ends=session,
            participants=(
                "Head of integrated discharge, RX1",
                "Flow lead, RX2",
                "Reablement manager, RY1",
                "Commissioner, QDE",
                "Social work lead, LAR01",
            ),
        ),
        GatheringRecorded(
            system=SYSTEM,
            gathering_id="action-period-1",
            kind=GatheringKind.ACTION_PERIOD,
            title="Action period 1",
            starts=session + timedelta(days=1),
            ends=session + timedelta(weeks=13),
            participants=("Head of integrated discharge, RX1", "Reablement manager, RY1"),
        ),
        GatheringRecorded(
            system=SYSTEM,
            gathering_id="peer-visit-rx101",
            kind=GatheringKind.PEER_VISIT,
            title="Eastfield visits the Riverside team",
            starts=start + timedelta(weeks=2),
            ends=start + timedelta(weeks=2),
            visited="Integrated discharge team, RX1",
            participants=(
                "Flow lead, RX2",
                "Discharge coordinator, RX2",
                "Head of integrated discharge, RX1",
            ),
            findings="Pathway 1 patients named at the 08:30 board round; bridging carers meet them on the ward",
            agreed_actions="Eastfield to plan its own team; shared bridging rota with the reablement service",
        ),
    ]
    first_month = session.replace(day=1)
    months = [
        first_month,
        (first_month + timedelta(days=32)).replace(day=1),
        (first_month + timedelta(days=63)).replace(day=1),
    ]
    for month, (by_team, by_faculty) in zip(
        months, ((1.5, 1.0), (2.5, 2.0), (3.5, 3.0)), strict=True
    ):
        if month <= end:
            records.append(ProgressScored(SYSTEM, team, month, by_team, ScoredBy.TEAM))
            records.append(ProgressScored(SYSTEM, team, month, by_faculty, ScoredBy.FACULTY))
    return records
