"""The one MetaData every table of homeflow's schema belongs to (Alembic compares it)."""

from __future__ import annotations

from sqlalchemy import MetaData

metadata = MetaData()
