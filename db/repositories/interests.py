"""Browsing open offers and cities' interest in them: pages of offer ids newest first, what the
search indexes, offers seen, interests and the consents of their introductions.

Every query here is one statement whatever the number of offers, so a page costs the same with
ten offers as with a thousand (bench/partners.py measures it).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.enums import InterestStatus, OfferStatus
from db.models import (
    Domain,
    IntroductionConsent,
    OfferDomain,
    OfferView,
    Organisation,
    PartnershipInterest,
    PartnershipOffer,
)
from db.repositories.dialect import conflict_insert

# Interests whose introduction has not ended: waiting for depa, or for both sides' answers.
UNDECIDED = (InterestStatus.EXPRESSED, InterestStatus.INTRODUCING)


async def open_offer_ids(
    *, session: AsyncSession, domain_id: int | None, offset: int, limit: int
) -> list[int]:
    """Up to `limit` open offers (of the domain, if given) from `offset`, newest first."""
    query = select(PartnershipOffer.id).where(PartnershipOffer.status == OfferStatus.OPEN)
    if domain_id is not None:
        query = query.where(
            PartnershipOffer.id.in_(
                select(OfferDomain.offer_id).where(OfferDomain.domain_id == domain_id)
            )
        )
    query = query.order_by(
        PartnershipOffer.published_at.desc(), PartnershipOffer.id.desc()
    ).offset(offset)
    return list(await session.scalars(query.limit(limit)))


async def offers_version(*, session: AsyncSession) -> str:
    """A token that changes whenever an offer is added, edited, published or closed."""
    row = (
        await session.execute(
            select(
                func.count(PartnershipOffer.id),
                func.max(PartnershipOffer.id),
                func.max(PartnershipOffer.updated_at),
            )
        )
    ).one()
    return f"{row[0]}:{row[1]}:{row[2]}"


@dataclass(frozen=True, slots=True)
class OfferText:
    """What a search looks at in one open offer: its words, its firm's and domains' names."""

    offer_id: int
    title: str
    description: str
    firm_th: str
    firm_en: str
    domains: tuple[Domain, ...]


async def open_offer_texts(*, session: AsyncSession) -> list[OfferText]:
    """Every open offer's searchable text; two queries."""
    rows = await session.execute(
        select(
            PartnershipOffer.id,
            PartnershipOffer.title,
            PartnershipOffer.description,
            Organisation.name_th,
            Organisation.name_en,
        )
        .join(Organisation, Organisation.id == PartnershipOffer.organisation_id)
        .where(PartnershipOffer.status == OfferStatus.OPEN)
    )
    offers = list(rows)
    domains: dict[int, list[Domain]] = {offer_id: [] for offer_id, *_ in offers}
    for offer_id, domain in await session.execute(
        select(OfferDomain.offer_id, Domain)
        .join(Domain, Domain.id == OfferDomain.domain_id)
        .join(PartnershipOffer, PartnershipOffer.id == OfferDomain.offer_id)
        .where(PartnershipOffer.status == OfferStatus.OPEN)
    ):
        domains.setdefault(offer_id, []).append(domain)
    return [
        OfferText(offer_id, title, description, firm_th, firm_en, tuple(domains[offer_id]))
        for offer_id, title, description, firm_th, firm_en in offers
    ]


async def record_views(
    *,
    session: AsyncSession,
    offer_ids: Collection[int],
    member_id: int,
    organisation_id: int,
    now: datetime,
) -> None:
    """The member saw these offers: one row per offer and member, the first time only."""
    if not offer_ids:
        return
    await session.execute(
        conflict_insert(session, OfferView)
        .values(
            [
                {
                    "offer_id": offer_id,
                    "member_id": member_id,
                    "organisation_id": organisation_id,
                    "seen_at": now,
                }
                for offer_id in dict.fromkeys(offer_ids)
            ]
        )
        .on_conflict_do_nothing(index_elements=["offer_id", "member_id"])
    )


async def find_interest(
    *, session: AsyncSession, offer_id: int, organisation_id: int
) -> PartnershipInterest | None:
    """The city's interest in the offer, if it said it is interested."""
    return await session.scalar(
        select(PartnershipInterest).where(
            PartnershipInterest.offer_id == offer_id,
            PartnershipInterest.organisation_id == organisation_id,
        )
    )


async def add_interest(
    *, session: AsyncSession, offer_id: int, organisation_id: int, member_id: int, now: datetime
) -> PartnershipInterest | None:
    """The city's new interest; None when it has one already (two presses at once included)."""
    interest_id = (
        await session.execute(
            conflict_insert(session, PartnershipInterest)
            .values(
                offer_id=offer_id,
                organisation_id=organisation_id,
                member_id=member_id,
                status=InterestStatus.EXPRESSED,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["offer_id", "organisation_id"])
            .returning(PartnershipInterest.id)
        )
    ).scalar_one_or_none()
    if interest_id is None:
        return None
    return await session.get_one(PartnershipInterest, interest_id)


async def lock_interest(*, session: AsyncSession, interest_id: int) -> PartnershipInterest | None:
    """The interest, locked for a decision on PostgreSQL (SQLite has one writer anyway)."""
    locks = session.get_bind().dialect.name == "postgresql"
    return await session.get(
        PartnershipInterest, interest_id, with_for_update=locks, populate_existing=True
    )


async def consents_of(
    *, session: AsyncSession, interest_id: int
) -> dict[str, IntroductionConsent]:
    """The answers given to an introduction, by side."""
    rows = await session.scalars(
        select(IntroductionConsent).where(IntroductionConsent.interest_id == interest_id)
    )
    return {row.side.value: row for row in rows}


@dataclass(frozen=True, slots=True)
class InterestRow:
    """An interest with its offer, the city and the firm."""

    interest: PartnershipInterest
    offer: PartnershipOffer
    city: Organisation
    firm: Organisation


async def interest_rows(
    *,
    session: AsyncSession,
    offer_id: int | None = None,
    interest_id: int | None = None,
    statuses: Collection[InterestStatus] = (),
    limit: int | None = None,
) -> list[InterestRow]:
    """Interests (of one offer, one by id, or in `statuses`), oldest first; one query."""
    city = aliased(Organisation, name="city")
    query = (
        select(PartnershipInterest, PartnershipOffer, Organisation, city)
        .join(PartnershipOffer, PartnershipOffer.id == PartnershipInterest.offer_id)
        .join(Organisation, Organisation.id == PartnershipOffer.organisation_id)
        .join(city, city.id == PartnershipInterest.organisation_id)
        .order_by(PartnershipInterest.created_at, PartnershipInterest.id)
    )
    if offer_id is not None:
        query = query.where(PartnershipInterest.offer_id == offer_id)
    if interest_id is not None:
        query = query.where(PartnershipInterest.id == interest_id)
    if statuses:
        query = query.where(PartnershipInterest.status.in_(list(statuses)))
    if limit is not None:
        query = query.limit(limit)
    return [
        InterestRow(interest, offer, town, firm)
        for interest, offer, firm, town in (await session.execute(query))
    ]


async def forget_contacts(*, session: AsyncSession, member_id: int) -> None:
    """Blank the contact details a member shared in introductions (PDPA erasure)."""
    await session.execute(
        update(IntroductionConsent)
        .where(IntroductionConsent.member_id == member_id)
        .values(contact=None)
    )
