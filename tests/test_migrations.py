"""Migrations build exactly the models' schema from empty, tear it down, and build it again."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, Text, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

import db.models  # noqa: F401  # registers every table on the metadata
from db.base import Base
from db.enums import Channel, ChatKind
from db.migrate import alembic_config, downgrade, upgrade
from db.models import Chat, Identity
from db.session import create_engine
from tests.conftest import POSTGRES_URL, _pg_execute, _with_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of each kind with nothing in it, not even Alembic's version table."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    request.getfixturevalue("postgres_available")  # skips outside CI, fails in CI, when down
    name = f"citybot_migrate_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_execute(f'CREATE DATABASE "{name}"'))
    yield _with_database(POSTGRES_URL, name)
    asyncio.run(_pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _inspect(url: str, look: Any) -> Any:
    """Run `look(connection)` on a synchronous view of the database and return its answer."""

    async def run() -> Any:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(look)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _drift_from(metadata: MetaData) -> Callable[[Connection], list[Any]]:
    def drift(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    return drift


_drift = _drift_from(Base.metadata)


def _models_plus_one_column() -> MetaData:
    """The models with one column more, to prove the drift check sees a difference."""
    metadata = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    metadata.tables["inbound_events"].append_column(Column("extra_note", Text()))
    return metadata


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def test_history_has_one_head() -> None:
    """Migrations form one line, so `citybot db upgrade` has exactly one place to go."""
    scripts = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))
    assert len(scripts.get_heads()) == 1


def test_upgrade_downgrade_upgrade_leaves_no_drift(empty_database_url: str) -> None:
    """From empty to head, back to base and up again, the schema is exactly the models'."""
    url = empty_database_url
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    model_tables = set(Base.metadata.tables)

    upgrade(url)
    assert _inspect(url, _revision) == head
    assert model_tables <= _inspect(url, _tables)
    assert _inspect(url, _drift) == []
    (added,) = _inspect(url, _drift_from(_models_plus_one_column()))
    assert added[0] == "add_column"
    assert added[3].name == "extra_note"

    downgrade(url)
    assert _inspect(url, _tables) == {"alembic_version"}
    assert _inspect(url, _revision) is None

    upgrade(url)
    assert _inspect(url, _revision) == head
    assert _inspect(url, _tables) == model_tables | {"alembic_version"}
    assert _inspect(url, _drift) == []


def test_line_groups_stop_being_people(empty_database_url: str) -> None:
    """0003 drops the identities LINE groups and rooms were given, and only those."""
    url = empty_database_url
    upgrade(url, "0002")
    group, room, person = "C" + "1" * 32, "R" + "2" * 32, "U" + "3" * 32

    async def write() -> None:
        engine = create_engine(url)
        async with AsyncSession(engine) as session, session.begin():
            for chat_id, kind in ((group, ChatKind.GROUP), (room, ChatKind.ROOM)):
                session.add(Chat(channel=Channel.LINE, external_id=chat_id, kind=kind))
            for account in (group, room, person):
                session.add(Identity(channel=Channel.LINE, external_id=account))
            session.add(Identity(channel=Channel.TELEGRAM, external_id=group))  # not LINE's
        await engine.dispose()

    async def accounts() -> list[tuple[Channel, str]]:
        engine = create_engine(url)
        async with AsyncSession(engine) as session:
            found = await session.execute(select(Identity.channel, Identity.external_id))
            rows = sorted((channel, external_id) for channel, external_id in found)
        await engine.dispose()
        return rows

    asyncio.run(write())
    upgrade(url)
    assert asyncio.run(accounts()) == [(Channel.LINE, person), (Channel.TELEGRAM, group)]
