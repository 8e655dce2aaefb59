"""The notices of interests and introductions: the firm and depa told of an interest, both sides
asked to share a contact, the contact cards once both agreed, a decline. Written per recipient,
in their language; `service` queues them. Only `introduced` carries anyone's contact.
"""

from __future__ import annotations

from bot.core.replies import Card, Cards, Choice, Choices, Reply, Text
from bot.core.texts import Translator, shorten
from bot.delivery.notices import Compose
from db.enums import IntroSide
from db.models import IntroductionConsent
from db.repositories.interests import InterestRow
from handlers.partners.cards import local_name
from handlers.partners.payloads import IntroAnswer, Introduce
from handlers.partners.service import Answer, InterestMade

TITLE_CHARS = 80


def about(t: Translator, row: InterestRow) -> dict[str, str]:
    """The placeholders naming an interest: its city, offer and firm."""
    return {
        "city": local_name(t, row.city),
        "offer": shorten(row.offer.title, TITLE_CHARS),
        "firm": local_name(t, row.firm),
    }


def contact_card(t: Translator, consent: IntroductionConsent) -> Cards:
    """One side's shared contact as a card: name, organisation, phone, e-mail or handle."""
    contact = consent.contact or {}
    card = Card(
        title=str(contact.get("name") or contact.get("organisation") or "-"),
        subtitle=f"{contact.get('organisation', '')}\n{contact.get('contact', '')}".strip(),
    )
    return Cards(text=t("partners.intro.card"), cards=(card,))


class ChatNotices:
    """`PartnerNotices` for chat: short texts with the buttons that answer them."""

    def interest_to_firm(self, made: InterestMade) -> Compose:
        """ "Khon Kaen is interested in your offer …": no name, no contact."""

        def compose(t: Translator) -> list[Reply]:
            text = t(
                "partners.notice.firm",
                city=local_name(t, made.city),
                offer=shorten(made.offer.offer.title, TITLE_CHARS),
            )
            return [Text(text=text)]

        return compose

    def interest_to_depa(self, made: InterestMade) -> Compose:
        """The interest for depa, with Introduce."""

        def compose(t: Translator) -> list[Reply]:
            text = t(
                "partners.notice.depa",
                city=local_name(t, made.city),
                offer=shorten(made.offer.offer.title, TITLE_CHARS),
                firm=local_name(t, made.offer.firm),
            )
            button = Choice(
                label=t("partners.intro.button"), payload=Introduce(made.interest_id).pack()
            )
            return [Choices(text=text, options=(button,))]

        return compose

    def intro_requested(self, row: InterestRow) -> Compose:
        """The city asked depa to introduce it."""
        return lambda t: [Text(text=t("partners.notice.requested", **about(t, row)))]

    def ask_consent(self, row: InterestRow, side: IntroSide) -> Compose:
        """Share my contact / Decline, for one side."""

        def compose(t: Translator) -> list[Reply]:
            interest_id = row.interest.id
            options = (
                Choice(
                    label=t("partners.intro.share"),
                    payload=IntroAnswer(interest_id, True).pack(),
                ),
                Choice(
                    label=t("partners.intro.decline"),
                    payload=IntroAnswer(interest_id, False).pack(),
                ),
            )
            text = t(f"partners.intro.ask_{side.value}", **about(t, row))
            return [Choices(text=text, options=options)]

        return compose

    def declined(self, answer: Answer) -> Compose:
        """It will not go ahead; nothing was shared."""
        return lambda t: [Text(text=t("partners.intro.declined_notice", **about(t, answer.row)))]

    def introduced(self, answer: Answer, contact: IntroductionConsent) -> Compose:
        """The other side agreed too: here is their card."""

        def compose(t: Translator) -> list[Reply]:
            text = t("partners.intro.introduced", **about(t, answer.row))
            return [Text(text=text), contact_card(t, contact)]

        return compose

    def introduced_to_depa(self, answer: Answer) -> Compose:
        """Both agreed and have each other's contact."""
        return lambda t: [Text(text=t("partners.notice.introduced", **about(t, answer.row)))]
