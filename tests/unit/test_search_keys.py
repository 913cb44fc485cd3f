"""What a patient search looks up. Where a name search's word may begin (`name_parts`): a word
finds a name when it begins the name, or what follows a space, hyphen or apostrophe in it,
whatever the case. A visit number (`visit_number_of`): what follows a spell key's last colon,
in upper case."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from homeflow.domain.organisations import visit_number_of
from homeflow.domain.patient_search import Kind, Query, name_parts, names_found

# Letters of two alphabets and the characters a part may begin after, so that generated
# names hold parts of every kind, and words often begin one.
_LETTERS = st.sampled_from("abAB\u00e9\u00c9\u0130 -'")
names = st.text(_LETTERS, max_size=12)
words = st.text(_LETTERS, min_size=1, max_size=4)


def _found_by_definition(word: str, name: str) -> bool:
    low = name.lower()
    return low.startswith(word) or any(before + word in low for before in " -'")


def test_a_word_finds_a_part_after_a_space_hyphen_or_apostrophe_and_not_inside_a_word() -> None:
    parts = name_parts("SMITH-JONES", "Mary Ann")
    assert parts == {"smith-jones", "jones", "mary ann", "ann"}
    assert names_found(Query(Kind.NAME, ("jones", "ann")), parts)
    assert names_found(Query(Kind.NAME, ("smith-jo",)), parts)
    assert not names_found(Query(Kind.NAME, ("ith",)), parts)
    assert not names_found(Query(Kind.NAME, ("jones", "ben")), parts)
    assert name_parts("O'BRIEN", "") == {"o'brien", "brien"}
    assert name_parts("PHILLIPS", "Ian") == {"phillips", "ian"}


@given(words, names, names)
@example("\u00e9", "\u00c9MILE", "")  # a capital beyond ASCII, as typed in lower case
@example("ann", "SMITH", "Mary-ann")
def test_the_parts_find_exactly_what_the_definition_finds(
    word: str, family: str, given_name: str
) -> None:
    word = word.lower()
    expected = _found_by_definition(word, family) or _found_by_definition(word, given_name)
    assert names_found(Query(Kind.NAME, (word,)), name_parts(family, given_name)) == expected


def test_a_visit_number_is_what_follows_the_keys_last_colon_in_upper_case() -> None:
    assert visit_number_of("RX1:v123") == "V123"
    assert visit_number_of("RX1:csv:a-9") == "A-9"
    assert visit_number_of("V123") == "V123"
