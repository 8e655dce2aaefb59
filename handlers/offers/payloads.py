"""The buttons of offers: the steps of writing one, depa's review, and a firm closing its own.

The flow's buttons act on the draft being written now; pressed once the draft is gone (sent,
cancelled, expired), they say so and change nothing.
"""

from __future__ import annotations

from enum import StrEnum

from bot.core.payloads import Payload
from db.enums import OfferKind


class Act(StrEnum):
    """A flow button that moves the draft on."""

    DOMAINS_DONE = "dom"
    ALL_CITIES = "all"
    CHOOSE_CITIES = "pick"
    CITIES_DONE = "cities"
    MORE_CITIES = "more"
    KEEP = "keep"  # keep the title, description or link the draft has (after Edit)
    SKIP_LINK = "skip"
    CONFIRM = "ok"
    EDIT = "edit"
    CANCEL = "cancel"


class FlowPressed(Payload, prefix="off:do"):
    """A step button of the offer being written (`off:do:dom`)."""

    act: Act


class DomainToggled(Payload, prefix="off:dom"):
    """Add or remove a domain of the draft (`off:dom:3`)."""

    domain_id: int


class KindPicked(Payload, prefix="off:kind"):
    """What the offer is (`off:kind:pilot`)."""

    kind: OfferKind


class CityToggled(Payload, prefix="off:city"):
    """Add or remove a city the draft names (`off:city:8`)."""

    organisation_id: int


class Reviewed(Payload, prefix="off:rev"):
    """depa approves (1) or rejects (0) a pending offer (`off:rev:12:1`); rejecting asks why."""

    offer_id: int
    approve: bool


class CloseOffer(Payload, prefix="off:close"):
    """A firm closes its own offer (`off:close:12`)."""

    offer_id: int
