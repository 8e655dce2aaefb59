"""Partnership offers as people see them: with their firm and domains, in a fixed number of
queries however many offers there are (browsing, the firm's list, depa's review, the CLI)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import OfferKind, OfferStatus
from db.models import Domain, OfferDomain, Organisation, PartnershipOffer


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
