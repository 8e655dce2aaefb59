"""Organisations and domains by their stable slugs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import OrganisationKind
from db.models import Domain, Organisation


async def get_organisation(*, session: AsyncSession, slug: str) -> Organisation | None:
    """The organisation with `slug`, or None."""
    return await session.scalar(select(Organisation).where(Organisation.slug == slug))


async def get_organisation_by_id(*, session: AsyncSession, organisation_id: int) -> Organisation:
    """The organisation with `organisation_id` (it must exist)."""
    return await session.get_one(Organisation, organisation_id)


async def list_cities(*, session: AsyncSession) -> list[Organisation]:
    """Every city, oldest first (a stable order: it settles clashing short codes)."""
    return list(
        await session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrganisationKind.CITY)
            .order_by(Organisation.id)
        )
    )


async def list_organisations(*, session: AsyncSession) -> list[Organisation]:
    """Every organisation, cities first, by English name."""
    return list(
        await session.scalars(
            select(Organisation).order_by(Organisation.kind, Organisation.name_en)
        )
    )


async def list_domains(*, session: AsyncSession) -> list[Domain]:
    """The smart-city domains in their framework order."""
    return list(await session.scalars(select(Domain).order_by(Domain.position, Domain.slug)))


async def get_domain(*, session: AsyncSession, slug: str) -> Domain | None:
    """The domain with `slug`, or None."""
    return await session.scalar(select(Domain).where(Domain.slug == slug))
