"""The directory of trusted services through the real command and the real API: HSDS 3.0 in
and out unchanged, files that are not HSDS refused by item and field with nothing stored, and
the Open Referral UK responses valid against the HSDS 3.0 schemas."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import Engine, func, select

from homeflow.domain.errors import InvalidInput
from homeflow.ingest.directory import csv_text, hsds_schema
from homeflow.services.community import (
    import_directory,
    open_referral_service,
    open_referral_services,
)
from homeflow.store import schema as t
from tests.conftest import url_of
from tests.support import homeflow
from tests.web_site import Site

# The paginated list's envelope, from the HSDS 3.0 OpenAPI definition (components/schemas/Page,
# with `contents`), written out by hand.
PAGE_SCHEMA = {
    "type": "object",
    "required": ["total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"],
    "properties": {
        "total_items": {"type": "integer"},
        "total_pages": {"type": "integer"},
        "page_number": {"type": "integer"},
        "size": {"type": "integer"},
        "first_page": {"type": "boolean"},
        "last_page": {"type": "boolean"},
        "empty": {"type": "boolean"},
        "contents": {"type": "array"},
    },
}  # fmt: skip


def service(sid: str, name: str = "Recovery College", **extra: Any) -> dict[str, Any]:
    return {
        "id": sid,
        "name": name,
        "status": "active",
        "description": "Courses about recovery <b>free</b>",
        "organization": {"id": "org-1", "name": "Mind", "description": "A charity"},
        "attributes": [
            {"id": f"{sid}-a1", "taxonomy_term_id": "wellbeing", "link_type": "service"},
            {"id": f"{sid}-a2", "taxonomy_term_id": "qa-rating", "value": "Good"},
        ],
        "service_areas": [{"id": f"{sid}-area", "name": "Riverside"}],
        "assured_date": "2026-10-01",
        "assurer_email": "qa@example.org",
        **extra,
    }


def stored_services(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(
                select(func.count())
                .select_from(t.events)
                .where(t.events.c.type == "directory-service-recorded")
            )
            or 0
        )


def test_a_directory_exported_and_imported_again_is_unchanged(
    engine: Engine, tmp_path: Path
) -> None:
    url = url_of(engine)
    source = tmp_path / "services.json"
    # A paginated /services response, as another directory's API would answer.
    # The second service is also linked to a term of another taxonomy, which the file defines.
    counselling = {
        "id": "s-2-a3",
        "taxonomy_term_id": "esd-86",
        "taxonomy_term": {"id": "esd-86", "name": "Counselling", "description": "Talking therapy"},
    }
    carers = service("s-2", "Carers Centre")
    carers["attributes"].append(counselling)
    page = {"total_items": 2, "page_number": 1, "contents": [service("s-1"), carers]}
    source.write_text(json.dumps(page))
    first = homeflow(url, "directory", "import", str(source))
    assert first.returncode == 0, first.stderr
    assert "2 services: 2 stored, 0 unchanged" in first.stderr
    out = tmp_path / "export.json"
    exported = homeflow(url, "directory", "export", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert json.loads(out.read_text()) == page["contents"]
    again = homeflow(url, "directory", "import", str(out))
    assert again.returncode == 0 and "0 stored, 2 unchanged" in again.stderr
    assert stored_services(engine) == 2
    out2 = tmp_path / "export2.json"
    assert homeflow(url, "directory", "export", "--out", str(out2)).returncode == 0
    assert out2.read_text() == out.read_text()


def test_a_directory_csv_reads_as_hsds(engine: Engine, tmp_path: Path) -> None:
    source = tmp_path / "services.csv"
    source.write_text(
        "id,name,status,organization_id,organization_name,organization_description,needs,service_areas,qa_rating,assured_date,assurer_email\n"
        "s-9,Debt advice,active,o-1,Advice Ltd,Advice,money;housing,Eastfield;Riverside,Outstanding,2026-09-01,qa@example.org\n"
    )  # fmt: skip
    done = homeflow(url_of(engine), "directory", "import", str(source))
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out.json"
    assert homeflow(url_of(engine), "directory", "export", "--out", str(out)).returncode == 0
    (doc,) = json.loads(out.read_text())
    assert Draft202012Validator(hsds_schema("service")).is_valid(doc)
    terms = [a["taxonomy_term_id"] for a in doc["attributes"]]
    assert terms == ["money", "housing", "qa-rating"]
    assert [a["name"] for a in doc["service_areas"]] == ["Eastfield", "Riverside"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ([service("s-1"), {"name": "No id", "status": "active"}], "services[1].id: is required"),
        ([{"id": "s-1", "status": "active"}], "services[0].name: is required"),
        ([service("s-1", minimum_age="ten")], "services[0].minimum_age: 'ten' is not of type 'number'"),
        ([service("s-1", status="open")], "services[0].status: 'open' is not one of"),
        (
            [service("s-1", attributes=[{"id": "x", "taxonomy_term_id": "gardening"}])],
            "services[0].attributes[0].taxonomy_term_id: 'gardening' is not a term of the homeflow-needs taxonomy",
        ),
        ([service("s-1"), service("s-1")], "services[1].id: 's-1' appears twice"),
        ({"contents": "none"}, "contents: must be a list"),
        ("not json", "not JSON"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_hsds_is_refused_by_item_and_field_and_nothing_is_stored(
    engine: Engine, tmp_path: Path, content: object, problem: str
) -> None:
    source = tmp_path / "bad.json"
    source.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(InvalidInput) as refused:
        import_directory(engine, source, date(2026, 11, 29))
    assert problem in f"{refused.value.field}: {refused.value.reason}"
    assert stored_services(engine) == 0


def test_the_command_refuses_a_bad_file_with_its_field(engine: Engine, tmp_path: Path) -> None:
    source = tmp_path / "bad.json"
    source.write_text(json.dumps([service("s-1"), {"name": "No id", "status": "active"}]))
    done = homeflow(url_of(engine), "directory", "import", str(source))
    assert done.returncode != 0
    assert "services[1].id: is required and must be text" in done.stderr, done.stderr
    assert stored_services(engine) == 0


def test_a_csv_with_an_unknown_need_is_refused_by_line(engine: Engine, tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("id,name,needs\ns-1,Fine,money\ns-2,Odd,knitting\n")
    done = homeflow(url_of(engine), "directory", "import", str(source))
    assert done.returncode != 0
    assert "line 3.needs: 'knitting' is not a term of the homeflow-needs taxonomy" in done.stderr, (
        done.stderr
    )
    assert stored_services(engine) == 0


def test_the_open_referral_api_is_open_paginated_and_valid_hsds(shared_site: Site) -> None:
    """No sign-in, as the standard expects; every page and every service validates."""
    listed = Draft202012Validator(hsds_schema("service_list"))
    full = Draft202012Validator(hsds_schema("service"))
    page_envelope = Draft202012Validator(PAGE_SCHEMA)
    with httpx.Client(base_url=shared_site.base, timeout=30) as anyone:
        first = anyone.get("/openreferral/services", params={"per_page": 4}).json()
        page_envelope.validate(first)
        assert first["page_number"] == 1 and first["first_page"] and not first["last_page"]
        total, pages = first["total_items"], first["total_pages"]
        assert total >= 5 and pages == -(-total // 4)
        seen = []
        for number in range(1, pages + 1):
            page = anyone.get(
                "/openreferral/services", params={"per_page": 4, "page": number}
            ).json()
            page_envelope.validate(page)
            assert page["size"] == len(page["contents"]) and page["last_page"] == (number == pages)
            for item in page["contents"]:
                listed.validate(item)
                assert "attributes" not in item  # lists carry one-to-one fields only
                seen.append(item["id"])
        assert len(seen) == len(set(seen)) == total
        one = anyone.get(f"/openreferral/services/{seen[0]}")
        assert one.status_code == 200
        full.validate(one.json())
        assert anyone.get("/openreferral/services/no-such-service").status_code == 404
        housing = anyone.get(
            "/openreferral/services", params={"taxonomy_term_id": "housing"}
        ).json()
        assert 0 < housing["total_items"] < total
        for item in housing["contents"]:
            detail = anyone.get(f"/openreferral/services/{item['id']}").json()
            assert "housing" in [a["taxonomy_term_id"] for a in detail["attributes"]]
        nothing = anyone.get("/openreferral/services", params={"text": "zzzz-no-match"}).json()
        page_envelope.validate(nothing)
        assert nothing["empty"] and nothing["total_items"] == 0 and nothing["contents"] == []
        assert anyone.get("/openreferral/services", params={"per_page": 0}).status_code == 400


# HSDS 3.0 requires only an attribute's `id`: its term may be named by `taxonomy_term_id`, by
# the nested `taxonomy_term` object (whose schema requires `id`, `name` and `description`), or
# by both. Each shape below is written by hand from the specification, never by homeflow.
HOUSING_TERM = {"id": "housing", "name": "Housing", "description": "Somewhere to live"}
HOUSING_ELSEWHERE = {  # another directory's id for homeflow's term, named by its code
    "id": "5a3b1c2d-0000-4000-8000-00000000abcd",
    "code": "housing",
    "name": "Housing and homelessness",
    "description": "Housing and homelessness",
    "taxonomy": "homeflow-needs",
}
ATTRIBUTE_SHAPES = {
    "by id": {"taxonomy_term_id": "housing"},
    "nested only": {"taxonomy_term": HOUSING_TERM},
    "both": {"taxonomy_term_id": "housing", "taxonomy_term": HOUSING_TERM},
    "nested, another directory's id with homeflow's code": {"taxonomy_term": HOUSING_ELSEWHERE},
    "both, another directory's id with homeflow's code": {
        "taxonomy_term_id": HOUSING_ELSEWHERE["id"],
        "taxonomy_term": HOUSING_ELSEWHERE,
    },
}


def directory_csv(engine: Engine, folder: Path) -> str:
    """The stored directory exported by the command, as the CSV people keep it in."""
    out = folder / "export.json"
    done = homeflow(url_of(engine), "directory", "export", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return csv_text(json.loads(out.read_text()))


def hand_written_service(shape: dict[str, Any]) -> dict[str, Any]:
    sid = "3f1e2d4c-1111-4aaa-8bbb-000000000001"
    return {
        "id": sid,
        "name": "Shelter Riverside",
        "status": "active",
        "attributes": [
            {"id": "3f1e2d4c-2222-4aaa-8bbb-000000000002", "link_id": sid, "link_type": "service", "link_entity": "service", **shape},
            # An attribute linked to no term is valid HSDS 3.0 too: kept, linking to nothing.
            {"id": "3f1e2d4c-3333-4aaa-8bbb-000000000003", "value": "free"},
            {
                "id": "3f1e2d4c-4444-4aaa-8bbb-000000000004",
                "taxonomy_term": {"id": "qa-rating", "name": "Quality-assurance rating", "description": "Rated"},
                "value": "Good",
            },
        ],
    }  # fmt: skip


@pytest.mark.parametrize("shape", ATTRIBUTE_SHAPES.values(), ids=ATTRIBUTE_SHAPES.keys())
def test_every_hsds_shape_of_a_term_is_read_through_the_command(
    engine: Engine, tmp_path: Path, shape: dict[str, Any]
) -> None:
    doc = hand_written_service(shape)
    Draft202012Validator(hsds_schema("service")).validate(doc)  # the file is valid HSDS 3.0
    source = tmp_path / "services.json"
    source.write_text(json.dumps([doc]))
    done = homeflow(url_of(engine), "directory", "import", str(source))
    assert done.returncode == 0, done.stderr
    assert "1 services: 1 stored" in done.stderr
    housing = open_referral_services(engine, 1, 10, "", "housing")
    assert [s["id"] for s in housing["contents"]] == [doc["id"]]
    assert open_referral_service(engine, doc["id"]) == doc  # kept exactly as it came
    row = next(csv.DictReader(io.StringIO(directory_csv(engine, tmp_path))))
    assert (row["needs"], row["qa_rating"]) == ("housing", "Good")


def test_a_term_named_twice_differently_is_refused_naming_the_nested_id(
    engine: Engine, tmp_path: Path
) -> None:
    doc = hand_written_service({"taxonomy_term_id": "money", "taxonomy_term": HOUSING_TERM})
    source = tmp_path / "services.json"
    source.write_text(json.dumps([doc]))
    done = homeflow(url_of(engine), "directory", "import", str(source))
    assert done.returncode == 2
    assert (
        "services[0].attributes[0].taxonomy_term.id: 'housing' is not the attribute's "
        "taxonomy_term_id 'money'"
    ) in done.stderr, done.stderr
    assert stored_services(engine) == 0


def test_a_hand_written_csv_with_every_column_reads_as_hsds(engine: Engine, tmp_path: Path) -> None:
    source = tmp_path / "services.csv"
    source.write_text(
        "id,name,description,status,url,email,eligibility_description,organization_id,organization_name,organization_description,needs,service_areas,address_1,city,postal_code,phone,qa_rating,assured_date,assurer_email,cqc_rating\n"
        "s-7,Day centre,Company,active,https://day.example.org,hi@day.example.org,Adults,o-7,Day Ltd,Care,loneliness,Westfield,1 High St,Riverside,RV1 1AA,01234 567890,Good,2026-09-02,qa@example.org,Requires improvement\n"
    )  # fmt: skip
    done = homeflow(url_of(engine), "directory", "import", str(source))
    assert done.returncode == 0, done.stderr
    (doc,) = open_referral_services(engine, 1, 10, "", "loneliness")["contents"]
    full = open_referral_service(engine, doc["id"])
    assert full is not None
    Draft202012Validator(hsds_schema("service")).validate(full)
    assert full["phones"][0]["number"] == "01234 567890"
    again = next(csv.DictReader(io.StringIO(directory_csv(engine, tmp_path))))
    assert again["cqc_rating"] == "Requires improvement" and again["postal_code"] == "RV1 1AA"
