"""Workshop sessions and their materials, for browsing and search."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Domain, Material, Workshop, WorkshopSession


async def list_sessions(*, session: AsyncSession) -> list[tuple[WorkshopSession, Workshop]]:
    """Every workshop session with its workshop, in programme order."""
    rows = await session.execute(
        select(WorkshopSession, Workshop)
        .join(Workshop, Workshop.id == WorkshopSession.workshop_id)
        .order_by(Workshop.held_on, WorkshopSession.position, WorkshopSession.id)
    )
    return [(row[0], row[1]) for row in rows]


async def get_session(*, session: AsyncSession, session_id: int) -> WorkshopSession | None:
    """One workshop session."""
    return await session.get(WorkshopSession, session_id)


async def list_materials(
    *, session: AsyncSession, session_id: int | None = None, domain_id: int | None = None
) -> list[Material]:
    """Materials of one session and/or one domain, in their listed order."""
    query = select(Material).order_by(Material.session_id, Material.position, Material.id)
    if session_id is not None:
        query = query.where(Material.session_id == session_id)
    if domain_id is not None:
        query = query.where(Material.domain_id == domain_id)
    return list(await session.scalars(query))


async def materials_version(*, session: AsyncSession) -> str:
    """How many materials there are and when one last changed: a cache key for the index."""
    row = (await session.execute(select(func.count(), func.max(Material.updated_at)))).one()
    return f"{row[0]}@{row[1]}"


async def domains_by_id(*, session: AsyncSession) -> dict[int, Domain]:
    """Every domain, by id."""
    return {domain.id: domain for domain in await session.scalars(select(Domain))}
