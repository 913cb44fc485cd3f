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
from homeflow.domain.organisations import OrganisationType, check_ods_code
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
    site_of_ward: Mapping[str, str] = field(default_factory=dict)
    # Each registry organisation's type: a local authority of residence the registry holds
    # must be a local authority there.
    organisation_types: Mapping[str, OrganisationType] = field(default_factory=dict)

    def site(self, sent: str) -> str:
        return self.sites.get(sent, sent)

    def ward(self, site_sent: str, ward_sent: str) -> str | None:
        """The homeflow ward for a sent ward code, or None when it is not mapped."""
        for key in (f"{site_sent}/{ward_sent}", ward_sent):
            if key in self.wards:
                return self.wards[key]
        return ward_sent if ward_sent in self.known_wards else None

    def org_of_ward(self, ward: str) -> str | None:
        """The organisation whose site holds a homeflow ward, None for a ward not known."""
        return self.org_of_site.get(self.site_of_ward.get(ward, ""))

    def with_registry(
        self,
        org_of_site: Mapping[str, str],
        site_of_ward: Mapping[str, str],
        organisation_types: Mapping[str, OrganisationType] | None = None,
    ) -> FeedMapping:
        return replace(
            self,
            known_sites=frozenset(org_of_site),
            known_wards=frozenset(site_of_ward),
            org_of_site=dict(org_of_site),
            site_of_ward=dict(site_of_ward),
            organisation_types=dict(organisation_types or {}),
        )


def load_mapping(path: Path) -> FeedMapping:
    data = read_toml(path.read_text("utf-8"), f"mapping {path}")  # bounded: see toml_text
    return mapping_from_dict(data)


# Every field a mapping file has: the feed's settings with the type each must be, and the
# sections that map codes sent to homeflow's (text to text).
FEED_SETTINGS: dict[str, type] = {"source": str, "strict": bool, "organisation": str}
CODE_MAPS = ("sites", "wards", "discharge_destinations", "discharge_pathways")
SECTIONS = ("feed", *CODE_MAPS)


def mapping_from_dict(data: dict[str, Any]) -> FeedMapping:
    """The mapping a TOML file's tables describe; InvalidInput names the first field that is
    unknown or of the wrong type (`feed.strict`, `wards.WARD 9`), never anything else."""
    for section in data:
        if section not in SECTIONS:
            raise InvalidInput(section, f"is not a mapping section ({', '.join(sorted(SECTIONS))})")
    feed = _table(data, "feed")
    for key, value in feed.items():
        kind = FEED_SETTINGS.get(key)
        if kind is None:
            raise InvalidInput(f"feed.{key}", f"is not a feed setting ({', '.join(FEED_SETTINGS)})")
        if not isinstance(value, kind):
            wanted = "true or false" if kind is bool else "text"
            raise InvalidInput(f"feed.{key}", f"must be {wanted}, not {_kind_of(value)}")
    tables = {section: _code_map(data, section) for section in CODE_MAPS}
    for sent, pathway in tables["discharge_pathways"].items():
        codes.discharge_pathways().check(f"discharge_pathways.{sent}", pathway)
    organisation = feed.get("organisation")
    if organisation is not None:
        check_ods_code("feed.organisation", organisation)
    return FeedMapping(
        organisation=organisation,
        source=feed.get("source", "hl7"),
        strict=feed.get("strict", False),
        sites=tables["sites"],
        wards=tables["wards"],
        discharge_destinations=tables["discharge_destinations"],
        discharge_pathways=tables["discharge_pathways"],
    )


def _table(data: dict[str, Any], section: str) -> dict[str, Any]:
    table = data.get(section, {})
    if not isinstance(table, dict):
        raise InvalidInput(section, f"must be a table ([{section}]), not {_kind_of(table)}")
    return table


def _code_map(data: dict[str, Any], section: str) -> dict[str, str]:
    table = _table(data, section)
    for sent, value in table.items():
        if not isinstance(value, str):
            raise InvalidInput(f"{section}.{sent}", f"must be text, not {_kind_of(value)}")
    return table


def _kind_of(value: object) -> str:
    """What a TOML value is, in the words of the TOML spec."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date or time"
