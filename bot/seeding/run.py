"""One seeding run: its session and time, the ids later rows refer to, and how rows are written.

Two ways of writing, for two kinds of owner. Content-owned rows (domains, organisations,
materials, the milestone template, competitions) are brought in line with `content/` on every
run. Demo rows belong to the people who use them once they exist, as Odoo's `noupdate` data does:
seeding creates each one the first time and records that it did in the audit log, so a later
run neither changes it (a language someone chose, an invite's uses) nor brings it back once
people removed it (a member erased with /forget).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from bot.seeding.report import Tally
from bot.seeding.texts import Bilingual
from db.base import Base
from db.models import AuditLog
from db.repositories import audit
from db.repositories.content import Change, get_row, upsert_row

ModelT = TypeVar("ModelT", bound=Base)

# The audit action that marks a demo row as created by seeding (its target names the row).
SEEDED_ACTION = "seed.create"


def bilingual_columns(**texts: Bilingual[str] | None) -> dict[str, str | None]:
    """Each text as the `<name>_th` and `<name>_en` columns every bilingual model has."""
    columns: dict[str, str | None] = {}
    for name, text in texts.items():
        columns[f"{name}_th"] = None if text is None else text.th
        columns[f"{name}_en"] = None if text is None else text.en
    return columns


class SeedRun:
    """The state of one run that content and demo rows share, and the tally of what it did."""

    def __init__(self, *, session: AsyncSession, now: datetime) -> None:
        self.session = session
        self.now = now
        self.tally = Tally()
        self.domain_ids: dict[str, int] = {}
        self.organisation_ids: dict[str, int] = {}
        self.competition_ids: dict[str, int] = {}
        # Demo members who are still active; an erased one is never spoken for again.
        self.member_ids: dict[str, int] = {}

    def member_id(self, key: str | None) -> int | None:
        """The id of the active demo member `key`, if there is one."""
        return None if key is None else self.member_ids.get(key)

    def saw(self, row: Base, change: Change) -> None:
        """Count what happened to `row` (rows are told apart by their primary key)."""
        self.tally.note(type(row), _primary_key(row), change)

    async def upsert(
        self, model: type[ModelT], key: Mapping[str, Any], values: Mapping[str, Any]
    ) -> ModelT:
        """A content-owned row, inserted or brought in line with `values`."""
        row, change = await upsert_row(session=self.session, model=model, key=key, values=values)
        self.saw(row, change)
        return row

    async def create_once(
        self, model: type[ModelT], mark: str, key: Mapping[str, Any], values: Mapping[str, Any]
    ) -> ModelT | None:
        """A demo row found by `key`, created with `values` only the first time (see `once`)."""

        async def find() -> ModelT | None:
            return await get_row(session=self.session, model=model, key=key)

        async def create() -> ModelT:
            row, _ = await upsert_row(
                session=self.session, model=model, key=key, values={}, on_insert=values
            )
            return row

        return await self.once(model, mark, find=find, create=create)

    async def once(
        self,
        model: type[ModelT],
        mark: str,
        *,
        find: Callable[[], Awaitable[ModelT | None]],
        create: Callable[[], Awaitable[ModelT]],
    ) -> ModelT | None:
        """The demo row seeding made as `mark`: created once, then left to people.

        None when people have removed it since. A row a seed made before seeding kept marks
        (found by `find`) is marked now, as it is.
        """
        target = f"{model.__tablename__}:{mark}"
        made = await get_row(
            session=self.session, model=AuditLog, key={"action": SEEDED_ACTION, "target": target}
        )
        if made is not None:
            row = await self.session.get(model, tuple(made.details["key"]))
            if row is not None:
                self.saw(row, Change.UNCHANGED)
            return row
        found = await find()
        row = found if found is not None else await create()
        await audit.record(
            session=self.session,
            action=SEEDED_ACTION,
            now=self.now,
            target=target,
            details={"key": list(_primary_key(row))},
        )
        self.saw(row, Change.UNCHANGED if found is not None else Change.INSERTED)
        return row


def _primary_key(row: Base) -> tuple[Any, ...]:
    """The primary key of a row that is in the database (flushed)."""
    key = inspect(row).identity
    if key is None:
        raise ValueError(f"{row!r} has no primary key yet")
    return key
