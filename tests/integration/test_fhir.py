"""The FHIR Encounter API over a real HTTP server, and a schemathesis run against its schema."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from homeflow.store import schema as t
from tests.audit_faults import audit_log_down
from tests.conftest import ENGINES, fresh_database, url_of
from tests.support import ServerProcess, homeflow

FHIR = "application/fhir+json"


@pytest.fixture(params=ENGINES)
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, str, str]]:
    """A served homeflow with the demo registry; yields (database URL, base URL, RX1 token,
    RX2 token)."""
    with fresh_database(request.param, tmp_path) as engine:
        url = url_of(engine)
        assert homeflow(url, "registry", "load-demo").returncode == 0
        tokens = []
        for org in ("RX1", "RX2"):
            made = homeflow(url, "token", "create", "--org", org, "--scope", "fhir")
            assert made.returncode == 0, made.stderr
            tokens.append(made.stdout.strip())
        server = ServerProcess(url)
        try:
            yield url, server.base, tokens[0], tokens[1]
        finally:
            server.stop()


@pytest.fixture
def server(served: tuple[str, str, str, str]) -> tuple[str, str, str]:
    """(base URL, RX1 token, RX2 token)."""
    return served[1], served[2], served[3]


def encounter(
    status: str = "in-progress", end: str | None = None, ward: str = "RX101-M03"
) -> dict[str, Any]:
    period: dict[str, str] = {"start": "2026-03-30T10:00:00+01:00"}
    if end:
        period["end"] = end
    return {
        "resourceType": "Encounter",
        "status": status,
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "identifier": [{"system": "https://example.nhs.uk/visit", "value": "FV1"}],
        "subject": {
            "identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9434765919"}
        },
        "period": period,
        "location": [
            {
                "location": {"reference": "Location/RX101-AMU"},
                "status": "completed",
                "period": {
                    "start": "2026-03-30T10:00:00+01:00",
                    "end": "2026-03-30T20:00:00+01:00",
                },
            },
            {
                "location": {"reference": f"Location/{ward}"},
                "status": "active",
                "period": {"start": "2026-03-30T20:00:00+01:00"},
            },
        ],
        "extension": [
            {
                "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AdmissionMethod",
                "valueCodeableConcept": {"coding": [{"code": "21"}]},
            }
        ],
    }


def headers(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": FHIR, **extra}


def test_create_update_read_and_search_an_encounter(server: tuple[str, str, str]) -> None:
    base, token, _ = server
    created = httpx.post(
        f"{base}/fhir/Encounter", content=json.dumps(encounter()), headers=headers(token)
    )
    assert created.status_code == 201 and created.headers["content-type"].startswith(FHIR)
    resource_id = created.json()["id"]
    again = httpx.post(
        f"{base}/fhir/Encounter",
        content=json.dumps(encounter()),
        headers=headers(token, **{"If-None-Exist": "identifier=https://example.nhs.uk/visit|FV1"}),
    )
    assert again.status_code == 200 and again.json()["id"] == resource_id
    finished = encounter("finished", end="2026-04-02T11:00:00+01:00") | {"id": resource_id}
    updated = httpx.put(
        f"{base}/fhir/Encounter/{resource_id}", content=json.dumps(finished), headers=headers(token)
    )
    assert updated.status_code == 200 and updated.json()["meta"]["versionId"] == "2"
    read = httpx.get(f"{base}/fhir/Encounter/{resource_id}", headers=headers(token)).json()
    assert read["status"] == "finished"
    for query, total in (
        ({"patient": "https://fhir.nhs.uk/Id/nhs-number|9434765919"}, 1),
        ({"status": "finished", "location": "Location/RX101-M03"}, 1),
        ({"date": "2026-04-01"}, 1),
        ({"date": "ge2026-04-03"}, 0),
        ({"status": "in-progress"}, 0),
    ):
        bundle = httpx.get(f"{base}/fhir/Encounter", params=query, headers=headers(token)).json()
        assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
        assert bundle["total"] == total, query
    census = httpx.get(
        f"{base}/api/census", params={"date": "2026-03-31"}, headers=headers(token)
    ).json()
    ward = next(r for r in census if r["ward_code"] == "RX101-M03")
    assert ward["occupied"] == 1
    discharge_day = next(
        r
        for r in httpx.get(
            f"{base}/api/census", params={"date": "2026-04-02"}, headers=headers(token)
        ).json()
        if r["ward_code"] == "RX101-M03"
    )
    assert discharge_day["discharges"] == 1 and discharge_day["discharges_before_noon"] == 1


def test_errors_are_operation_outcomes_naming_the_element(server: tuple[str, str, str]) -> None:
    base, token, other = server
    cases = [
        (encounter("wibble"), token, 422, "Encounter.status"),
        (encounter(ward="NOWHERE"), token, 403, None),
        (
            {
                **encounter(),
                "subject": {
                    "identifier": {
                        "system": "https://fhir.nhs.uk/Id/nhs-number",
                        "value": "1234567890",
                    }
                },
            },
            token,
            422,
            "Encounter.subject.identifier.value",
        ),
        (encounter(), other, 403, None),  # RX2 may not record at RX1's wards
    ]
    for body, who, status, expression in cases:
        reply = httpx.post(f"{base}/fhir/Encounter", content=json.dumps(body), headers=headers(who))
        assert reply.status_code == status, reply.text
        outcome = reply.json()
        assert outcome["resourceType"] == "OperationOutcome"
        if expression:
            assert outcome["issue"][0]["expression"] == [expression]
    assert httpx.get(f"{base}/fhir/Encounter/none", headers=headers(token)).status_code == 404
    assert httpx.get(f"{base}/fhir/Encounter").status_code == 401
    assert httpx.get(f"{base}/fhir/Encounter", headers=headers("forged")).status_code == 401


def test_another_organisation_cannot_read_an_encounter(server: tuple[str, str, str]) -> None:
    base, token, other = server
    created = httpx.post(
        f"{base}/fhir/Encounter", content=json.dumps(encounter()), headers=headers(token)
    ).json()
    assert (
        httpx.get(f"{base}/fhir/Encounter/{created['id']}", headers=headers(other)).status_code
        == 404
    )
    assert httpx.get(f"{base}/fhir/Encounter", headers=headers(other)).json()["total"] == 0


def test_the_api_passes_a_schemathesis_run(server: tuple[str, str, str], tmp_path: Path) -> None:
    base, token, _ = server
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{base}/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--max-examples",
            "25",
            "--include-path-regex",
            "^/(fhir|api)/",
            "--seed",
            "1",
            "--phases",
            "examples,fuzzing",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


def _rx2(document: dict[str, Any]) -> dict[str, Any]:
    """The same Encounter on RX2's wards."""
    return dict(json.loads(json.dumps(document).replace("RX101", "RX201")))


def test_two_trusts_one_visit_number_tokens_and_links(served: tuple[str, str, str, str]) -> None:
    """The findings about FHIR, each tried: shared visit numbers, identifiers that climb out of
    their address, LIKE wildcards, the Host header in links, and tokens that should stop."""
    url, base, rx1, rx2 = served
    made = [
        httpx.post(f"{base}/fhir/Encounter", json=doc, headers=headers(token))
        for doc, token in ((encounter(), rx1), (_rx2(encounter()), rx2))
    ]
    assert [m.status_code for m in made] == [201, 201], [m.text for m in made]
    # RX2 planning a stay under RX1's visit number makes RX2's own spell, not RX1's.
    planned = httpx.post(
        f"{base}/fhir/Encounter", json=_rx2(encounter("planned")), headers=headers(rx2)
    )
    assert planned.status_code == 201
    read = httpx.get(f"{base}/fhir/Encounter/{made[0].json()['id']}", headers=headers(rx2))
    assert read.status_code == 404
    # If-None-Exist matches the identifier exactly: "%" is not a wildcard.
    wild = httpx.post(
        f"{base}/fhir/Encounter",
        json=encounter(),
        headers={**headers(rx1), "If-None-Exist": "identifier=%"},
    )
    # (No match, so it is a new Encounter for a spell RX1 already has: refused, not returned.)
    assert wild.status_code == 400 and made[0].json()["id"] not in wild.text
    climbing = httpx.put(
        f"{base}/fhir/Encounter/x..y", json={**encounter(), "id": "x..y"}, headers=headers(rx1)
    )
    assert climbing.status_code == 422 and "Encounter.id" in climbing.text
    # Links come from the configured address, never from the Host header a caller sends.
    hosted = httpx.get(
        f"{base}/fhir/Encounter", headers={**headers(rx1), "Host": "evil.example"}
    ).json()
    assert all(e["fullUrl"].startswith("http://127.0.0.1:8000/fhir/") for e in hosted["entry"])
    assert "evil" not in json.dumps(hosted)
    engine = create_engine(url)
    with engine.connect() as conn:
        keys = set(conn.execute(select(t.spells.c.spell_key)).scalars())
        audited = set(conn.execute(select(t.audit_log.c.action)).scalars())
    engine.dispose()
    assert {"RX1:FV1", "RX2:FV1"} <= keys
    assert {"fhir-write", "fhir-read"} <= audited
    # With five calls a minute allowed to a token, the sixth is 429 with when to try again.
    slow = ServerProcess(url, env={"HOMEFLOW_FHIR_REQUESTS_PER_MINUTE": "5"})
    try:
        answers = [
            httpx.get(f"{slow.base}/fhir/Encounter", headers=headers(rx2)).status_code
            for _ in range(6)
        ]
        busy = httpx.get(f"{slow.base}/fhir/Encounter", headers=headers(rx2))
    finally:
        slow.stop()
    assert answers == [200] * 5 + [429]
    assert busy.status_code == 429 and int(busy.headers["retry-after"]) >= 1
    # A revoked token stops at once.
    listed = homeflow(url, "token", "list")
    token_id = next(line.split()[1] for line in listed.stdout.splitlines() if " RX1 " in line)
    assert homeflow(url, "token", "revoke", token_id).returncode == 0
    assert httpx.get(f"{base}/fhir/Encounter", headers=headers(rx1)).status_code == 401
    assert homeflow(url, "token", "revoke", "nonsense").returncode == 2


def test_an_encounter_is_not_stored_without_its_audit_row(
    served: tuple[str, str, str, str],
) -> None:
    url, base, rx1, _ = served
    engine = create_engine(url)

    def stored() -> tuple[int, int]:
        with engine.connect() as conn:
            return (
                conn.execute(select(func.count()).select_from(t.events)).scalar_one(),
                conn.execute(select(func.count()).select_from(t.fhir_encounters)).scalar_one(),
            )

    before = stored()
    with audit_log_down(url):
        answer = httpx.post(f"{base}/fhir/Encounter", json=encounter(), headers=headers(rx1))
        assert answer.status_code == 503, answer.text
        assert stored() == before
    answer = httpx.post(f"{base}/fhir/Encounter", json=encounter(), headers=headers(rx1))
    assert answer.status_code == 201, answer.text
    assert stored()[1] == before[1] + 1
    with engine.connect() as conn:
        audited = conn.execute(
            select(t.audit_log.c.what).where(t.audit_log.c.action == "fhir-write")
        ).scalars()
        assert f"Encounter/{answer.json()['id']}" in list(audited)
    engine.dispose()


def test_an_encounter_is_changed_only_by_its_own_organisation(
    served: tuple[str, str, str, str],
) -> None:
    """RX2's token putting RX1's Encounter, even re-pointed at RX2's own ward, is refused and
    changes nothing; RX1's own update is kept."""
    url, base, rx1, rx2 = served
    made = httpx.post(f"{base}/fhir/Encounter", json=encounter(), headers=headers(rx1))
    assert made.status_code == 201, made.text
    resource = made.json()["id"]
    engine = create_engine(url)

    def stored() -> tuple[int, list[object]]:
        with engine.connect() as conn:
            events = conn.execute(select(func.count()).select_from(t.events)).scalar_one()
            kept = conn.execute(select(t.fhir_encounters.c.version, t.fhir_encounters.c.org_code))
            return events, list(kept)

    before = stored()
    for doc in (encounter("finished", end="2026-04-02T11:00:00+01:00"), _rx2(encounter())):
        answer = httpx.put(
            f"{base}/fhir/Encounter/{resource}", json={**doc, "id": resource}, headers=headers(rx2)
        )
        assert answer.status_code == 403, answer.text
        assert stored() == before
    own = httpx.put(
        f"{base}/fhir/Encounter/{resource}",
        json={**encounter("finished", end="2026-04-02T11:00:00+01:00"), "id": resource},
        headers=headers(rx1),
    )
    assert own.status_code == 200, own.text
    assert stored()[1] == [(2, "RX1")]
    engine.dispose()
