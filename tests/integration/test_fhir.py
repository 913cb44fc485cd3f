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

from tests.conftest import ENGINES, fresh_database, url_of
from tests.support import ServerProcess, homeflow

FHIR = "application/fhir+json"


@pytest.fixture(params=ENGINES)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """A served homeflow with the demo registry; yields (base URL, RX1 token, RX2 token)."""
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
            yield server.base, tokens[0], tokens[1]
        finally:
            server.stop()


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
