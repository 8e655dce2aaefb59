"""INSERT with ON CONFLICT for the session's database: SQLite and PostgreSQL spell it alike but
SQLAlchemy keeps it per dialect, so the choice is made here once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def conflict_insert(session: AsyncSession, model: Any) -> Any:
    """`insert(model)` of the session's dialect, which takes `.on_conflict_do_nothing()` and
    `.on_conflict_do_update()`."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)
