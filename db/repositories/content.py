"""Rows that come from `content/`, found by their stable keys and brought up to date in place.

Seeding must be repeatable: a row is looked up by the columns that identify it (a slug, a code,
a pair of ids), changed only where the content differs, and inserted only when missing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import delete, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import Base
from db.models import OrganisationDomain

ModelT = TypeVar("ModelT", bound=Base)


class Change(StrEnum):
    """What an upsert did to its row."""

    INSERTED = "inserted"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


async def get_row(
    *, session: AsyncSession, model: type[ModelT], key: Mapping[str, Any]
) -> ModelT | None:
    """The row of `model` whose columns equal `key`, or None."""
    return await session.scalar(select(model).filter_by(**key))


async def list_rows(
    *, session: AsyncSession, model: type[ModelT], key: Mapping[str, Any]
) -> list[ModelT]:
    """Every row of `model` whose columns equal `key`, in insertion order."""
    return list(
        await session.scalars(select(model).filter_by(**key).order_by(*_primary_key(model)))
    )


def _primary_key(model: type[Base]) -> tuple[Any, ...]:
    return tuple(inspect(model).primary_key)


async def upsert_row(
    *,
    session: AsyncSession,
    model: type[ModelT],
    key: Mapping[str, Any],
    values: Mapping[str, Any],
    on_insert: Mapping[str, Any] | None = None,
) -> tuple[ModelT, Change]:
    """Find the row by `key`; insert it with `values` (and `on_insert`) or update what differs.

    `on_insert` holds values that belong to the row once it lives (a reminder's status, a
    progress report's time) and must not be reset by seeding again.
    """
    row = await get_row(session=session, model=model, key=key)
    if row is None:
        row = model(**key, **values, **(on_insert or {}))
        session.add(row)
        await session.flush()
        return row, Change.INSERTED
    changed = await update_row(session=session, row=row, values=values)
    return row, Change.UPDATED if changed else Change.UNCHANGED


async def update_row(*, session: AsyncSession, row: Base, values: Mapping[str, Any]) -> bool:
    """Set the columns in `values` that differ; True when any did (untouched rows stay clean)."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        await session.flush()
    return changed


async def set_organisation_domains(
    *, session: AsyncSession, organisation_id: int, domain_ids: Collection[int]
) -> tuple[set[int], set[int]]:
    """Make the organisation's domains exactly `domain_ids`; the domain ids added, and cut."""
    current = set(
        await session.scalars(
            select(OrganisationDomain.domain_id).where(
                OrganisationDomain.organisation_id == organisation_id
            )
        )
    )
    wanted = set(domain_ids)
    stale = current - wanted
    if stale:
        await session.execute(
            delete(OrganisationDomain).where(
                OrganisationDomain.organisation_id == organisation_id,
                OrganisationDomain.domain_id.in_(stale),
            )
        )
    missing = wanted - current
    session.add_all(
        OrganisationDomain(organisation_id=organisation_id, domain_id=domain_id)
        for domain_id in sorted(missing)
    )
    if missing:
        await session.flush()
    return missing, stale


async def count_rows(*, session: AsyncSession, models: Iterable[type[Base]]) -> dict[str, int]:
    """How many rows each model's table holds, by table name."""
    counts: dict[str, int] = {}
    for model in models:
        total = await session.scalar(select(func.count()).select_from(model))
        counts[str(model.__tablename__)] = total or 0
    return counts
