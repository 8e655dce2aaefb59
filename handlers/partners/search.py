"""The search over open offers: an in-memory index of their titles, descriptions, firms and
domains in Thai and English, rebuilt only when an offer changes (the materials' pattern)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.search import CachedIndex, Field, SearchIndex
from db.repositories import interests
from db.repositories.interests import OfferText

_cache: CachedIndex[int] = CachedIndex()


def offer_fields(text: OfferText) -> list[Field]:
    """What a search looks at: the title most, the domains and firm, then the description."""
    fields = [Field(text.title, 3.0), Field(text.description, 1.0)]
    fields += [Field(text.firm_th, 1.5), Field(text.firm_en, 1.5)]
    for domain in text.domains:
        fields += [Field(domain.name_th, 1.5), Field(domain.name_en, 1.5), Field(domain.slug, 1.5)]
    return fields


async def offer_index(*, session: AsyncSession) -> SearchIndex[int]:
    """The index over every open offer, as of the offers' current version."""

    async def documents() -> Iterable[tuple[int, Sequence[Field]]]:
        texts = await interests.open_offer_texts(session=session)
        return [(text.offer_id, offer_fields(text)) for text in texts]

    return await _cache.get(await interests.offers_version(session=session), documents)
