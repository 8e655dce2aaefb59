"""What the offer tests share: a partner firm, offers stored straight, queued notices read back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.replies import Card, Cards, Choices, Reply, Text, reply_from_data
from db.enums import InterestStatus, OfferKind, OfferStatus, OrganisationKind
from db.models import (
    AuditLog,
    Domain,
    OfferDomain,
    OfferTarget,
    Organisation,
    OutboundMessage,
    PartnershipInterest,
    PartnershipOffer,
)
from tests.conftest import START, Database

FIRM = "siam-urban-data"
OTHER_FIRM = "chao-phraya-grid"


async def add_firm(session: AsyncSession, slug: str = FIRM) -> Organisation:
    """A partner firm, written straight to the database (content/ has none)."""
    name = slug.replace("-", " ").title()
    firm = Organisation(slug=slug, kind=OrganisationKind.PARTNER, name_th=name, name_en=name)
    session.add(firm)
    await session.flush()
    return firm


async def add_offer(
    session: AsyncSession,
    firm: Organisation,
    title: str,
    *,
    status: OfferStatus = OfferStatus.PENDING,
    domains: Sequence[str] = ("energy",),
    targets: Sequence[str] = (),
    at: datetime = START,
) -> PartnershipOffer:
    """An offer of `firm` in `domains` (naming `targets`), stored as given."""
    offer = PartnershipOffer(
        organisation_id=firm.id,
        title=title,
        description=f"{title}: what we offer.",
        kind=OfferKind.PILOT,
        targets_all=not targets,
        status=status,
        published_at=at if status is OfferStatus.OPEN else None,
        created_at=at,
    )
    session.add(offer)
    await session.flush()
    for slug in domains:
        domain = await session.scalar(select(Domain).where(Domain.slug == slug))
        assert domain is not None, slug
        session.add(OfferDomain(offer_id=offer.id, domain_id=domain.id))
    for slug in targets:
        city = await session.scalar(select(Organisation).where(Organisation.slug == slug))
        assert city is not None, slug
        session.add(OfferTarget(offer_id=offer.id, organisation_id=city.id))
    await session.flush()
    return offer


async def add_interest(
    session: AsyncSession, offer: PartnershipOffer, city: str, status: InterestStatus
) -> None:
    """A city's interest in an offer."""
    found = await session.scalar(select(Organisation.id).where(Organisation.slug == city))
    assert found is not None, city
    session.add(PartnershipInterest(offer_id=offer.id, organisation_id=found, status=status))
    await session.flush()


async def offers(db: Database) -> list[PartnershipOffer]:
    """Every offer as stored now, oldest first."""
    async with db.sessions() as session:
        return list(await session.scalars(select(PartnershipOffer).order_by(PartnershipOffer.id)))


async def audited(db: Database, action: str) -> list[AuditLog]:
    """The audit entries of `action`, oldest first."""
    async with db.sessions() as session:
        query = select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
        return list(await session.scalars(query))


def replies_of(row: OutboundMessage) -> list[Reply]:
    """The replies a queued message carries."""
    return [reply_from_data(data) for data in row.payload["replies"]]


def cards_of(replies: Sequence[Reply]) -> list[Card]:
    """Every card the replies show."""
    return [card for reply in replies if isinstance(reply, Cards) for card in reply.cards]


def said_in(row: OutboundMessage) -> str:
    """Every word of a queued message: texts, card titles, subtitles and button labels."""
    parts: list[str] = []
    for reply in replies_of(row):
        if isinstance(reply, Text | Choices | Cards):
            parts.append(reply.text)
        if isinstance(reply, Cards):
            for card in reply.cards:
                parts += [card.title, card.subtitle, *(b.label for b in card.buttons)]
    return "\n".join(parts)
