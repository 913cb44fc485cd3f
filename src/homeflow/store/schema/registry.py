"""The organisation registry: configuration, not events (`homeflow rebuild` keeps it)."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
)

from homeflow.store.schema.base import metadata

organisations = Table(
    "organisations",
    metadata,
    Column("code", String(12), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("type", String(20), nullable=False),
    Column("parent_code", String(12), nullable=True),
)

sites = Table(
    "sites",
    metadata,
    Column("code", String(12), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("org_code", String(12), ForeignKey("organisations.code"), nullable=False),
)

wards = Table(
    "wards",
    metadata,
    Column("code", String(20), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("site_code", String(12), ForeignKey("sites.code"), nullable=False),
    Column("beds", Integer, nullable=False),
    Column("specialty", String(60), nullable=False),
    Column("type", String(30), nullable=False),
)
