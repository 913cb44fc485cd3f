"""Per-feed code mapping: sending facility and ward codes to homeflow's, and discharge codes.

A TOML file (docs/feeds.md):

    [feed]
    source = "pas-riverside"   # names the feed on the feeds page
    strict = false             # true: an unmapped ward is answered AE
    organisation = "RX1"       # the trust whose system sends it: its visit numbers, its wards

    [sites]                    # MSH-4 or PV1-3.4 -> homeflow site code
    RGH = "RX101"

    [wards]                    # "SITE/WARD" or "WARD" as sent in PV1-3 -> homeflow ward code
    "RGH/WD5" = "RX101-M05"

    [discharge_destinations]   # PV1-37 -> destination text
    "19" = "usual residence"

    [discharge_pathways]       # PV1-36 -> P0..P3
    "1" = "P0"

Codes that already name a homeflow site or ward need no entry: the demo's feed works with
no mapping file at all.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from homeflow.domain import codes
from homeflow.domain.errors import InvalidInput
from homeflow.domain.organisations import check_ods_code
from homeflow.domain.toml_text import read_toml


@dataclass(frozen=True)
class FeedMapping:
    source: str = "hl7"
    strict: bool = False
    sites: dict[str, str] = field(default_factory=dict)
    wards: dict[str, str] = field(default_factory=dict)
    discharge_destinations: dict[str, str] = field(default_factory=dict)
    discharge_pathways: dict[str, str] = field(default_factory=dict)
    known_sites: Collection[str] = ()
    known_wards: Collection[str] = ()
    # The trust whose patient administration system sends this feed. Unset, each message's
    # issuer is the assigning authority of PV1-19, else the trust of the site it names.
    organisation: str | None = None
    org_of_site: Mapping[str, str] = field(default_factory=dict)

    def site(self, sent: str) -> str:
        return self.sites.get(sent, sent)

    def ward(self, site_sent: str, ward_sent: str) -> str | None:
        """The homeflow ward for a sent ward code, or None when it is not mapped."""
        for key in (f"{site_sent}/{ward_sent}", ward_sent):
            if key in self.wards:
                return self.wards[key]
        return ward_sent if ward_sent in self.known_wards else None

    def with_registry(self, org_of_site: Mapping[str, str], wards: Collection[str]) -> FeedMapping:
        return replace(
            self,
            known_sites=frozenset(org_of_site),
            known_wards=frozenset(wards),
            org_of_site=dict(org_of_site),
        )


def load_mapping(path: Path) -> FeedMapping:
    data = read_toml(path.read_text("utf-8"), f"mapping {path}")  # bounded: see toml_text
    return mapping_from_dict(data)


def mapping_from_dict(data: dict[str, Any]) -> FeedMapping:
    known = {"feed", "sites", "wards", "discharge_destinations", "discharge_pathways"}
    for section in data:
        if section not in known:
            raise InvalidInput(section, f"is not a mapping section ({', '.join(sorted(known))})")
    feed = data.get("feed", {})
    tables: dict[str, dict[str, str]] = {}
    for section in known - {"feed"}:
        table = data.get(section, {})
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise InvalidInput(section, "must map codes to text")
        tables[section] = {str(k): v for k, v in table.items()}
    for sent, pathway in tables["discharge_pathways"].items():
        codes.discharge_pathways().check(f"discharge_pathways.{sent}", pathway)
    strict = feed.get("strict", False)
    if not isinstance(strict, bool):
        raise InvalidInput("feed.strict", "must be true or false")
    organisation = feed.get("organisation")
    if organisation is not None:
        check_ods_code("feed.organisation", str(organisation))
    return FeedMapping(
        organisation=organisation,
        source=str(feed.get("source", "hl7")),
        strict=strict,
        sites=tables["sites"],
        wards=tables["wards"],
        discharge_destinations=tables["discharge_destinations"],
        discharge_pathways=tables["discharge_pathways"],
    )
