"""An offer as a card: the same card in browsing, in the notice of a newly published offer,
and in a firm's own list; written with a translator so notices can write it per recipient."""

from __future__ import annotations

from bot.core.replies import Button, Card
from bot.core.texts import Translator, shorten
from db.models import Domain, Organisation
from db.repositories.offers import OfferInfo
from handlers.partners.payloads import Interested

DESCRIPTION_CHARS = 160  # a card's subtitle; LINE's bubble shows about this much comfortably


def local_name(t: Translator, item: Organisation | Domain) -> str:
    """An organisation's or domain's name in the translator's language."""
    return str(getattr(item, f"name_{t.language.value}"))


def offer_line(t: Translator, info: OfferInfo) -> str:
    """ "Siam Urban Data · Technology · Governance, People": who, what kind, which domains."""
    domains = ", ".join(local_name(t, domain) for domain in info.domains)
    return t(
        "partners.card.line",
        firm=local_name(t, info.firm),
        kind=t(f"partners.kinds.{info.kind.value}"),
        domains=domains,
    )


def offer_card(t: Translator, info: OfferInfo, *, interest_button: bool = True) -> Card:
    """The offer's title, its firm, kind and domains, the start of its description; buttons:
    Interested (for cities) and the firm's link, if it gave one."""
    subtitle = f"{offer_line(t, info)}\n{shorten(info.offer.description, DESCRIPTION_CHARS)}"
    buttons: list[Button] = []
    if interest_button:
        buttons.append(
            Button(label=t("partners.card.interested"), payload=Interested(info.id).pack())
        )
    if info.offer.url:
        buttons.append(Button(label=t("partners.card.details"), url=info.offer.url))
    return Card(
        title=shorten(info.offer.title, 80),
        subtitle=subtitle,
        link=info.offer.url,
        buttons=tuple(buttons),
    )
