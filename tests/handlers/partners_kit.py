"""What the partnership tests share: a firm, open offers written straight to the database (the
offers helper's review publishes them in production), and lookups of interests and answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import OfferKind, OfferStatus, OrganisationKind
from db.models import (
    AuditLog,
    Domain,
    IntroductionConsent,
    OfferDomain,
    OfferView,
    Organisation,
    OutboundMessage,
    PartnershipInterest,
    PartnershipOffer,
)
from tests.conftest import START, Database

FIRM = "solar-siam"


async def add_firm(db: Database, slug: str = FIRM, name_en: str = "Solar Siam") -> None:
    """A partner firm (the content has none)."""
    async with db.sessions() as session, session.begin():
        session.add(
            Organisation(
                slug=slug, kind=OrganisationKind.PARTNER, name_th="โซลาร์สยาม", name_en=name_en
            )
        )


async def offer_in(
    session: AsyncSession,
    title: str,
    domains: Sequence[str],
    *,
    description: str = "",
    firm: str = FIRM,
    published: datetime = START,
    status: OfferStatus = OfferStatus.OPEN,
    created_by: int | None = None,
) -> int:
    """An offer of `firm` in `domains`, published at `published`; its id."""
    firm_id = await session.scalar(select(Organisation.id).where(Organisation.slug == firm))
    assert firm_id is not None, firm
    offer = PartnershipOffer(
        organisation_id=firm_id,
        created_by_member_id=created_by,
        title=title,
        description=description or title,
        kind=OfferKind.TECHNOLOGY,
        status=status,
        published_at=published if status is not OfferStatus.PENDING else None,
    )
    session.add(offer)
    await session.flush()
    for slug in domains:
        domain_id = await session.scalar(select(Domain.id).where(Domain.slug == slug))
        assert domain_id is not None, slug
        session.add(OfferDomain(offer_id=offer.id, domain_id=domain_id))
    await session.flush()
    return offer.id


async def add_offer(
    db: Database,
    title: str,
    domains: Sequence[str],
    *,
    description: str = "",
    published: datetime = START,
    status: OfferStatus = OfferStatus.OPEN,
    created_by: int | None = None,
) -> int:
    """`offer_in` of the test firm, committed."""
    async with db.sessions() as session, session.begin():
        return await offer_in(
            session,
            title,
            domains,
            description=description,
            published=published,
            status=status,
            created_by=created_by,
        )


async def add_offers(db: Database, count: int, domain: str, *, prefix: str = "Offer") -> list[int]:
    """`count` open offers in `domain`, one minute apart (the last is the newest)."""
    async with db.sessions() as session, session.begin():
        return [
            await offer_in(
                session, f"{prefix} {n}", [domain], published=START + timedelta(minutes=n)
            )
            for n in range(1, count + 1)
        ]


async def rows(db: Database, model: type[object]) -> list[object]:
    """Every row of `model`."""
    async with db.sessions() as session:
        return list(await session.scalars(select(model)))


async def interests(db: Database) -> list[PartnershipInterest]:
    """Every interest, oldest first."""
    async with db.sessions() as session:
        query = select(PartnershipInterest).order_by(PartnershipInterest.id)
        return list(await session.scalars(query))


async def consents(db: Database) -> list[IntroductionConsent]:
    """Every introduction answer, oldest first."""
    async with db.sessions() as session:
        query = select(IntroductionConsent).order_by(IntroductionConsent.id)
        return list(await session.scalars(query))


async def views(db: Database) -> list[tuple[int, int]]:
    """(offer, member) of every view recorded."""
    async with db.sessions() as session:
        found = await session.execute(select(OfferView.offer_id, OfferView.member_id))
        return sorted((offer_id, member_id) for offer_id, member_id in found)


async def audited(db: Database, action: str) -> list[AuditLog]:
    """The audit entries of `action`."""
    async with db.sessions() as session:
        query = select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
        return list(await session.scalars(query))


async def outbox_json(db: Database) -> str:
    """Every queued message's payload as text (to prove what has not been sent)."""
    async with db.sessions() as session:
        payloads = await session.scalars(select(OutboundMessage.payload))
        return "\n".join(str(payload) for payload in payloads)
