"""The signed-in pages, one router per area. Each reads its data scoped and audited from
homeflow.store.access and renders a template; none holds SQL."""

from fastapi import APIRouter

from homeflow.web.pages import (
    accounts,
    actions,
    audit,
    changes,
    collaborative,
    community,
    daily_call,
    directory,
    feeds,
    figures,
    improvement,
    measures,
    overview,
    projects,
    referrals,
    scenario_editor,
    scenarios,
    sign_in,
    smart_list,
    spell,
    stranded,
    whiteboard,
)

ROUTERS: tuple[APIRouter, ...] = (
    sign_in.router,
    overview.router,
    figures.router,
    whiteboard.router,
    spell.router,
    changes.router,
    daily_call.router,
    stranded.router,
    referrals.router,
    measures.router,
    improvement.router,
    projects.router,
    actions.router,
    smart_list.router,
    collaborative.router,
    community.router,
    directory.router,
    audit.router,
    accounts.router,
    feeds.router,
    scenario_editor.router,
    scenarios.router,
)
