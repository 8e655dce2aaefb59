"""Issue 14: city teams and depa browse firms' open offers by domain (newest first, paged) and
search them in Thai or English; city members' looks are counted once each."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.clock import FrozenClock
from bot.core.dispatcher import Dispatcher
from bot.core.replies import Cards, Reply
from bot.core.texts import Texts
from db.enums import Channel, OfferStatus, Role
from tests.conftest import START, Database
from tests.handlers.partners_kit import add_firm, add_offer, add_offers, views
from tests.handlers.progress_kit import Register, identity_of, progress_dispatcher


@pytest.fixture
def dispatcher(
    seeded_database: Database, texts: Texts, clock: FrozenClock, tmp_path: Path
) -> Dispatcher:
    """The real dispatcher, pushing on LINE and Telegram."""
    return progress_dispatcher(seeded_database, texts, clock, tmp_path / "media")


def titles(replies: list[Reply]) -> list[str]:
    """The titles of the cards shown."""
    return [card.title for reply in replies if isinstance(reply, Cards) for card in reply.cards]


def buttons(replies: list[Reply]) -> set[str]:
    """The labels of every card's buttons."""
    return {
        button.label
        for reply in replies
        if isinstance(reply, Cards)
        for card in reply.cards
        for button in card.buttons
    }


async def test_browsing_a_domain_in_thai_is_newest_first_paged_and_only_open(
    register: Register, seeded_database: Database
) -> None:
    """หาพาร์ทเนอร์ → the 7 domains and All → energy: ten newest open offers, More, the last two."""
    await add_firm(seeded_database)
    await add_offers(seeded_database, 12, "energy")
    await add_offer(seeded_database, "Pending solar", ["energy"], status=OfferStatus.PENDING)
    await add_offer(seeded_database, "Closed solar", ["energy"], status=OfferStatus.CLOSED)
    await add_offer(
        seeded_database, "Bus fleet", ["mobility"], published=START + timedelta(days=1)
    )
    executive = await register("khon-kaen", Role.EXECUTIVE, channel=Channel.LINE)

    await executive.send("หาพาร์ทเนอร์")
    assert "พิมพ์คำค้น" in executive.text
    labels = [option.label for option in executive.options()]
    assert len(labels) == 8 and labels[-1] == "ทุกด้าน" and "พลังงานอัจฉริยะ" in labels
    await executive.choose("พลังงานอัจฉริยะ")
    assert titles(executive.last) == [f"Offer {n}" for n in range(12, 2, -1)]
    assert "ข้อเสนอที่เปิดอยู่ · พลังงานอัจฉริยะ (ใหม่ล่าสุดก่อน 1–10)" in executive.text
    assert buttons(executive.last) == {"สนใจ"}
    await executive.choose("ดูข้อเสนอเพิ่ม")
    assert titles(executive.last) == ["Offer 2", "Offer 1"]
    assert "11–12" in executive.text and executive.options() == []

    await executive.send("/partners ทุกด้าน")
    assert titles(executive.last)[0] == "Bus fleet"  # published after the others
    assert not {"Pending solar", "Closed solar"} & set(titles(executive.last))
    await executive.send("ข้อเสนอความร่วมมือ การเดินทางและขนส่งอัจฉริยะ")
    assert titles(executive.last) == ["Bus fleet"]
    await executive.send("/partners governance")
    assert "ยังไม่มีข้อเสนอที่เปิดอยู่ในการบริหารภาครัฐอัจฉริยะ" in executive.text


async def test_browsing_in_english_by_slug_or_name(
    register: Register, seeded_database: Database
) -> None:
    """`/partners energy` and `/partners smart energy` show the same page, in English."""
    await add_firm(seeded_database)
    await add_offers(seeded_database, 3, "energy")
    officer = await register("phuket", Role.OFFICER, channel=Channel.TELEGRAM, language="en")

    await officer.send("/partners energy")
    assert officer.text.startswith("🤝 Open offers · Smart Energy (newest first, 1–3)")
    assert titles(officer.last) == ["Offer 3", "Offer 2", "Offer 1"]
    assert "Solar Siam · Technology · Smart Energy" in officer.text
    await officer.send("find partners Smart Energy")
    assert titles(officer.last) == ["Offer 3", "Offer 2", "Offer 1"]


async def test_search_in_thai_and_english_over_open_offers(
    register: Register, seeded_database: Database
) -> None:
    """Thai words find Thai offers, English words English ones; closed offers stay hidden."""
    await add_firm(seeded_database)
    await add_offer(
        seeded_database,
        "ระบบพลังงานแสงอาทิตย์บนหลังคาอาคารราชการ",
        ["energy"],
        description="ติดตั้งแผงโซลาร์และระบบติดตามการผลิตไฟฟ้าแบบเรียลไทม์",
    )
    await add_offer(
        seeded_database,
        "รถโดยสารไฟฟ้าพร้อมระบบติดตามตำแหน่ง",
        ["mobility"],
        description="เดินรถโดยสารไฟฟ้าในเขตเมืองพร้อมแอปแจ้งเวลารถถึงป้าย",
    )
    await add_offer(
        seeded_database,
        "Air quality sensor network",
        ["environment"],
        description="Low-cost PM2.5 sensors with an open dashboard for the city.",
    )
    await add_offer(seeded_database, "รถโดยสารรุ่นเก่า", ["mobility"], status=OfferStatus.CLOSED)
    executive = await register("chiang-mai", Role.EXECUTIVE, channel=Channel.LINE)

    await executive.send("/partners พลังงานแสงอาทิตย์")
    assert titles(executive.last)[0] == "ระบบพลังงานแสงอาทิตย์บนหลังคาอาคารราชการ"
    assert "🔎 พบ" in executive.text and "“พลังงานแสงอาทิตย์”" in executive.text
    await executive.send("หาพาร์ทเนอร์ รถโดยสาร")
    assert titles(executive.last) == ["รถโดยสารไฟฟ้าพร้อมระบบติดตามตำแหน่ง"]
    await executive.send("/partners PM2.5 sensors")
    assert titles(executive.last) == ["Air quality sensor network"]
    await executive.send("/partners ยานอวกาศ")
    assert "ไม่พบข้อเสนอที่ตรงกับ “ยานอวกาศ”" in executive.text
    assert len(executive.options()) == 8  # the domains to browse instead

    await add_offer(seeded_database, "ยานอวกาศสำรวจเมือง", ["living"])  # the index follows
    await executive.send("/partners ยานอวกาศ")
    assert titles(executive.last) == ["ยานอวกาศสำรวจเมือง"]


async def test_views_are_recorded_once_per_city_member_and_not_for_depa(
    register: Register, seeded_database: Database
) -> None:
    """A city member shown a card counts once however often; depa looks without counting."""
    await add_firm(seeded_database)
    first, second = await add_offers(seeded_database, 2, "energy")
    executive = await register("yala", Role.EXECUTIVE, channel=Channel.LINE)
    officer = await register("yala", Role.OFFICER, channel=Channel.LINE)
    coordinator = await register("depa", Role.COORDINATOR, channel=Channel.LINE)

    for _ in range(2):
        await executive.send("/partners energy")
    await officer.send("/partners Offer")  # a search shows cards too
    await coordinator.send("/partners energy")
    assert titles(coordinator.last) == ["Offer 2", "Offer 1"]
    assert buttons(coordinator.last) == set()  # depa does not say Interested

    executive_id = (await identity_of(seeded_database, executive)).member_id
    officer_id = (await identity_of(seeded_database, officer)).member_id
    assert executive_id is not None and officer_id is not None
    assert await views(seeded_database) == sorted(
        (offer, member) for offer in (first, second) for member in (executive_id, officer_id)
    )
