"""Issue 14: a firm's offer from draft to depa's approval to one card per matching city member."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.clock import FrozenClock
from bot.core.dispatcher import Dispatcher
from bot.core.texts import Texts
from db.enums import Channel, Language, MemberStatus, OfferKind, OfferStatus, Role
from db.models import Domain, Member, OfferDomain, OfferTarget, Organisation
from handlers.offers.payloads import Reviewed
from tests.conftest import Database
from tests.factories import add_member, line, telegram
from tests.handlers.offers_kit import (
    FIRM,
    add_firm,
    audited,
    cards_of,
    offers,
    replies_of,
    said_in,
)
from tests.handlers.progress_kit import Register, progress_dispatcher, pushed, step_of


@pytest.fixture
def dispatcher(
    seeded_database: Database, texts: Texts, clock: FrozenClock, tmp_path: Path
) -> Dispatcher:
    """The real dispatcher, pushing on LINE and Telegram."""
    return progress_dispatcher(seeded_database, texts, clock, tmp_path / "media")


@pytest.fixture
async def firm(seeded_database: Database) -> None:
    """A partner firm to make offers (content/ seeds none)."""
    async with seeded_database.sessions() as session, session.begin():
        await add_firm(session)


async def city_members(db: Database) -> dict[str, Member]:
    """Members of energy cities (Pattaya, Phuket, Chiang Mai), of Yala, which the offer names,
    and of Khon Kaen, which it does not; some read Thai, some English."""
    async with db.sessions() as session, session.begin():
        return {
            "pattaya-exec": await add_member(session, "pattaya", Role.EXECUTIVE, [line("p1")]),
            "pattaya-officer": await add_member(
                session, "pattaya", Role.OFFICER, [telegram("2001")], language=Language.EN
            ),
            "pattaya-erased": await add_member(
                session, "pattaya", Role.OFFICER, [line("p3")], status=MemberStatus.ERASED
            ),
            "phuket-officer": await add_member(session, "phuket", Role.OFFICER, [line("k1")]),
            "chiang-mai-exec": await add_member(
                session,
                "chiang-mai",
                Role.EXECUTIVE,
                [line("c1"), telegram("2002", seen_minutes_ago=1)],
                last_channel=Channel.TELEGRAM,
                language=Language.EN,
            ),
            "yala-exec": await add_member(session, "yala", Role.EXECUTIVE, [line("y1")]),
            "khon-kaen-exec": await add_member(session, "khon-kaen", Role.EXECUTIVE, [line("n1")]),
        }


@pytest.mark.usefixtures("firm")
async def test_an_offer_goes_from_draft_to_approval_to_each_matching_city_member_once(
    register: Register, seeded_database: Database
) -> None:
    """Draft → preview (nothing stored) → sent (pending, depa asked) → approved: one card per
    member of the energy cities and of Yala it names, in their language; Khon Kaen gets none;
    approving again sends nothing."""
    members = await city_members(seeded_database)
    coordinator = await register("depa", Role.COORDINATOR, channel=Channel.LINE)
    partner = await register(FIRM, Role.PARTNER, channel=Channel.LINE, language="en")

    await partner.send("/offer")
    assert partner.text.startswith("🤝 New offer (1/6): which domains is it for?")
    await partner.choose("Smart Energy")
    assert "Chosen: Smart Energy" in partner.text
    await partner.choose("Smart Governance")
    await partner.choose("✓ Smart Governance")  # pressed again: unticked
    assert "Chosen: Smart Energy\n" in partner.text + "\n"
    await partner.choose("Done ✓")
    assert partner.text.startswith("(2/6) Type the offer's title (up to 120 characters).")
    await partner.send("Solar rooftops for city halls")
    await partner.send("We install and run solar panels on city buildings for a year, free.")
    assert partner.text.startswith("(4/6) What kind of offer is it?")
    await partner.choose("Pilot project")
    assert "Every city working in Smart Energy will see it" in partner.text
    await partner.choose("Choose cities")
    await partner.send("yala")
    assert partner.text.startswith("(6/6) A link with the details")
    await partner.send("https://siam-urban.example/solar")

    (preview, _) = partner.last
    (card,) = cards_of([preview])
    assert card.title == "Solar rooftops for city halls"
    assert card.subtitle.startswith("Siam Urban Data · Pilot project · Smart Energy\nWe install")
    assert [b.label for b in card.buttons] == ["Details"]  # no Interested in a preview
    assert "Cities: the cities working in Smart Energy, and Yala" in partner.text
    assert await offers(seeded_database) == []  # nothing stored before Confirm

    await partner.choose("Send to depa")

    (offer,) = await offers(seeded_database)
    assert partner.text.startswith(
        f'✅ Offer #{offer.id} "Solar rooftops for city halls" is sent.'
    )
    assert (offer.status, offer.kind, offer.targets_all) == (
        OfferStatus.PENDING,
        OfferKind.PILOT,
        False,
    )
    assert offer.url == "https://siam-urban.example/solar"
    assert await step_of(seeded_database, partner) is None
    async with seeded_database.sessions() as session:
        domains = await session.scalars(
            select(Domain.slug).join(OfferDomain).where(OfferDomain.offer_id == offer.id)
        )
        assert list(domains) == ["energy"]
        named = await session.scalars(
            select(Organisation.slug).join(OfferTarget).where(OfferTarget.offer_id == offer.id)
        )
        assert list(named) == ["yala"]
    (created,) = await audited(seeded_database, "offers.created")
    assert created.target == f"offer:{offer.id}" and created.details["targets"] == ["yala"]
    (review,) = await pushed(seeded_database, f"offer:{offer.id}:review")
    assert coordinator.user_id in review.recipients
    assert said_in(review).startswith(f"🆕 ข้อเสนอ #{offer.id} จาก Siam Urban Data รอการตรวจ")
    assert await pushed(seeded_database, f"offer:{offer.id}:published") == []

    await coordinator.send("/offers pending")
    (listed,) = cards_of(coordinator.last)
    assert listed.title == f"#{offer.id} Solar rooftops for city halls"
    approve = next(b.payload for b in listed.buttons if b.label == "อนุมัติ")
    assert approve == Reviewed(offer.id, True).pack()
    await coordinator.press(approve)

    assert coordinator.text.startswith(f"✅ เผยแพร่ข้อเสนอ #{offer.id} ถึง 4 เมือง")
    (published,) = await offers(seeded_database)
    assert published.status is OfferStatus.OPEN
    assert published.published_at == published.reviewed_at is not None
    (approved,) = await audited(seeded_database, "offers.approved")
    assert approved.details["cities"] == ["pattaya", "phuket", "yala", "chiang-mai"]
    cards = await pushed(seeded_database, f"offer:{offer.id}:published")
    reached = {row.idempotency_key.rsplit(":m", 1)[1]: row for row in cards}
    wanted = ["pattaya-exec", "pattaya-officer", "phuket-officer", "chiang-mai-exec", "yala-exec"]
    assert sorted(reached) == sorted(str(members[name].id) for name in wanted)
    assert len(cards) == len(wanted)  # once each
    for name in wanted:
        row = reached[str(members[name].id)]
        english = members[name].language is Language.EN
        heading = "🤝 A new partnership offer" if english else "🤝 ข้อเสนอความร่วมมือใหม่"
        assert said_in(row).startswith(heading), name
        (sent_card,) = cards_of(replies_of(row))
        interested = "Interested" if english else "สนใจ"
        assert [b.label for b in sent_card.buttons] == [
            interested,
            "Details" if english else "รายละเอียด",
        ]
    assert reached[str(members["chiang-mai-exec"].id)].channel is Channel.TELEGRAM
    (firm_told,) = await pushed(seeded_database, f"offer:{offer.id}:approved")
    assert partner.user_id in firm_told.recipients
    assert said_in(firm_told).startswith(f'🎉 Your offer #{offer.id} "Solar rooftops')

    await coordinator.send(f"/offers approve {offer.id}")
    assert coordinator.text == f"ข้อเสนอ #{offer.id} ไม่ได้รอตรวจ: สถานะคือ เปิดอยู่"
    assert len(await pushed(seeded_database, f"offer:{offer.id}:published")) == len(wanted)
    assert len(await audited(seeded_database, "offers.approved")) == 1


@pytest.mark.usefixtures("firm")
async def test_a_rejected_offer_tells_the_firm_why_and_reaches_no_city(
    register: Register, seeded_database: Database
) -> None:
    """Reject asks the reason; the offer is REJECTED with it, audited; the firm reads it."""
    await city_members(seeded_database)
    coordinator = await register("depa", Role.COORDINATOR, channel=Channel.LINE, language="en")
    partner = await register(FIRM, Role.PARTNER, channel=Channel.LINE)
    await partner.send("เสนอความร่วมมือ")
    await partner.send("5, 7")  # Smart People, Smart Governance
    await partner.send("อบรมข้าราชการด้านข้อมูล")
    await partner.send("หลักสูตรสามวันสำหรับเจ้าหน้าที่เมือง")
    await partner.send("การฝึกอบรม")
    await partner.choose("ทุกเมือง")
    await partner.choose("ข้าม")
    assert "เมือง: ทุกเมืองที่ทำงานด้าน พลเมืองอัจฉริยะ, การบริหารภาครัฐอัจฉริยะ" in partner.text
    await partner.choose("ส่งให้ depa")
    (offer,) = await offers(seeded_database)
    assert (offer.kind, offer.targets_all, offer.url) == (OfferKind.TRAINING, True, None)

    await coordinator.send(f"/offers reject {offer.id}")
    assert coordinator.text == "Please give the reason: /offers reject ID REASON"
    await coordinator.press(Reviewed(offer.id, False).pack())
    assert coordinator.text.startswith(f'Why is offer #{offer.id} "อบรมข้าราชการด้านข้อมูล"')
    await coordinator.send("A training course is not a city offer; please talk to depa first.")

    assert coordinator.text == f"Offer #{offer.id} is rejected; the firm was told why."
    (rejected,) = await offers(seeded_database)
    assert rejected.status is OfferStatus.REJECTED and rejected.published_at is None
    assert rejected.review_reason == (
        "A training course is not a city offer; please talk to depa first."
    )
    (entry,) = await audited(seeded_database, "offers.rejected")
    assert entry.target == f"offer:{offer.id}"
    (told,) = await pushed(seeded_database, f"offer:{offer.id}:rejected")
    assert partner.user_id in told.recipients
    assert said_in(told).endswith(
        "เหตุผลจาก depa: A training course is not a city offer; please talk to depa first."
    )
    assert await pushed(seeded_database, f"offer:{offer.id}:published") == []
    await coordinator.press(Reviewed(offer.id, True).pack())
    assert coordinator.text == f"Offer #{offer.id} is not waiting for review: it is rejected."
