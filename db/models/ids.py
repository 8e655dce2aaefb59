"""Column types shared by the models."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer

# SQLite only auto-increments INTEGER PRIMARY KEY; high-volume tables get BIGINT on PostgreSQL.
BigId = BigInteger().with_variant(Integer(), "sqlite")
