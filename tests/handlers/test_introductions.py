"""Issue 14: depa, or the interested city, asks for an introduction; each side shares a contact
or declines; only when both agreed does each receive the other's card (PDPA)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.clock import FrozenClock
from bot.core.dispatcher import Dispatcher
from bot.core.replies import Cards, Choices, reply_from_data
from bot.core.texts import Texts
from db.enums import Channel, InterestStatus, IntroSide, Role
from db.models import PartnershipInterest
from handlers.partners.payloads import Interested, IntroAnswer, Introduce
from tests.chatdriver import ChatDriver
from tests.conftest import START, Database
from tests.handlers.partners_kit import (
    FIRM,
    add_firm,
    add_offer,
    audited,
    consents,
    interests,
    outbox_json,
)
from tests.handlers.progress_kit import (
    Register,
    identity_of,
    progress_dispatcher,
    pushed,
    step_of,
    words,
)

PHONE_TYPED = "๐๘๑-๒๓๔-๕๖๗๘"  # Thai digits, with dashes
PHONE = "0812345678"
EMAIL = "somchai@khonkaen.go.th"


@pytest.fixture
def dispatcher(
    seeded_database: Database, texts: Texts, clock: FrozenClock, tmp_path: Path
) -> Dispatcher:
    """The real dispatcher, pushing on LINE and Telegram."""
    return progress_dispatcher(seeded_database, texts, clock, tmp_path / "media")


class Sides:
    """The people of an introduction: depa's coordinator, the offer's author, the city."""

    coordinator: ChatDriver
    partner: ChatDriver
    executive: ChatDriver
    interest_id: int


async def interested(register: Register, db: Database) -> Sides:
    """A firm's offer (written by its partner) and Khon Kaen's interest in it, said in chat."""
    sides = Sides()
    await add_firm(db)
    sides.coordinator = await register("depa", Role.COORDINATOR, channel=Channel.LINE)
    sides.partner = await register(
        FIRM, Role.PARTNER, channel=Channel.TELEGRAM, language="en", display_name="Anan"
    )
    sides.executive = await register(
        "khon-kaen", Role.EXECUTIVE, channel=Channel.LINE, display_name="Somchai"
    )
    author = (await identity_of(db, sides.partner)).member_id
    offer_id = await add_offer(db, "Rooftop solar", ["energy"], created_by=author)
    await sides.executive.press(Interested(offer_id).pack())
    (interest,) = await interests(db)
    sides.interest_id = interest.id
    return sides


def question(row_payload: dict[str, list[dict[str, object]]]) -> Choices:
    """The one question a notice asks."""
    (reply,) = [reply_from_data(data) for data in row_payload["replies"]]
    assert isinstance(reply, Choices)
    return reply


async def test_both_consent_and_each_receives_the_others_card(
    register: Register, seeded_database: Database
) -> None:
    """/introduce ID → both asked → firm shares a phone, city an e-mail → cards, introduced."""
    sides = await interested(register, seeded_database)
    coordinator, partner, executive = sides.coordinator, sides.partner, sides.executive
    interest_id = sides.interest_id

    await coordinator.send("/introduce")
    assert f"#{interest_id} · จังหวัดขอนแก่น → “Rooftop solar” (โซลาร์สยาม) · สนใจ" in (
        coordinator.text
    )
    await coordinator.send(f"แนะนำให้รู้จัก {interest_id}")
    assert coordinator.text.startswith("📨 ขอให้ทั้งสองฝ่ายยินยอมให้ข้อมูลติดต่อแล้ว")
    (interest,) = await interests(seeded_database)
    assert interest.status is InterestStatus.INTRODUCING and interest.intro_requested_at == START
    coordinator_id = (await identity_of(seeded_database, coordinator)).member_id
    assert interest.intro_requested_by_member_id == coordinator_id
    to_city, to_firm = await pushed(seeded_database, f"partners.intro:{interest_id}:")
    assert executive.user_id in to_city.recipients and partner.user_id in to_firm.recipients
    asked = question(to_firm.payload)
    assert asked.text.startswith("🤝 Khon Kaen is interested in your offer “Rooftop solar”.")
    assert [option.label for option in asked.options] == ["Share my contact", "Decline"]
    assert [o.label for o in question(to_city.payload).options] == ["ให้ข้อมูลติดต่อ", "ไม่ยินยอม"]

    await partner.press(asked.options[0].payload)
    assert partner.text.startswith("Please type the phone number or e-mail address to share")
    await partner.send(PHONE_TYPED)
    assert partner.text.startswith("Thank you. Your contact details will be shared once")
    (firm_side,) = await consents(seeded_database)
    assert firm_side.side is IntroSide.FIRM and firm_side.agreed
    assert firm_side.contact == {"name": "Anan", "organisation": "Solar Siam", "contact": PHONE}
    assert PHONE not in await outbox_json(seeded_database)  # nothing personal before both agree

    await executive.press(question(to_city.payload).options[0].payload)
    await executive.send(EMAIL)
    assert executive.text.startswith("🎉 แนะนำให้รู้จักกันแล้ว: จังหวัดขอนแก่น และ โซลาร์สยาม")
    (card,) = [c for r in executive.last if isinstance(r, Cards) for c in r.cards]
    assert (card.title, card.subtitle) == ("Anan", f"Solar Siam\n{PHONE}")
    (interest,) = await interests(seeded_database)
    assert interest.status is InterestStatus.INTRODUCED and interest.introduced_at == START
    (to_partner,) = await pushed(seeded_database, f"partners.intro:{interest_id}:introduced:m")
    assert partner.user_id in to_partner.recipients
    assert words(to_partner).startswith("🎉 You are introduced: Khon Kaen and Solar Siam")
    assert EMAIL in str(to_partner.payload) and "จังหวัดขอนแก่น" in str(to_partner.payload)
    (to_depa,) = await pushed(seeded_database, f"partners.intro:{interest_id}:introduced:depa")
    assert EMAIL not in str(to_depa.payload) and PHONE not in str(to_depa.payload)
    (entry,) = await audited(seeded_database, "partners.introduced")
    assert entry.target == f"interest:{interest_id}"

    await partner.press(IntroAnswer(interest_id, True).pack())  # once over, nothing more
    assert partner.text == "This introduction has ended; nothing more can be answered."
    await coordinator.send(f"/introduce {interest_id}")
    assert coordinator.text == "ทั้งสองฝ่ายได้รับการแนะนำให้รู้จักกันแล้ว"


async def test_one_decline_ends_it_politely_and_nothing_is_shared(
    register: Register, seeded_database: Database
) -> None:
    """The city asks by its button; it shares, the firm declines: the city and depa are told."""
    sides = await interested(register, seeded_database)
    partner, executive, interest_id = sides.partner, sides.executive, sides.interest_id

    await executive.choose("ขอให้ depa แนะนำให้รู้จัก")
    assert executive.text.startswith("📨 ขอให้ทั้งสองฝ่ายยินยอม")
    (told,) = await pushed(seeded_database, f"partners.intro:{interest_id}:depa")
    assert sides.coordinator.user_id in told.recipients
    assert words(told).startswith("🤝 จังหวัดขอนแก่น ขอให้แนะนำให้รู้จักกับ โซลาร์สยาม")
    await executive.press(IntroAnswer(interest_id, True).pack())
    await executive.send(EMAIL)
    await partner.press(IntroAnswer(interest_id, False).pack())
    assert partner.text.startswith("Understood: the introduction will not go ahead")

    (interest,) = await interests(seeded_database)
    assert interest.status is InterestStatus.DECLINED and interest.introduced_at is None
    city_side, firm_side = await consents(seeded_database)
    assert (city_side.side, city_side.agreed) == (IntroSide.CITY, True)
    assert (firm_side.side, firm_side.agreed, firm_side.contact) == (IntroSide.FIRM, False, None)
    declined = await pushed(seeded_database, f"partners.intro:{interest_id}:declined")
    assert {r for row in declined for r in row.recipients} == {
        executive.user_id,
        sides.coordinator.user_id,
    }
    assert words(declined[0]).startswith("การแนะนำ จังหวัดขอนแก่น และ โซลาร์สยาม")
    assert EMAIL not in await outbox_json(seeded_database)
    assert await audited(seeded_database, "partners.introduced") == []

    await executive.press(IntroAnswer(interest_id, True).pack())
    assert executive.text == "การแนะนำนี้สิ้นสุดแล้ว ตอบเพิ่มไม่ได้"
    await executive.press(Introduce(interest_id).pack())
    assert executive.text == "การแนะนำนี้สิ้นสุดแล้ว ตอบเพิ่มไม่ได้"


async def test_bad_contacts_are_asked_again_and_a_command_shares_nothing(
    register: Register, seeded_database: Database
) -> None:
    """Not a phone, e-mail or handle → asked again; a second answer of a side → refused."""
    sides = await interested(register, seeded_database)
    partner, executive, interest_id = sides.partner, sides.executive, sides.interest_id
    await executive.press(IntroAnswer(interest_id, True).pack())
    assert executive.text == "ยังไม่มีการขอให้แนะนำ"  # nobody asked for an introduction yet
    await sides.coordinator.press(Introduce(interest_id).pack())
    await sides.coordinator.press(Introduce(interest_id).pack())
    assert sides.coordinator.text.startswith("ได้ขอให้แนะนำแล้ว")

    await partner.press(IntroAnswer(interest_id, True).pack())
    for typed in ("call me maybe", "12345", "a@b", "ติดต่อคุณสมชาย"):
        await partner.send(typed)
        assert partner.text.startswith("That is not a phone number, e-mail address or chat handle")
    assert await step_of(seeded_database, partner) == "partners.contact"
    await partner.send("/partners")  # a command ends the step
    assert "Your contact was not shared." in partner.text
    assert await step_of(seeded_database, partner) is None
    assert await consents(seeded_database) == []

    await partner.press(IntroAnswer(interest_id, True).pack())
    await partner.send("@anan_solar")
    (firm_side,) = await consents(seeded_database)
    assert firm_side.contact is not None and firm_side.contact["contact"] == "@anan_solar"
    await partner.press(IntroAnswer(interest_id, False).pack())
    assert partner.text == "Your side has already answered this introduction."
    other_partner = await register(FIRM, Role.PARTNER, channel=Channel.LINE, language="en")
    await other_partner.press(IntroAnswer(interest_id, True).pack())
    assert other_partner.text == "Your side has already answered this introduction."
    async with seeded_database.sessions() as session:
        status = await session.scalar(select(PartnershipInterest.status))
    assert status is InterestStatus.INTRODUCING


async def test_erasure_blanks_the_contact_a_member_shared(
    register: Register, seeded_database: Database
) -> None:
    """/forget after sharing: the consent stays as a record, the contact goes (PDPA)."""
    sides = await interested(register, seeded_database)
    executive, interest_id = sides.executive, sides.interest_id
    await executive.choose("ขอให้ depa แนะนำให้รู้จัก")
    await executive.press(IntroAnswer(interest_id, True).pack())
    await executive.send(EMAIL)
    await sides.partner.press(IntroAnswer(interest_id, True).pack())
    await sides.partner.send("anan@solarsiam.co.th")
    city_side, firm_side = await consents(seeded_database)
    assert city_side.contact is not None and city_side.contact["contact"] == EMAIL

    await executive.send("/forget")
    await executive.choose("ลบข้อมูลของฉัน")

    city_side, firm_side = await consents(seeded_database)
    assert city_side.agreed and city_side.contact is None
    assert firm_side.contact is not None  # the other side's stays theirs to erase


async def test_when_the_interested_member_left_the_city_executives_are_asked(
    register: Register, seeded_database: Database
) -> None:
    """The officer who said Interested erased; no offer author: executives and partners asked."""
    await add_firm(seeded_database)
    coordinator = await register("depa", Role.COORDINATOR, channel=Channel.LINE)
    partners = [await register(FIRM, Role.PARTNER, channel=Channel.LINE) for _ in range(2)]
    executive = await register("phuket", Role.EXECUTIVE, channel=Channel.LINE)
    officer = await register("phuket", Role.OFFICER, channel=Channel.LINE)
    offer_id = await add_offer(seeded_database, "Beach sensors", ["environment"])
    await officer.press(Interested(offer_id).pack())
    await officer.send("/forget")
    await officer.choose("ลบข้อมูลของฉัน")
    (interest,) = await interests(seeded_database)

    await coordinator.press(Introduce(interest.id).pack())

    to_city = await pushed(seeded_database, f"partners.intro:{interest.id}:city")
    assert [row.recipients for row in to_city] == [[executive.user_id]]
    to_firm = await pushed(seeded_database, f"partners.intro:{interest.id}:firm")
    assert sorted(r for row in to_firm for r in row.recipients) == sorted(
        partner.user_id for partner in partners
    )
