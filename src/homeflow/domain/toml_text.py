"""TOML read within bounds: every TOML file homeflow reads (models, scenarios, feed mappings,
settings) comes through `read_toml`.

`tomllib` alone is not safe on text typed into a form: a key dotted 40,000 times costs it
quadratic time (an 80 KB scenario file took 29 s), brackets nested a thousand deep raise
RecursionError, and an integer of more than 4,300 digits raises a bare ValueError. So one
linear pass over the text first refuses, naming the line, what would be slow or would not
fit: more than `max_bytes`, a key of more than MAX_KEY_PARTS parts, arrays or inline tables
nested more than MAX_DEPTH deep, more than MAX_KEYS keys, a number of more than
MAX_NUMBER_CHARS characters, an integer outside 64 bits (TOML's own range) or a float that
overflows to infinity. Whatever passes is parsed by tomllib, and any error it raises comes
back as InvalidInput: a caller sees InvalidInput or the tables, nothing else.
"""

from __future__ import annotations

import math
import re
import tomllib
from typing import Any

from homeflow.domain.errors import InvalidInput

MAX_BYTES = 256 * 1024
MAX_KEY_PARTS = 32
MAX_DEPTH = 32
MAX_KEYS = 10_000
MAX_NUMBER_CHARS = 100
INT64 = range(-(2**63), 2**63)

# One token at a time, strings and comments whole so that nothing inside them is counted.
# Multi-line strings first (`"""` is not an empty string and a quote); one left open runs
# to the end, as tomllib would read it, so no string is scanned twice.
_STRINGS = "|".join(
    (
        r'"""(?:[^\\]|\\.)*?(?:"{3,5}|\Z)',
        r"'''.*?(?:'{3,5}|\Z)",
        r'"(?:[^"\\\n]|\\[^\n])*"',
        r"'[^'\n]*'",
        r"[\"'][^\n]*",  # a string left open on its line: tomllib will say where
    )
)
_TOKEN = re.compile(
    rf"(?P<string>{_STRINGS})"
    r"|(?P<comment>#[^\n]*)"
    r"|(?P<newline>\n)"
    r"|(?P<space>[ \t\r]+)"
    r"|(?P<word>[A-Za-z0-9_+\-:.]+)"
    r"|(?P<open>[\[{])"
    r"|(?P<close>[\]}])"
    r"|(?P<equals>=)"
    r"|(?P<other>.)",
    re.DOTALL,
)
_DECIMAL = re.compile(r"[+-]?[0-9][0-9_]*")
_PREFIXED = re.compile(r"[+-]?0[xob][0-9A-Fa-f_]+")
_FLOAT = re.compile(r"[+-]?[0-9][0-9_]*(?:\.[0-9_]+)?(?:[eE][+-]?[0-9_]+)?")
_NUMBER_START = re.compile(r"[+-]?[0-9]")


def read_toml(text: str, what: str, *, max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """The tables of `text`, or InvalidInput(`what`, reason naming the line)."""
    _check_bounds(text, what, max_bytes)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(what, f"is not valid TOML: {error}") from None
    except (ValueError, RecursionError) as error:  # the bounds above should leave none
        raise InvalidInput(what, f"cannot be read as TOML: {error}") from None


def _check_bounds(text: str, what: str, max_bytes: int) -> None:
    size = len(text) if len(text) > max_bytes else len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise InvalidInput(what, f"is {size:,} bytes; at most {max_bytes:,}")
    depth = keys = dots = 0
    fresh_line = True  # only spaces so far on this line: a `[` here opens a table header
    for token in _TOKEN.finditer(text):
        kind, value, at = token.lastgroup, token.group(), token.start()
        if kind == "word":
            dots += value.count(".")
            _check_number(text, what, at, value)
        elif kind not in ("space", "string"):
            dots = 0  # `a . "b" . c` is one key; anything else ends it
        if kind == "open":
            depth += 1
            keys += fresh_line
        elif kind == "close":
            depth = max(depth - 1, 0)
        keys += kind == "equals"
        fresh_line = kind == "newline" or (fresh_line and kind == "space")
        if dots >= MAX_KEY_PARTS:
            _refuse(text, what, at, f"a key of more than {MAX_KEY_PARTS} parts")
        if depth > MAX_DEPTH:
            _refuse(text, what, at, f"brackets nested more than {MAX_DEPTH} deep")
        if keys > MAX_KEYS:
            _refuse(text, what, at, f"more than {MAX_KEYS:,} keys")


def _check_number(text: str, what: str, at: int, word: str) -> None:
    if not _NUMBER_START.match(word):
        return
    if len(word) > MAX_NUMBER_CHARS:
        _refuse(text, what, at, f"a number of more than {MAX_NUMBER_CHARS} characters")
    digits = word.replace("_", "")
    if _PREFIXED.fullmatch(word) or _DECIMAL.fullmatch(word):
        try:
            number = int(digits, 0 if _PREFIXED.fullmatch(word) else 10)
        except ValueError:
            return  # not an integer after all (e.g. 0x with a sign): tomllib says why
        if number not in INT64:
            _refuse(text, what, at, f"{word[:30]} is outside the 64-bit whole numbers TOML allows")
    elif _FLOAT.fullmatch(word):
        try:
            overflows = math.isinf(float(digits))
        except ValueError:
            return
        if overflows:
            _refuse(text, what, at, f"{word[:30]} is too large a number")


def _refuse(text: str, what: str, at: int, reason: str) -> None:
    line = text.count("\n", 0, at) + 1
    raise InvalidInput(what, f"line {line}: {reason}")
