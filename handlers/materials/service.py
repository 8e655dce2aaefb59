"""Workshop materials: ranked Thai/English search and browsing by session or domain.

Plain functions over a session: chat calls them, and the dashboard may.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.search import CachedIndex, Field, SearchIndex
from db.models import Domain, Material, Workshop, WorkshopSession
from db.repositories.materials import (
    domains_by_id,
    get_session,
    list_materials,
    list_sessions,
    materials_version,
)
from db.repositories.organisations import get_domain, list_domains

# The search index, rebuilt only when materials change (seed, edits).
_cache: CachedIndex[int] = CachedIndex()


def material_fields(material: Material, domains: dict[int, Domain]) -> list[Field]:
    """What a search looks at, both languages, titles and tags weighing most."""
    fields = [
        Field(material.title_th, 3.0),
        Field(material.title_en, 3.0),
        Field(" ".join(material.tags), 2.0),
        Field(material.summary_th, 1.0),
        Field(material.summary_en, 1.0),
    ]
    domain = domains.get(material.domain_id) if material.domain_id else None
    if domain is not None:
        fields += [Field(domain.name_th, 1.5), Field(domain.name_en, 1.5), Field(domain.slug, 1.5)]
    return fields


async def material_index(*, session: AsyncSession) -> SearchIndex[int]:
    """The index over every material's titles, summaries, tags and domain names."""

    async def documents() -> list[tuple[int, list[Field]]]:
        domains = await domains_by_id(session=session)
        materials = await list_materials(session=session)
        return [(m.id, material_fields(m, domains)) for m in materials]

    return await _cache.get(await materials_version(session=session), documents)


async def search(*, session: AsyncSession, query: str, limit: int) -> list[Material]:
    """The materials that best match `query`, best first."""
    hits = (await material_index(session=session)).search(query, limit=limit)
    return await materials_by_ids(session=session, ids=[hit.key for hit in hits])


async def materials_by_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[Material]:
    """The materials with these ids, in the order given (missing ones left out)."""
    by_id = {m.id: m for m in await list_materials(session=session)}
    return [by_id[key] for key in ids if key in by_id]


async def sessions(*, session: AsyncSession) -> list[tuple[WorkshopSession, Workshop]]:
    """Every workshop session, in the order they were held."""
    return await list_sessions(session=session)


async def domains(*, session: AsyncSession) -> list[Domain]:
    """The smart-city domains."""
    return await list_domains(session=session)


async def of_session(
    *, session: AsyncSession, session_id: int
) -> tuple[WorkshopSession, list[Material]] | None:
    """A workshop session and its materials, or None if there is no such session."""
    found = await get_session(session=session, session_id=session_id)
    if found is None:
        return None
    return found, await list_materials(session=session, session_id=found.id)


async def of_domain(*, session: AsyncSession, slug: str) -> tuple[Domain, list[Material]] | None:
    """A domain and its materials, or None if there is no such domain."""
    domain = await get_domain(session=session, slug=slug)
    if domain is None:
        return None
    return domain, await list_materials(session=session, domain_id=domain.id)


async def domain_names(*, session: AsyncSession) -> dict[int, Domain]:
    """Every domain by id (cards name the domain of each material)."""
    return await domains_by_id(session=session)
