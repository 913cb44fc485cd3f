"""The directory of trusted services outside the trust, read from HSDS 3.0 (Open Referral UK)
documents: what a team needs to signpost someone (the needs a service meets, its area, where
and how to reach it, who may use it) and how far it can be trusted (the quality-assurance
rating, when and by whom it was last reviewed, and the CQC rating where it has one).

Needs, the quality rating and the CQC rating are HSDS attributes linking the service to a
taxonomy term; the terms are homeflow's own small taxonomy below.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from homeflow.domain.errors import InvalidInput

NEEDS_TAXONOMY = "homeflow-needs"
QUALITY_TAXONOMY = "homeflow-quality"

NEEDS: dict[str, str] = {
    "housing": "Housing and homelessness",
    "money": "Money, debt and benefits",
    "work": "Employment, training and volunteering",
    "education": "Learning and education",
    "loneliness": "Loneliness and social contact",
    "peer-support": "Peer support",
    "carers": "Support for carers",
    "wellbeing": "Mental wellbeing",
    "crisis": "Crisis and out-of-hours support",
    "physical-activity": "Physical activity",
    "physical-health": "Physical health",
    "substance-use": "Alcohol and drugs",
    "food": "Food",
    "domestic-abuse": "Domestic abuse",
    "relationships": "Relationships and family",
    "daily-living": "Daily living and independence",
    "advocacy": "Advocacy",
}
QA_RATING = "qa-rating"
CQC_RATING = "cqc-rating"
QUALITY_TERMS = {QA_RATING: "Quality-assurance rating", CQC_RATING: "CQC rating"}
RATINGS = ("Outstanding", "Good", "Requires improvement", "Inadequate")


def term_name(term_id: str) -> str | None:
    return NEEDS.get(term_id) or QUALITY_TERMS.get(term_id)


def taxonomy_term(term_id: str) -> dict[str, Any]:
    """An HSDS taxonomy_term object for one of homeflow's terms."""
    taxonomy = NEEDS_TAXONOMY if term_id in NEEDS else QUALITY_TAXONOMY
    return {
        "id": term_id,
        "code": term_id,
        "name": term_name(term_id),
        "description": term_name(term_id),
        "taxonomy": taxonomy,
        "taxonomy_id": taxonomy,
        "version": "1",
    }


@dataclass(frozen=True, slots=True)
class DirectoryService:
    service_id: str
    name: str
    description: str
    organisation: str
    status: str
    needs: tuple[str, ...]
    terms: tuple[str, ...]  # every taxonomy term the service is linked to, homeflow's or not
    areas: tuple[str, ...]
    addresses: tuple[str, ...]
    contacts: tuple[str, ...]
    eligibility: str
    url: str
    email: str
    qa_rating: str
    assured_on: date | None
    assurer: str
    cqc_rating: str

    def matches(self, text: str, need: str, area: str) -> bool:
        words = text.lower().split()
        haystack = " ".join((self.name, self.description, self.organisation)).lower()
        return (
            all(w in haystack for w in words)
            and (not need or need in self.terms)
            and (not area or any(area.lower() in a.lower() for a in self.areas))
        )


def attribute_term(attribute: dict[str, Any], where: str) -> str:
    """The taxonomy term an HSDS attribute links to. HSDS 3.0 requires only the attribute's
    `id`: the term may be named by `taxonomy_term_id`, by the nested `taxonomy_term` object,
    or by both (then they must agree). Another directory may give one of homeflow's terms an
    id of its own: the nested term's `code` in homeflow's taxonomy names it. An attribute
    linked to no term gives ''."""
    by_id = str(attribute.get("taxonomy_term_id") or "")
    nested = attribute.get("taxonomy_term") or {}
    nested_id = str(nested.get("id") or "")
    if by_id and nested_id and by_id != nested_id:
        raise InvalidInput(
            f"{where}.taxonomy_term.id",
            f"{nested_id!r} is not the attribute's taxonomy_term_id {by_id!r}",
        )
    term = by_id or nested_id
    code = str(nested.get("code") or "")
    if term_name(term) is None and term_name(code) is not None:
        taxonomy = nested.get("taxonomy") or nested.get("taxonomy_id")
        if taxonomy == taxonomy_term(code)["taxonomy"]:
            return code
    return term


def service_from_hsds(doc: dict[str, Any], where: str = "service") -> DirectoryService:
    """The directory's view of one checked HSDS service. A term of another taxonomy is kept
    when the file defines it (the attribute's `taxonomy_term` with its name); a term neither
    homeflow's nor defined, or a rating off the scale, is refused, naming the item. An
    attribute linked to no term is kept in the document and links the service to nothing."""
    needs: list[str] = []
    terms: list[str] = []
    ratings: dict[str, str] = {}
    for n, attribute in enumerate(doc.get("attributes") or []):
        term = attribute_term(attribute, f"{where}.attributes[{n}]")
        if not term:
            continue
        field = f"{where}.attributes[{n}].taxonomy_term_id"
        defined = attribute.get("taxonomy_term") or {}
        terms.append(term)
        if term in NEEDS:
            needs.append(term)
        elif term not in QUALITY_TERMS and defined.get("id") == term and defined.get("name"):
            continue
        elif term in QUALITY_TERMS:
            value = str(attribute.get("value") or "")
            if value not in RATINGS:
                raise InvalidInput(
                    f"{where}.attributes[{n}].value",
                    f"{value!r} is not a rating ({', '.join(RATINGS)})",
                )
            ratings[term] = value
        else:
            raise InvalidInput(
                field,
                f"{term!r} is not a term of the {NEEDS_TAXONOMY} taxonomy, nor defined in the "
                "file (a taxonomy_term with its id and name)",
            )
    assured = doc.get("assured_date")
    try:
        assured_on = date.fromisoformat(assured) if assured else None
    except ValueError:
        raise InvalidInput(f"{where}.assured_date", f"{assured!r} is not a date") from None
    organisation = doc.get("organization") or {}
    return DirectoryService(
        service_id=str(doc["id"]),
        name=str(doc["name"]),
        description=str(doc.get("description") or ""),
        organisation=str(organisation.get("name") or ""),
        status=str(doc.get("status") or ""),
        needs=tuple(needs),
        terms=tuple(terms),
        areas=tuple(str(a.get("name") or "") for a in doc.get("service_areas") or []),
        addresses=tuple(_addresses(doc)),
        contacts=tuple(_contacts(doc)),
        eligibility=str(doc.get("eligibility_description") or ""),
        url=str(doc.get("url") or ""),
        email=str(doc.get("email") or ""),
        qa_rating=ratings.get(QA_RATING, ""),
        assured_on=assured_on,
        assurer=str(doc.get("assurer_email") or ""),
        cqc_rating=ratings.get(CQC_RATING, ""),
    )


def _addresses(doc: dict[str, Any]) -> Iterable[str]:
    for at in doc.get("service_at_locations") or []:
        location = at.get("location") or {}
        for address in location.get("addresses") or []:
            parts = (address.get(k) for k in ("address_1", "city", "postal_code"))
            yield ", ".join(str(p) for p in parts if p)


def _contacts(doc: dict[str, Any]) -> Iterable[str]:
    for phone in doc.get("phones") or []:
        yield str(phone.get("number") or "")
    for contact in doc.get("contacts") or []:
        numbers = [str(p.get("number") or "") for p in contact.get("phones") or []]
        yield " ".join(p for p in (contact.get("name"), contact.get("email"), *numbers) if p)


# Fields of a service that name a person who assured it, not the service: never served openly.
PRIVATE_FIELDS = ("assurer_email",)


def reviewed(doc: dict[str, Any], rating: str, on: date) -> dict[str, Any]:
    """The service's document after a quality-assurance review: its rating attribute set to
    `rating` and the review's day as HSDS's `assured_date`. The reviewer is not written into
    the document (the document is open to anyone), and an earlier `assurer_email` no longer
    names who assured it, so it goes."""
    if rating not in RATINGS:
        raise InvalidInput("rating", f"{rating!r} is not a rating ({', '.join(RATINGS)})")
    attributes = [
        a for a in doc.get("attributes") or [] if attribute_term(a, "attributes") != QA_RATING
    ]
    attributes.append(
        {
            "id": f"{doc['id']}-{QA_RATING}",
            "link_id": doc["id"],
            "link_type": "service",
            "link_entity": "service",
            "taxonomy_term_id": QA_RATING,
            "taxonomy_term": taxonomy_term(QA_RATING),
            "value": rating,
        }
    )
    kept = {k: v for k, v in doc.items() if k not in PRIVATE_FIELDS}
    return {**kept, "attributes": attributes, "assured_date": on.isoformat()}


def public_document(doc: dict[str, Any]) -> dict[str, Any]:
    """A service's document as the open Open Referral API serves it: without who assured it
    (an imported file's `assurer_email` may be a member of staff's address)."""
    return {k: v for k, v in doc.items() if k not in PRIVATE_FIELDS}
