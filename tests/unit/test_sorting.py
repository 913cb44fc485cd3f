"""web/sorting.py's one rule for every list: the order asked for, blanks last either way, ties
in the list's own order; an unknown column or order refused with a sentence, never an error;
the header links keep the list's filters and drop its page."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request

from homeflow.web.sorting import Column, sort_rows

ROWS: list[tuple[str, int | None]] = [("b", 2), ("a", None), ("C", 1), ("a", 3), ("", 5)]
Row = tuple[str, int | None]
COLUMNS: dict[str, Column[Row]] = {
    "name": Column(lambda r: r[0]),
    "n": Column(lambda r: r[1], first="desc", shows="number"),
}


def request(query: str) -> Request:
    return Request({"type": "http", "path": "/list", "query_string": query.encode(), "headers": []})


def test_rows_come_in_the_order_asked_blanks_last_ties_as_they_were() -> None:
    by_name, _ = sort_rows(request("sort=name&order=asc"), ROWS, COLUMNS)
    assert by_name == [("a", None), ("a", 3), ("b", 2), ("C", 1), ("", 5)]
    by_name_down, _ = sort_rows(request("sort=name&order=desc"), ROWS, COLUMNS)
    assert by_name_down == [("C", 1), ("b", 2), ("a", None), ("a", 3), ("", 5)]
    by_n, sorting = sort_rows(request("sort=n"), ROWS, COLUMNS)  # its first order: highest
    assert [r[1] for r in by_n] == [5, 3, 2, 1, None]
    assert sorting.aria("n") == "descending" and sorting.aria("name") is None


def test_no_sort_keeps_the_lists_order_and_its_links_say_nothing() -> None:
    rows, sorting = sort_rows(request("org=RX1"), ROWS, COLUMNS)
    assert rows == ROWS and sorting.refused is None and sorting.kept == ""
    _, by_default = sort_rows(request(""), ROWS, COLUMNS, default="n")
    assert by_default.aria("n") == "descending" and by_default.kept == ""


def test_a_header_link_turns_the_order_round_and_keeps_the_filters_not_the_page() -> None:
    _, sorting = sort_rows(request("org=RX1&page=3&sort=name&order=asc"), ROWS, COLUMNS)
    link = urlsplit(sorting.href("name"))
    assert link.path == "/list"
    assert dict(parse_qsl(link.query)) == {"org": "RX1", "sort": "name", "order": "desc"}
    assert dict(parse_qsl(urlsplit(sorting.href("n")).query))["order"] == "desc"
    assert sorting.kept == "&sort=name&order=asc"


def test_an_unknown_column_or_order_is_said_not_failed() -> None:
    rows, sorting = sort_rows(request("sort=%3Cb%3E"), ROWS, COLUMNS)
    assert rows == ROWS and sorting.column is None
    assert sorting.refused == "This list cannot be sorted by “<b>”: it is shown in its usual order."
    rows, sorting = sort_rows(request("sort=name&order=sideways"), ROWS, COLUMNS)
    assert (
        sorting.column == "name" and sorting.order == "asc" and "“sideways”" in str(sorting.refused)
    )
