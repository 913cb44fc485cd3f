"""What a patient search asks for: a name, an NHS number or a visit number, read from what was
typed in the header's search box. Who may see what it finds is `privacy.may_identify` (a stay)
and `community.permissions.shared_with` (a community episode), asked by the store."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from homeflow.domain.errors import InvalidInput
from homeflow.domain.organisations import is_valid_nhs_number

FIELD = "q"
LONGEST = 100
# A name: letters (any alphabet), spaces, hyphens, apostrophes and the comma of "SMITH, John".
_NAME = re.compile(r"[^\W\d_][^\W\d_\s'’,.-]*(?:[\s'’,.-]+[^\W\d_]+)*[,.]?", re.UNICODE)
# A visit number (HL7 PV1-19) or an episode's id, alone or after its trust's code (RX1:V123).
_VISIT = re.compile(r"(?:[A-Za-z0-9]{2,12}:)?[A-Za-z0-9][A-Za-z0-9_-]{2,59}")
ASK = "Search by a name, an NHS number (10 digits) or a visit number."
# Where a part of a name begins: at its start, or after a space, hyphen or apostrophe.
_PART_STARTS = frozenset(" -'")


class Kind(StrEnum):
    NAME = "name"
    NHS_NUMBER = "NHS number"
    VISIT = "visit number"


@dataclass(frozen=True, slots=True)
class Query:
    kind: Kind
    # The words of a name (lower case), the NHS number's 10 digits, or the visit number.
    terms: tuple[str, ...]


def parse_query(typed: str) -> Query:
    """The search `typed` asks for, or InvalidInput whose reason (a sentence of its own) says
    what to type instead."""
    text = " ".join(typed.split())
    if not text:
        raise InvalidInput(FIELD, f"Nothing was typed. {ASK}")
    if len(text) > LONGEST:
        raise InvalidInput(FIELD, f"The search is {len(text)} characters; at most {LONGEST}.")
    compact = text.replace(" ", "").replace("-", "")
    if compact.isdigit() and len(compact) == 10:
        if not is_valid_nhs_number(compact):
            raise InvalidInput(
                FIELD, f"{text} is not an NHS number: its last digit does not check."
            )
        return Query(Kind.NHS_NUMBER, (compact,))
    if compact.isdigit() and (len(compact) < 3 or (len(compact) < 10 and " " in text)):
        raise InvalidInput(
            FIELD,
            f"{text} is {len(compact)} digit{'' if len(compact) == 1 else 's'}: an NHS number"
            " has 10, a visit number 3 or more.",
        )
    if _VISIT.fullmatch(text) and any(ch.isdigit() for ch in text):
        return Query(Kind.VISIT, (text.upper(),))
    if _NAME.fullmatch(text):
        words = tuple(w for w in re.split(r"[\s,.]+", text.lower()) if w)
        if sum(len(w) for w in words) < 2:
            raise InvalidInput(FIELD, "One letter is too few: type at least 2 letters of a name.")
        return Query(Kind.NAME, words)
    raise InvalidInput(FIELD, f"{text} is not a name, an NHS number or a visit number. {ASK}")


def name_parts(*names: str) -> frozenset[str]:
    """Where a search word may begin in these names, in lower case: each whole name, and what
    follows each space, hyphen or apostrophe in it. A word finds the names when one of their
    parts begins with it ("jones" finds SMITH-JONES; "hill" does not find PHILLIPS). Kept
    beside each patient (store/projections.write_patients), a word is a range of one index
    rather than a scan of every name."""
    parts: set[str] = set()
    for name in names:
        low = name.lower()
        parts.update(low[i:] for i in range(len(low)) if i == 0 or low[i - 1] in _PART_STARTS)
    return frozenset(parts)


def names_found(query: Query, parts: frozenset[str]) -> bool:
    """Whether every word of a name search begins one of the `parts` (`name_parts`)."""
    return all(any(part.startswith(word) for part in parts) for word in query.terms)
