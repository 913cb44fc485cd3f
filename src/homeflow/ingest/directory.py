"""The directory of trusted services from Open Referral UK / HSDS 3.0 files, and back.

JSON: a list of services, one service, or a paginated `/services` response (its `contents`).
CSV: one service a row with the columns below. Every service is checked against the HSDS 3.0
service schema (vendored in `hsds/`, see its NOTICE) and against homeflow's taxonomy, so a
file that is not HSDS is refused naming the item and the field, and nothing is stored.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from homeflow.domain.community.directory import (
    CQC_RATING,
    NEEDS,
    NEEDS_TAXONOMY,
    QA_RATING,
    service_from_hsds,
    taxonomy_term,
)
from homeflow.domain.errors import InvalidInput
from homeflow.domain.spreadsheets import cell_text, text_cell

SCHEMAS = Path(__file__).with_name("hsds")
LIST_SEPARATOR = ";"
CSV_COLUMNS = (
    "id",
    "name",
    "description",
    "status",
    "url",
    "email",
    "eligibility_description",
    "organization_id",
    "organization_name",
    "organization_description",
    "needs",
    "service_areas",
    "address_1",
    "city",
    "postal_code",
    "phone",
    "qa_rating",
    "assured_date",
    "assurer_email",
    "cqc_rating",
)


@lru_cache(maxsize=2)
def hsds_schema(name: str) -> dict[str, Any]:
    """A vendored HSDS 3.0 schema: `service` or `service_list`."""
    loaded: dict[str, Any] = json.loads(gzip.decompress((SCHEMAS / f"{name}.json.gz").read_bytes()))
    return loaded


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(hsds_schema("service"))


def list_fields() -> frozenset[str]:
    """What a service carries in the API's paginated lists (its one-to-one fields)."""
    return frozenset(hsds_schema("service_list")["properties"])


def check_service(doc: Any, where: str) -> dict[str, Any]:
    """One HSDS service, checked; the first problem is an error naming where it is."""
    if not isinstance(doc, dict):
        raise InvalidInput(where, "is not an object")
    for name in ("id", "name"):
        if not isinstance(doc.get(name), str) or not doc[name].strip():
            raise InvalidInput(f"{where}.{name}", "is required and must be text")
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        error = errors[0]
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        reason = error.message if len(error.message) < 200 else error.message[:200] + "…"
        raise InvalidInput(f"{where}{path}", reason)
    service_from_hsds(doc, where)
    return doc


def read_directory(path: Path) -> list[dict[str, Any]]:
    """Every service in the file, checked; ids must be unique within it."""
    if path.suffix.lower() not in (".csv", ".json"):
        raise InvalidInput("file", f"{path.name}: read .json (HSDS 3.0) or .csv")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as problem:
        raise InvalidInput("file", f"{path.name}: {problem}") from None
    return parse_directory(text, path.suffix.lower() == ".csv", path.name)


def parse_directory(text: str, is_csv: bool, name: str) -> list[dict[str, Any]]:
    if is_csv:
        services = [check_service(doc, where) for where, doc in _csv_services(text)]
    else:
        services = [check_service(doc, where) for where, doc in _json_services(text, name)]
    seen: set[str] = set()
    for n, doc in enumerate(services):
        if doc["id"] in seen:
            raise InvalidInput(f"services[{n}].id", f"{doc['id']!r} appears twice in the file")
        seen.add(doc["id"])
    return services


def _json_services(text: str, name: str) -> Iterable[tuple[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as problem:
        raise InvalidInput("file", f"{name}: not JSON ({problem})") from None
    if isinstance(data, dict) and "contents" in data:
        data = data["contents"]
        if not isinstance(data, list):
            raise InvalidInput("contents", "must be a list of services")
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise InvalidInput("file", f"{name}: expected a list of services")
    return ((f"services[{n}]", doc) for n, doc in enumerate(data))


def _csv_services(text: str) -> Iterable[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("id", "name") if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput("file", f"the heading row has no {', '.join(missing)} column")
    unknown = [c for c in reader.fieldnames or [] if c not in CSV_COLUMNS]
    if unknown:
        raise InvalidInput("file", f"unknown columns: {', '.join(unknown)}")
    for row in reader:
        cells = {k: cell_text(v or "").strip() for k, v in row.items() if k}
        where = f"line {reader.line_num}"
        for need in _listed(cells.get("needs", "")):
            if need not in NEEDS:
                raise InvalidInput(
                    f"{where}.needs", f"{need!r} is not a term of the {NEEDS_TAXONOMY} taxonomy"
                )
        yield where, _service_of_row(cells)


def _listed(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(LIST_SEPARATOR) if part.strip()]


def _service_of_row(cells: dict[str, str]) -> dict[str, Any]:
    sid = cells.get("id", "")
    doc: dict[str, Any] = {
        key: cells[key]
        for key in ("id", "name", "description", "url", "email", "eligibility_description")
        if cells.get(key)
    }
    doc["status"] = cells.get("status") or "active"
    if cells.get("organization_id") or cells.get("organization_name"):
        doc["organization_id"] = cells.get("organization_id", "")
        doc["organization"] = {
            "id": cells.get("organization_id", ""),
            "name": cells.get("organization_name", ""),
            "description": cells.get("organization_description", ""),
        }
    attributes: list[tuple[str, str | None]] = [
        (term, None) for term in _listed(cells.get("needs", ""))
    ]
    ratings = ((QA_RATING, "qa_rating"), (CQC_RATING, "cqc_rating"))
    attributes += [(term, cells.get(column, "")) for term, column in ratings]
    doc["attributes"] = [
        {
            "id": f"{sid}-{term}",
            "link_id": sid,
            "link_type": "service",
            "link_entity": "service",
            "taxonomy_term_id": term,
            "taxonomy_term": taxonomy_term(term),
            **({"value": value} if value else {}),
        }
        for term, value in attributes
        if value is None or value
    ]
    doc["service_areas"] = [
        {"id": f"{sid}-area-{n}", "service_id": sid, "name": area}
        for n, area in enumerate(_listed(cells.get("service_areas", "")))
    ]
    if cells.get("address_1") or cells.get("postal_code"):
        address = {k: cells.get(k, "") for k in ("address_1", "city", "postal_code")}
        location = {
            "id": f"{sid}-location",
            "location_type": "physical",
            "addresses": [
                {
                    "id": f"{sid}-address",
                    "location_id": f"{sid}-location",
                    **address,
                    "state_province": "",
                    "country": "GB",
                    "address_type": "physical",
                }
            ],
        }
        doc["service_at_locations"] = [
            {"id": f"{sid}-at-location", "service_id": sid, "location": location}
        ]
    if cells.get("phone"):
        doc["phones"] = [{"id": f"{sid}-phone", "service_id": sid, "number": cells["phone"]}]
    for key in ("assured_date", "assurer_email"):
        if cells.get(key):
            doc[key] = cells[key]
    return doc


def write_directory(services: list[dict[str, Any]], out: Path) -> None:
    """HSDS 3.0 JSON: the list of services, each exactly as stored."""
    if out.suffix.lower() != ".json":
        raise InvalidInput("out", f"{out.name}: the directory is written as .json (HSDS 3.0)")
    out.write_text(json.dumps(services, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def csv_text(services: Iterable[dict[str, Any]]) -> str:
    """The directory as the CSV `read_directory` reads (for people who keep it in a sheet)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for doc in services:
        service = service_from_hsds(doc)
        organisation = doc.get("organization") or {}
        address = _first_address(doc)
        row = {
            **{k: str(doc.get(k) or "") for k in CSV_COLUMNS},
            "organization_id": str(organisation.get("id") or ""),
            "organization_name": service.organisation,
            "organization_description": str(organisation.get("description") or ""),
            "needs": LIST_SEPARATOR.join(service.needs),
            "service_areas": LIST_SEPARATOR.join(service.areas),
            **{k: str(address.get(k) or "") for k in ("address_1", "city", "postal_code")},
            "phone": next((str(p.get("number")) for p in doc.get("phones") or []), ""),
            "qa_rating": service.qa_rating,
            "cqc_rating": service.cqc_rating,
        }
        writer.writerow([text_cell(row[c]) for c in CSV_COLUMNS])
    return buffer.getvalue()


def _first_address(doc: dict[str, Any]) -> dict[str, Any]:
    for at in doc.get("service_at_locations") or []:
        for address in (at.get("location") or {}).get("addresses") or []:
            return dict(address)
    return {}
