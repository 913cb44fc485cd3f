"""What a local password must be (NCSC guidance): at least 12 characters, and not one of the
commonly used passwords (reference/common_passwords.txt.gz, see COMMON_PASSWORDS.md)."""

from __future__ import annotations

import gzip
from functools import cache
from importlib import resources

from homeflow.domain.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 256


@cache
def common_passwords() -> frozenset[str]:
    data = resources.files("homeflow.domain").joinpath("reference/common_passwords.txt.gz")
    return frozenset(gzip.decompress(data.read_bytes()).decode("utf-8").splitlines())


def check_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise InvalidInput("password", f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInput("password", f"must be at most {MAX_LENGTH} characters")
    if len(set(password)) < 4 or password.lower() in common_passwords():
        raise InvalidInput("password", "is one of the passwords people use most: choose another")
    return password
