"""Issue 14: a city says Interested on an offer's card; the firm (which city, which offer) and
depa's coordinators hear once; a second interest, or one in an offer no longer open, is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.clock import FrozenClock
from bot.core.dispatcher import Dispatcher
from bot.core.replies import Cards, Choices, reply_from_data
from bot.core.texts import Texts
from db.enums import Channel, InterestStatus, OfferStatus, Role
from handlers.partners.payloads import Interested
from tests.conftest import Database
from tests.handlers.partners_kit import FIRM, add_firm, add_offer, audited, interests
from tests.handlers.progress_kit import Register, identity_of, progress_dispatcher, pushed, words


@pytest.fixture
def dispatcher(
    seeded_database: Database, texts: Texts, clock: FrozenClock, tmp_path: Path
) -> Dispatcher:
    """The real dispatcher, pushing on LINE and Telegram."""
    return progress_dispatcher(seeded_database, texts, clock, tmp_path / "media")


async def test_interest_tells_the_firm_and_depa_once_and_a_second_is_refused(
    register: Register, seeded_database: Database
) -> None:
    """Interested on a browsed card: stored for the city; one notice each, in their language."""
    await add_firm(seeded_database)
    partner = await register(FIRM, Role.PARTNER, channel=Channel.TELEGRAM, language="en")
    coordinator = await register("depa", Role.COORDINATOR, channel=Channel.LINE)
    executive = await register(
        "khon-kaen", Role.EXECUTIVE, channel=Channel.LINE, display_name="Somchai"
    )
    officer = await register("khon-kaen", Role.OFFICER, channel=Channel.LINE)
    offer_id = await add_offer(seeded_database, "Rooftop solar for city halls", ["energy"])

    await executive.send("/partners energy")
    (card,) = [c for r in executive.last if isinstance(r, Cards) for c in r.cards]
    assert card.buttons[0].payload is not None
    await executive.press(card.buttons[0].payload)

    assert executive.text.startswith("✅ บันทึกแล้ว: เมืองของคุณสนใจ “Rooftop solar for city halls”")
    assert [option.label for option in executive.options()] == ["ขอให้ depa แนะนำให้รู้จัก"]
    (interest,) = await interests(seeded_database)
    member_id = (await identity_of(seeded_database, executive)).member_id
    assert (interest.offer_id, interest.member_id, interest.status) == (
        offer_id,
        member_id,
        InterestStatus.EXPRESSED,
    )
    to_firm, to_depa = await pushed(seeded_database, f"partners.interest:{interest.id}")
    assert partner.user_id in to_firm.recipients and to_firm.channel is Channel.TELEGRAM
    assert words(to_firm).startswith(
        "🤝 Khon Kaen is interested in your offer “Rooftop solar for city halls”."
    )
    assert "Somchai" not in str(to_firm.payload)  # no personal contact for the firm
    assert coordinator.user_id in to_depa.recipients
    (question,) = [reply_from_data(data) for data in to_depa.payload["replies"]]
    assert isinstance(question, Choices)
    assert question.text == "🤝 จังหวัดขอนแก่น สนใจ “Rooftop solar for city halls” ของ โซลาร์สยาม"
    assert [option.label for option in question.options] == ["แนะนำให้รู้จัก"]
    assert len(await audited(seeded_database, "partners.interest")) == 1

    await executive.press(Interested(offer_id).pack())
    await officer.press(Interested(offer_id).pack())
    assert officer.text == (
        "เมืองของคุณแจ้งความสนใจข้อเสนอนี้แล้วเมื่อ 24 พ.ย. 2569 depa และบริษัททราบแล้ว จึงไม่ได้ส่งซ้ำ"
    )
    assert len(await interests(seeded_database)) == 1
    assert len(await pushed(seeded_database, "partners.")) == 2  # nothing sent again


async def test_interest_in_an_offer_not_open_or_unknown_is_refused(
    register: Register, seeded_database: Database
) -> None:
    """A closed or pending offer, or one that never existed: a clear message, nothing saved."""
    await add_firm(seeded_database)
    closed = await add_offer(seeded_database, "Old CCTV", ["living"], status=OfferStatus.CLOSED)
    pending = await add_offer(seeded_database, "Draft", ["living"], status=OfferStatus.PENDING)
    officer = await register("songkhla", Role.OFFICER, channel=Channel.LINE, language="en")

    await officer.press(Interested(closed).pack())
    assert officer.text == "The offer “Old CCTV” is not open any more."
    await officer.press(Interested(pending).pack())
    assert officer.text == "The offer “Draft” is not open any more."
    await officer.press(Interested(closed + pending + 100).pack())
    assert officer.text == "That offer no longer exists."
    assert await interests(seeded_database) == []
    assert await pushed(seeded_database, "partners.") == []
