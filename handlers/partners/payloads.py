"""The buttons on offer cards, wherever a card is shown: browsing, or the notice of a new offer."""

from __future__ import annotations

from bot.core.payloads import Payload


class Interested(Payload, prefix="ptn:int"):
    """A city says it is interested in an offer (`ptn:int:12`)."""

    offer_id: int
