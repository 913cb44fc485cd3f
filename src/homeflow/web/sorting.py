"""Lists sorted by their columns, without JavaScript: each column's header (the
`sortable_header` macro in _macros.html) links to the same list with `?sort=column&order=asc`
or `desc`, the list's other filters kept, back to its first page. A column is sorted by its
value with blanks last either way, ties left in the list's own order; an unknown column or
order is not an error page: the list comes in its usual order, and says why.

Every list's template names its columns with `sortable(template, columns)`, so the tests can
sort each list by each column and read its rows back (tests/integration/test_sorting.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import urlencode

from fastapi import Request

T = TypeVar("T")
ORDERS = ("asc", "desc")
# How a page writes a column's values, for the tests that read them back from the page.
Shows = Literal["text", "number", "day", "when", "patient"]


@dataclass(frozen=True, slots=True)
class Column(Generic[T]):
    value: Callable[[T], Any]  # what the column is sorted by; None (a blank) sorts last
    first: str = "asc"  # the order a first tap gives (the longest wait first: "desc")
    shows: Shows = "text"


# Every list's columns, by the template that shows it.
LISTS: dict[str, Mapping[str, Column[Any]]] = {}


def sortable(template: str, columns: Mapping[str, Column[T]]) -> Mapping[str, Column[T]]:
    """Name the sortable columns of the list `template` shows."""
    LISTS[template] = columns
    return columns


@dataclass(frozen=True, slots=True)
class Sorting:
    """How a list is sorted, and its header links' addresses."""

    path: str
    params: tuple[tuple[str, str], ...]  # the list's other filters, kept by every link
    column: str | None
    order: str
    firsts: Mapping[str, str]  # each column's first order
    refused: str | None = None  # why the sort asked for was not done
    asked: bool = False  # the order is the one a header asked for, not the list's own

    def href(self, column: str) -> str:
        if column == self.column:
            order = "desc" if self.order == "asc" else "asc"
        else:
            order = self.firsts[column]
        return f"{self.path}?{urlencode([*self.params, ('sort', column), ('order', order)])}"

    def aria(self, column: str) -> str | None:
        """The header's aria-sort: only the column the list is sorted by has one."""
        if column != self.column:
            return None
        return "ascending" if self.order == "asc" else "descending"

    @property
    def kept(self) -> str:
        """The sort asked for as a query string's tail, for the list's other links (its
        pages); nothing for the list's own order."""
        if self.column is None or not self.asked:
            return ""
        return "&" + urlencode([("sort", self.column), ("order", self.order)])


def sort_rows(
    request: Request,
    rows: Sequence[T],
    columns: Mapping[str, Column[T]],
    default: str | None = None,
) -> tuple[list[T], Sorting]:
    """`rows` in the order the request's `sort` and `order` ask for; with none, in their own
    order, which is `default`'s first order when the page names one."""
    asked = request.query_params.get("sort")
    order_asked = request.query_params.get("order")
    params = tuple(
        (k, v) for k, v in request.query_params.multi_items() if k not in ("sort", "order", "page")
    )
    firsts = {key: c.first for key, c in columns.items()}
    refused = None
    column = default
    if asked is not None and asked in columns:
        column = asked
    elif asked:
        refused = (
            f"This list cannot be sorted by “{_short(asked)}”: it is shown in its usual order."
        )
    order = firsts[column] if column else "asc"
    if column == asked and order_asked in ORDERS:
        order = str(order_asked)
    elif column == asked and order_asked:
        refused = (
            f"“{_short(order_asked)}” is not an order: use asc or desc. Shown {_words(order)}."
        )
    sorting = Sorting(
        request.url.path,
        params,
        column,
        order,
        firsts,
        refused,
        asked=column is not None and column == asked,
    )
    if column is None:
        return list(rows), sorting
    return _sorted(rows, columns[column], order), sorting


def _short(typed: str) -> str:
    """What was typed, as a message quotes it: at most 40 characters."""
    return typed if len(typed) <= 40 else typed[:40] + "…"


def _words(order: str) -> str:
    return "lowest first" if order == "asc" else "highest first"


def _sorted(rows: Sequence[T], column: Column[T], order: str) -> list[T]:
    values = [(column.value(r), r) for r in rows]
    present = [(v, r) for v, r in values if v is not None and v != ""]
    blank = [r for v, r in values if v is None or v == ""]
    present.sort(key=lambda pair: _comparable(pair[0]), reverse=order == "desc")
    return [r for _, r in present] + blank


def _comparable(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value
