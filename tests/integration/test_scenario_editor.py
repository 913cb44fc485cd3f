"""Scenarios built and edited in the browser, over real HTTP, checked as files are; the
calibrated model viewed and downloaded."""

from __future__ import annotations

import re
import tomllib

import httpx
import pytest

from tests.web_site import Site, csrf_of, signed_in


@pytest.fixture
def site(shared_site: Site) -> Site:
    return shared_site


def services(page: str) -> list[str]:
    """The model's services in the order the builder numbers them."""
    table = page.split('id="services"', 1)[1]
    return re.findall(r'<th scope="row" class="nhsuk-table__cell">([^<]+?) <span', table)


def build(client: httpx.Client, fields: dict[str, str]) -> httpx.Response:
    page = client.get("/scenarios/new?model=demo.toml").text
    data = {"csrf_token": csrf_of(page), "model": "demo.toml", **fields}
    return client.post("/scenarios/new", data=data, follow_redirects=True)


def test_a_coordinator_builds_a_scenario_checked_as_a_file_is(site: Site) -> None:
    client = signed_in(site, "coordinator@qde.test")
    page = client.get("/scenarios/new?model=demo.toml").text
    names = services(page)
    hospital = next(n for n, name in enumerate(names) if name.startswith("RX101"))
    home_care = names.index("P1 home-based care")

    refused = [
        ({f"mix-{hospital}-P0": "50", f"mix-{hospital}-P1": "40"}, "must add up to 1"),
        ({f"capacity-{home_care}": "-5"}, f"capacity-{home_care}-from"),
        ({"demand": "lots"}, "demand"),
        ({"extra": '[route."Nowhere"]\nP3 = "Interim beds"'}, "no service is named"),
    ]
    for fields, problem in refused:
        answer = build(client, {"name": "Refused one", **fields})
        assert answer.status_code == 400 and problem in answer.text, (fields, answer.text[-2000:])
    assert client.get("/scenarios/files/refused-one.toml").status_code == 404

    made = build(
        client,
        {
            "name": "Winter <b>test</b>",
            "demand": "8",
            f"capacity-{home_care}": "-5",
            f"capacity-{home_care}-from": "01/12/2026",
            f"mix-{hospital}-P0": "50",
            f"mix-{hospital}-P1": "45",
            f"mix-{hospital}-P2": "4",
            f"mix-{hospital}-P3": "1",
        },
    )
    assert made.status_code == 200 and "checks against the model" in made.text
    assert str(made.url).endswith("/scenarios/files/winter-b-test-b.toml?model=demo.toml&saved=1")
    assert "Winter &lt;b&gt;test&lt;/b&gt;" in made.text  # shown as typed, not as markup
    text = re.search(r'<textarea[^>]*id="text"[^>]*>(.*?)</textarea>', made.text, re.DOTALL)
    assert text is not None
    saved = tomllib.loads(
        text.group(1)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", '"')
        .replace("&quot;", '"')
    )
    assert saved["name"] == "Winter <b>test</b>" and saved["demand"] == 1.08
    assert saved["capacity"] == [
        {
            "service": "P1 home-based care",
            "from": tomllib.loads("d = 2026-12-01")["d"],
            "factor": 0.95,
        }
    ]
    assert saved["pathway_mix"][names[hospital]] == {"P0": 0.5, "P1": 0.45, "P2": 0.04, "P3": 0.01}
    # The same name again is refused: open the file to change it.
    again = build(client, {"name": "Winter <b>test</b>"})
    assert again.status_code == 400 and "already exists" in again.text
    # It is offered beside the others on the scenarios page.
    assert "winter-b-test-b.toml" in client.get("/scenarios").text


def test_a_scenario_file_is_edited_and_checked_and_the_model_viewed(site: Site) -> None:
    client = signed_in(site, "analyst@qde.test")
    page = client.get("/scenarios/files/demand.toml?model=demo.toml")
    assert page.status_code == 200
    before = re.search(r'id="text"[^>]*>(.*?)</textarea>', page.text, re.DOTALL)
    assert before is not None
    bad = client.post(
        "/scenarios/files/demand.toml",
        data={"csrf_token": csrf_of(page.text), "model": "demo.toml", "text": 'name = "x"\ndemand = -1\n'},
    )  # fmt: skip
    assert bad.status_code == 400 and "demand" in bad.text
    unchanged = client.get("/scenarios/files/demand.toml?model=demo.toml").text
    assert before.group(1) in unchanged
    good = client.post(
        "/scenarios/files/demand.toml",
        data={"csrf_token": csrf_of(page.text), "model": "demo.toml", "text": 'name = "Demand +8%"\ndemand = 1.08\n'},
    )  # fmt: skip
    assert good.status_code == 200 and "Saved: demand.toml" in good.text
    model = client.get("/scenarios/models/demo.toml")
    assert model.status_code == 200 and "P1 home-based care" in model.text
    download = client.get("/scenarios/models/demo.toml/download")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    assert tomllib.loads(download.text)["service"]
    assert client.get("/scenarios/models/..%2Fsecret.toml").status_code == 404
    nurse = signed_in(site, "nurse@rx1.test")
    assert nurse.get("/scenarios/new?model=demo.toml").status_code == 403


def test_a_coordinator_plans_a_change_in_practice_from_a_date(site: Site) -> None:
    client = signed_in(site, "coordinator@qde.test")
    planned = (
        '[[wait_change]]\nservice = "{service}"\npathway = "P1"\nfrom = 2026-11-09\nfactor = 0.25'
    )
    refused = build(
        client,
        {"name": "Team nowhere", "extra": planned.format(service="P1 home-based care")},
    )
    # Home care's patients wait for nothing after it: there is no wait to change.
    assert refused.status_code == 400
    assert "has no wait on P1 to change" in refused.text, refused.text[-2000:]
    hospital = next(
        n
        for n in services(client.get("/scenarios/new?model=demo.toml").text)
        if n.startswith("RX101")
    )
    made = build(client, {"name": "Discharge team", "extra": planned.format(service=hospital)})
    assert made.status_code == 200 and "checks against the model" in made.text
    saved = client.get("/scenarios/files/discharge-team.toml?model=demo.toml").text
    assert "[[wait_change]]" in saved and "factor = 0.25" in saved
