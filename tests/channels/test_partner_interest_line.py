"""Issue 14 on the real LINE SDK: `/partners energy` comes back as a Flex carousel of offer cards,
and the Interested postback from one stores the city's interest and pushes the firm's notice."""

from __future__ import annotations

from sqlalchemy import select

from db.enums import Channel, InterestStatus, OfferStatus, OrganisationKind, Role
from db.models import Organisation, PartnershipInterest
from tests.channels.conftest import member_on
from tests.channels.line.conftest import LineHarness
from tests.factories import Account
from tests.fakes.line_events import user_id
from tests.handlers.partners_kit import offer_in


async def test_interested_postback_from_a_flex_card_on_line(line_bot: LineHarness) -> None:
    """A tap on the card's Interested: stored once, the city told, the firm's partner pushed."""
    city_user, firm_user = user_id(), user_id()
    async with line_bot.app.sessions() as session, session.begin():
        session.add(
            Organisation(
                slug="solar-siam",
                kind=OrganisationKind.PARTNER,
                name_th="โซลาร์สยาม",
                name_en="Solar Siam",
            )
        )
        await session.flush()
        offer_id = await offer_in(session, "Rooftop solar", ["energy"], status=OfferStatus.OPEN)
    member = await member_on(line_bot, "krabi", Account(Channel.LINE, city_user), Role.EXECUTIVE)
    await member_on(line_bot, "solar-siam", Account(Channel.LINE, firm_user), Role.PARTNER)

    sent = await line_bot.says(city_user, "/partners energy")
    (carousel,) = [m for r in sent for m in r.json["messages"] if m["type"] == "flex"]
    assert carousel["contents"]["type"] == "carousel"
    assert "Rooftop solar" in str(carousel)

    sent = await line_bot.taps(city_user, "สนใจ")

    async with line_bot.app.sessions() as session:
        (interest,) = list(await session.scalars(select(PartnershipInterest)))
    assert (interest.offer_id, interest.member_id) == (offer_id, member)
    assert interest.status is InterestStatus.EXPRESSED
    texts = {
        (request.json.get("to"), message.get("text") or message.get("altText"))
        for request in sent
        for message in request.json["messages"]
    }
    assert any(text and "เมืองของคุณสนใจ “Rooftop solar”" in text for _, text in texts), texts
    pushed = [text for to, text in texts if to == firm_user]
    assert pushed and pushed[0].startswith("🤝 จังหวัดกระบี่ สนใจข้อเสนอ “Rooftop solar” ของคุณ")
