"""The partnership buttons: Interested on offer cards (wherever a card is shown: browsing, or the
notice of a new offer), browsing pages, and the introduction's request and answers."""

from __future__ import annotations

from typing import Annotated

from bot.core.payloads import MaxBytes, Payload


class Interested(Payload, prefix="ptn:int"):
    """A city says it is interested in an offer (`ptn:int:12`)."""

    offer_id: int


class OffersPage(Payload, prefix="ptn:d"):
    """A page of open offers in a domain, or in all (`ptn:d:energy:1`, `ptn:d:all:0`)."""

    slug: Annotated[str, MaxBytes(24)]
    page: int = 0


class Introduce(Payload, prefix="ptn:intro"):
    """depa, or the interested city, asks for an introduction (`ptn:intro:7`)."""

    interest_id: int


class IntroAnswer(Payload, prefix="ptn:ans"):
    """One side shares its contact (1) or declines (0) an introduction (`ptn:ans:7:1`)."""

    interest_id: int
    share: bool
