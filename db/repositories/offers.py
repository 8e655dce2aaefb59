"""Partnership offers as people see them: with their firm and domains, in a fixed number of
queries however many offers there are (browsing, the firm's list, depa's review, the CLI);
and what writing, reviewing and publishing offers reads and writes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import InterestStatus, OfferKind, OfferStatus, OrganisationKind
from db.models import (
    Domain,
    OfferDomain,
    OfferTarget,
    OfferView,
    Organisation,
    OrganisationDomain,
    PartnershipInterest,
    PartnershipOffer,
)


@dataclass(frozen=True, slots=True)
class OfferInfo:
    """An offer with its firm and its domains (in the domains' display order)."""

    offer: PartnershipOffer
    firm: Organisation
    domains: tuple[Domain, ...]

    @property
    def id(self) -> int:
        """The offer's id."""
        return self.offer.id

    @property
    def kind(self) -> OfferKind:
        """What is offered."""
        return self.offer.kind

    @property
    def status(self) -> OfferStatus:
        """Where the offer stands."""
        return self.offer.status

    @property
    def published_at(self) -> datetime | None:
        """When depa published it."""
        return self.offer.published_at


async def offer_infos(*, session: AsyncSession, offer_ids: Collection[int]) -> list[OfferInfo]:
    """The offers of `offer_ids` with firm and domains, in the order given; two queries."""
    if not offer_ids:
        return []
    ids = list(dict.fromkeys(offer_ids))
    rows = await session.execute(
        select(PartnershipOffer, Organisation)
        .join(Organisation, Organisation.id == PartnershipOffer.organisation_id)
        .where(PartnershipOffer.id.in_(ids))
    )
    found = {offer.id: (offer, firm) for offer, firm in rows}
    domains: dict[int, list[Domain]] = defaultdict(list)
    for offer_id, domain in await session.execute(
        select(OfferDomain.offer_id, Domain)
        .join(Domain, Domain.id == OfferDomain.domain_id)
        .where(OfferDomain.offer_id.in_(ids))
        .order_by(Domain.position, Domain.id)
    ):
        domains[offer_id].append(domain)
    return [
        OfferInfo(offer=found[i][0], firm=found[i][1], domains=tuple(domains[i]))
        for i in ids
        if i in found
    ]


# --- writing and reviewing offers (handlers/offers) ----------------------------------------------


async def add_offer(
    *,
    session: AsyncSession,
    offer: PartnershipOffer,
    domain_ids: Collection[int],
    target_ids: Collection[int],
) -> PartnershipOffer:
    """Store a new offer with its domains and the cities it names; flushed, so it has an id."""
    session.add(offer)
    await session.flush()
    session.add_all(OfferDomain(offer_id=offer.id, domain_id=i) for i in domain_ids)
    session.add_all(OfferTarget(offer_id=offer.id, organisation_id=i) for i in target_ids)
    await session.flush()
    return offer


async def get_offer(
    *, session: AsyncSession, offer_id: int, for_update: bool = False
) -> PartnershipOffer | None:
    """The offer `offer_id`, locked for a review or a closing where the database locks rows."""
    locks = for_update and session.get_bind().dialect.name == "postgresql"
    return await session.get(PartnershipOffer, offer_id, with_for_update=locks)


async def offer_ids(
    *,
    session: AsyncSession,
    status: OfferStatus | None = None,
    organisation_id: int | None = None,
    newest_first: bool = True,
) -> list[int]:
    """The ids of the offers in `status` (any when None), of one firm (any when None)."""
    query = select(PartnershipOffer.id)
    if status is not None:
        query = query.where(PartnershipOffer.status == status)
    if organisation_id is not None:
        query = query.where(PartnershipOffer.organisation_id == organisation_id)
    order = PartnershipOffer.id.desc() if newest_first else PartnershipOffer.id
    return list(await session.scalars(query.order_by(order)))


@dataclass(frozen=True, slots=True)
class OfferCounts:
    """How an offer has done: members who saw it, cities interested, introductions made."""

    views: int = 0
    interests: int = 0
    introduced: int = 0


async def offer_counts(
    *, session: AsyncSession, offer_ids: Collection[int]
) -> dict[int, OfferCounts]:
    """The counts of each offer of `offer_ids` (absent ones have none); two queries."""
    if not offer_ids:
        return {}
    ids = list(offer_ids)
    views: dict[int, int] = {
        offer_id: int(count)
        for offer_id, count in await session.execute(
            select(OfferView.offer_id, func.count(func.distinct(OfferView.member_id)))
            .where(OfferView.offer_id.in_(ids))
            .group_by(OfferView.offer_id)
        )
    }
    introduced = case((PartnershipInterest.status == InterestStatus.INTRODUCED, 1), else_=0)
    interests = {
        offer_id: (int(count), int(done or 0))
        for offer_id, count, done in await session.execute(
            select(PartnershipInterest.offer_id, func.count(), func.sum(introduced))
            .where(PartnershipInterest.offer_id.in_(ids))
            .group_by(PartnershipInterest.offer_id)
        )
    }
    return {
        i: OfferCounts(views.get(i, 0), *interests.get(i, (0, 0)))
        for i in ids
        if i in views or i in interests
    }


async def matching_cities(*, session: AsyncSession, offer_id: int) -> list[Organisation]:
    """The cities an offer goes to: those working in one of its domains, and those it names."""
    in_domains = (
        select(OrganisationDomain.organisation_id)
        .join(OfferDomain, OfferDomain.domain_id == OrganisationDomain.domain_id)
        .where(OfferDomain.offer_id == offer_id)
    )
    named = select(OfferTarget.organisation_id).where(OfferTarget.offer_id == offer_id)
    return list(
        await session.scalars(
            select(Organisation)
            .where(
                Organisation.kind == OrganisationKind.CITY,
                Organisation.id.in_(in_domains) | Organisation.id.in_(named),
            )
            .order_by(Organisation.id)
        )
    )


async def offer_targets(*, session: AsyncSession, offer_id: int) -> list[Organisation]:
    """The cities an offer names, by id."""
    return list(
        await session.scalars(
            select(Organisation)
            .join(OfferTarget, OfferTarget.organisation_id == Organisation.id)
            .where(OfferTarget.offer_id == offer_id)
            .order_by(Organisation.id)
        )
    )
