"""The care transfer hub over HTTP on the demo: referrals grouped by discharge pathway, NHS
Continuing Healthcare against the 28-day standard, housing and personal health budgets with
their time to decision; every count opens to a list of exactly that many."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from homeflow.store import schema as t
from tests.web_site import Site, every_page, rows_of, signed_in

FIGURE = re.compile(r'<a class="hf-figure hf-touch" href="([^"]+)">(?:<strong>)?([\d,]+)')
ROW = re.compile(r"<tr class=\"nhsuk-table__row\" data-(referral|case|request)>")


def _figures(page: str) -> list[tuple[str, int]]:
    return [
        (href.replace("&amp;", "&"), int(n.replace(",", ""))) for href, n in FIGURE.findall(page)
    ]


def test_the_hub_groups_referrals_by_pathway_and_every_count_opens_to_as_many(
    shared_site: Site,
) -> None:
    client = signed_in(shared_site, "hub@ry1.test")
    hub = client.get("/referrals")
    assert hub.status_code == 200
    assert "Open referrals by pathway" in hub.text and "NHS Continuing Healthcare since" in hub.text
    figures = _figures(hub.text)
    by_pathway = [(h, n) for h, n in figures if "pathway=" in h]
    every = [(h, n) for h, n in figures if h.startswith("/referrals?") and "pathway=" not in h]
    assert [h.split("pathway=")[1].split("#")[0] for h, _ in by_pathway] == [
        "P0", "P1", "P2", "P3", "none",
    ]  # fmt: skip
    assert len(every) == 1 and every[0][1] == sum(n for _, n in by_pathway) > 0
    chc = dict((h.split("show=")[1], n) for h, n in figures if h.startswith("/referrals/chc"))
    requests = [(h, n) for h, n in figures if h.startswith("/referrals/requests")]
    assert len(chc) == 11 and len(requests) == 6
    for href, figure in figures:
        if (href, figure) in every:  # the sum of the pathways' lists, each checked below
            continue
        pages = every_page(client, href)
        listed = sum(len(ROW.findall(p)) for p in pages)
        assert listed == figure, href
        if "pathway=P" in href:  # only that pathway's table
            wanted = href.split("pathway=")[1].split("#")[0]
            tables = {i for p in pages for i in re.findall(r'id="pathway-(\w+)"', p)}
            assert tables <= {wanted}, href
    # The splits add up: every checklist is decided in time, decided late, or waiting.
    assert chc["checklists"] == chc["within"] + chc["breached"] + chc["waiting"]
    assert chc["breached"] == chc["breached-decided"] + chc["breached-waiting"]
    assert chc["decided"] == chc["eligible"] + chc["not-eligible"]
    # Every positive checklist of the demo (ten days: all within the hub's thirteen weeks).
    s = t.spells
    positive = rows_of(
        shared_site,
        select(func.count()).where(
            s.c.chc_checklist == "positive", s.c.status != "cancelled", s.c.ward_code.isnot(None)
        ),
    )
    assert chc["checklists"] == positive[0][0] > 0  # type: ignore[index]
    # A request outlives the stay: those of patients gone home say when they left.
    r = t.referrals
    gone = rows_of(
        shared_site,
        select(func.count())
        .select_from(r.join(s, s.c.spell_key == r.c.spell_key))
        .where(r.c.service == "housing", s.c.status == "discharged"),
    )
    housing = client.get("/referrals/requests?service=housing&show=all").text
    assert housing.count(">Left ") == gone[0][0]  # type: ignore[index]
    late = client.get("/referrals/chc?show=breached").text
    assert late.count("nhsuk-tag--red") == chc["breached"]
    # The ICB, to whom every positive checklist is referred, sees the names; a look at a list
    # is audited, the figures (which name no one) are not.
    a = t.audit_log
    looks = select(func.count()).where(
        a.c.user_email == "coordinator@qde.test", a.c.what.like("care transfer hub%")
    )
    icb = signed_in(shared_site, "coordinator@qde.test")
    before = rows_of(shared_site, looks)[0][0]  # type: ignore[index]
    assert icb.get("/referrals").status_code == 200
    assert rows_of(shared_site, looks)[0][0] == before  # type: ignore[index]
    named = icb.get("/referrals/chc?show=checklists").text
    assert re.search(r">[A-Z]+, [A-Z][a-z]+</a>", named)
    assert rows_of(shared_site, looks)[0][0] == before + 1  # type: ignore[index]
    assert client.get("/referrals/chc?show=nonsense").status_code == 400
    assert client.get("/referrals/requests?service=reablement").status_code == 400
    assert client.get("/referrals?pathway=P9").status_code == 400
