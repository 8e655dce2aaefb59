"""Seeding runs as the tests make them: a catalogue of a content directory, seeded at a time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.seeding import Catalogue, SeedReport, load_catalogue, seed_content
from bot.settings import DEFAULT_CONTENT_DIR
from db.base import Base
from db.repositories.content import count_rows, list_rows
from tests.conftest import Database

BASE_URL = "https://materials.test/citybot"
NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
EVERY_MODEL = [mapper.class_ for mapper in Base.registry.mappers]


def catalogue_of(content: Path = DEFAULT_CONTENT_DIR) -> Catalogue:
    """The catalogue of a content directory, with the test base URL."""
    return load_catalogue(content, materials_base_url=BASE_URL)


async def seed(
    database: Database, catalogue: Catalogue, *, demo: bool, now: datetime = NOW
) -> SeedReport:
    """One seeding run in its own committed transaction, as `citybot seed` does."""
    async with database.sessions() as session, session.begin():
        return await seed_content(session=session, catalogue=catalogue, demo=demo, now=now)


async def table_counts(database: Database) -> dict[str, int]:
    """Rows in every table of the schema."""
    async with database.sessions() as session:
        return await count_rows(session=session, models=EVERY_MODEL)


async def snapshot(database: Database, model: type[Base]) -> list[tuple[Any, ...]]:
    """Each row of `model` as (id, updated_at, every column value), to see that nothing moved."""
    async with database.sessions() as session:
        rows = await list_rows(session=session, model=model, key={})
        columns = [column.key for column in model.__table__.columns]
        return [tuple(getattr(row, column) for column in columns) for row in rows]
