"""The notices offers send: depa asked to review a new one, the firm told how the review went,
matching cities given the card. Written per recipient, in their language; `service` queues them.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.replies import Button, Card, Cards, Reply, Text
from bot.core.texts import Translator
from bot.delivery.notices import Compose
from db.repositories.offers import OfferInfo
from handlers.offers.payloads import Reviewed
from handlers.partners.cards import local_name, offer_card


def review_card(t: Translator, info: OfferInfo) -> Card:
    """The offer's card as depa reviews it: its number first, Approve and Reject buttons."""
    card = offer_card(t, info, interest_button=False)
    buttons = (
        Button(label=t("offers.approve"), payload=Reviewed(info.id, True).pack()),
        Button(label=t("offers.reject"), payload=Reviewed(info.id, False).pack()),
    )
    return replace(card, title=f"#{info.id} {card.title}", buttons=(*buttons, *card.buttons))


class ChatNotices:
    """`OfferNotices` for chat: the offer card, short texts."""

    def to_reviewers(self, info: OfferInfo) -> Compose:
        """ "New offer #12 from Siam Urban Data": the card with Approve and Reject."""

        def compose(t: Translator) -> list[Reply]:
            text = t("offers.review_notice", id=info.id, firm=local_name(t, info.firm))
            return [Cards(text=text, cards=(review_card(t, info),))]

        return compose

    def approved(self, info: OfferInfo) -> Compose:
        """The firm's offer is published."""
        return lambda t: [Text(text=t("offers.firm_approved", id=info.id, title=info.offer.title))]

    def rejected(self, info: OfferInfo, reason: str) -> Compose:
        """The firm's offer was turned down, with depa's reason."""

        def compose(t: Translator) -> list[Reply]:
            text = t("offers.firm_rejected", id=info.id, title=info.offer.title, reason=reason)
            return [Text(text=text)]

        return compose

    def published(self, info: OfferInfo) -> Compose:
        """The card, with its Interested button, for a matching city's members."""
        return lambda t: [Cards(text=t("offers.published"), cards=(offer_card(t, info),))]
