"""The official code lists, shipped as package data, with lookups.

The CSV files are NHS England / NHS Data Dictionary facts (see reference/README in the
shared design folder); homeflow never invents a code where an official list exists.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from homeflow.domain.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    label: str
    family: str = ""
    pathways: str = ""
    published_label: str = ""


@dataclass(frozen=True, slots=True)
class CodeList:
    name: str
    codes: tuple[Code, ...]
    by_code: dict[str, Code] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Looked up for every event decoded, so a dict rather than a scan.
        object.__setattr__(self, "by_code", {c.code: c for c in self.codes})

    def __contains__(self, code: object) -> bool:
        return code in self.by_code

    def get(self, code: str) -> Code:
        return self.by_code[code]

    def check(self, field: str, code: str) -> str:
        """Return `code` if it is on the list, else raise naming the field."""
        if code not in self:
            raise InvalidInput(field, f"{code!r} is not a code in the {self.name} list")
        return code

    def families(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.family for c in self.codes if c.family))


def reference_rows(filename: str) -> list[dict[str, str]]:
    text = resources.files("homeflow.domain").joinpath("reference", filename).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def nctr_delay_reasons() -> CodeList:
    """The 37 delay reasons of the daily discharge sitrep, in five families."""
    return CodeList(
        "NCTR delay reason",
        tuple(
            Code(r["code"], r["reason"], r["family"], r["pathways"], r["published_label"])
            for r in reference_rows("nctr_delay_reasons.csv")
        ),
    )


@cache
def dtoc_reasons() -> CodeList:
    return CodeList(
        "DToC delay reason",
        tuple(Code(r["code"], r["reason"]) for r in reference_rows("dtoc_reasons.csv")),
    )


@cache
def responsible_agencies() -> CodeList:
    return CodeList(
        "responsible agency",
        tuple(Code(r["code"], r["agency"]) for r in reference_rows("responsible_agency.csv")),
    )


@cache
def mh_delay_reasons() -> CodeList:
    """MHSDS v6's reasons a patient clinically ready for discharge is still in a mental-health
    bed (MHS518 Clinically Ready for Discharge), each with NHS England's group."""
    return CodeList(
        "mental health delayed discharge reason",
        tuple(
            Code(r["code"], r["reason"], r["group"]) for r in reference_rows("mh_delay_reasons.csv")
        ),
    )


@cache
def mh_attributable_to() -> CodeList:
    """Whom MHSDS v6 attributes a mental-health delayed discharge to."""
    return CodeList(
        "attributable to",
        tuple(
            Code(r["code"], r["attributable_to"]) for r in reference_rows("mh_attributable_to.csv")
        ),
    )


@cache
def criteria_to_reside() -> CodeList:
    return CodeList(
        "criteria to reside",
        tuple(Code(r["code"], r["criterion"]) for r in reference_rows("criteria_to_reside.csv")),
    )


@cache
def discharge_pathways() -> CodeList:
    return CodeList(
        "discharge pathway",
        tuple(
            Code(r["code"], r["description"], r["name"])
            for r in reference_rows("discharge_pathways.csv")
        ),
    )


def pathway_numbers(pathways: str) -> frozenset[int]:
    """The pathways a delay reason applies to, from the published '1 or 3', '1-3', '2' forms.

    An empty set means the reason applies to any pathway.
    """
    text = pathways.replace(" ", "")
    if not text:
        return frozenset()
    if "-" in text:
        low, high = text.split("-")
        return frozenset(range(int(low), int(high) + 1))
    return frozenset(int(p) for p in text.split("or"))
