"""Announcements in chat: compose, approve under the two-person rule, schedule, cancel, status."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.clock import FrozenClock
from bot.core.context import Services
from bot.core.dispatcher import Dispatcher
from bot.core.replies import Cards, Choices, Text, reply_from_data
from bot.core.texts import Texts
from bot.delivery.announcements import release_due
from bot.settings import Settings
from db.enums import AnnouncementStatus, Channel, OrganisationKind, OutboxStatus, Role
from db.models import Announcement, AuditLog, Organisation, OutboundMessage
from db.repositories.outbox import settle
from handlers import ROUTERS
from tests.chatdriver import ChatDriver, console_path
from tests.conftest import Database

Register = Callable[..., Awaitable[ChatDriver]]
PUSH = (Channel.LINE, Channel.TELEGRAM)


@pytest.fixture
def dispatcher(seeded_database: Database, texts: Texts, clock: FrozenClock) -> Dispatcher:
    """The real dispatcher, in a deployment where LINE and Telegram are configured."""
    settings = Settings(
        _env_file=None,
        database_url=seeded_database.url,
        line_channel_secret="line-secret",
        line_channel_access_token="line-token",
        telegram_bot_token="123456:telegram-token",
    )
    services = Services(settings=settings, texts=texts, clock=clock)
    return Dispatcher(sessions=seeded_database.sessions, routers=ROUTERS, services=services)


async def outbox(db: Database) -> list[OutboundMessage]:
    """Every message queued for LINE or Telegram, oldest first (chats are answered by console)."""
    async with db.sessions() as session:
        return list(
            await session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.channel != Channel.CONSOLE)
                .order_by(OutboundMessage.id)
            )
        )


async def announcement(db: Database, announcement_id: int) -> Announcement:
    """The stored announcement."""
    async with db.sessions() as session:
        return await session.get_one(Announcement, announcement_id)


async def audit_actions(db: Database) -> list[str]:
    """The announcement actions in the audit log, in order."""
    async with db.sessions() as session:
        return list(
            await session.scalars(
                select(AuditLog.action)
                .where(AuditLog.action.like("announce.%"))
                .order_by(AuditLog.id)
            )
        )


async def compose(author: ChatDriver, text: str, audience_label: str) -> None:
    """Write an announcement up to its preview."""
    await author.send("/announce")
    await author.send(text)
    await author.choose(audience_label)


async def test_coordinator_needs_another_admins_approval(
    register: Register, seeded_database: Database
) -> None:
    """Coordinator composes → admins on LINE and Telegram asked → approve button → released."""
    line_admin = await register("depa", Role.ADMIN, channel=Channel.LINE, display_name="Admin L")
    telegram_admin = await register(
        "depa", Role.ADMIN, channel=Channel.TELEGRAM, language="en", display_name="Admin T"
    )
    await telegram_admin.send("/lang en")
    officer = await register("khon-kaen", Role.OFFICER, channel=Channel.TELEGRAM)
    coordinator = await register(
        "depa", Role.COORDINATOR, channel=Channel.TELEGRAM, display_name="นิดา"
    )
    await compose(coordinator, "ขอเชิญประชุมออนไลน์วันศุกร์นี้ 10:00 น.", "ทุกคน")
    assert coordinator.last[0] == Text(text="📢 ประกาศจาก depa\n\nขอเชิญประชุมออนไลน์วันศุกร์นี้ 10:00 น.")
    assert "ส่งถึง: สมาชิกทุกคน" in coordinator.text
    assert "ผู้รับ: 4 คน" in coordinator.text
    await coordinator.choose("ส่งขออนุมัติ")
    assert "ส่งประกาศ #1 ให้ผู้ดูแลระบบ depa พิจารณาแล้ว" in coordinator.text
    assert (await announcement(seeded_database, 1)).status is AnnouncementStatus.PENDING_APPROVAL

    requests = await outbox(seeded_database)
    assert [(row.channel, row.idempotency_key) for row in requests] == [
        (Channel.LINE, f"ann:1:review:m{1}"),
        (Channel.TELEGRAM, f"ann:1:review:m{2}"),
    ]
    thai, english = (
        [reply_from_data(reply) for reply in row.payload["replies"]] for row in requests
    )
    assert isinstance(thai[1], Choices)
    assert "นิดา ขออนุมัติประกาศ #1" in thai[1].text
    assert [option.payload for option in thai[1].options] == ["ann:approve:1", "ann:reject:1"]
    assert isinstance(english[1], Choices)
    assert english[1].text.startswith("📝 นิดา asks to approve announcement #1")
    assert "To: all members (4 people)" in english[1].text

    await coordinator.press("ann:approve:1")  # the author cannot approve, not even by button
    assert "ไม่มีสิทธิ์ใช้คำสั่งนี้" in coordinator.text  # approving is declared admins-only
    await line_admin.press("ann:approve:1")
    assert line_admin.text == "อนุมัติประกาศ #1 แล้ว ระบบกำลังทยอยส่งถึง 4 คน"
    await telegram_admin.press("ann:approve:1")  # the second admin is too late
    assert "no longer awaiting approval (status: sending)" in telegram_admin.text

    rows = [row for row in await outbox(seeded_database) if row.announcement_id == 1]
    reached = sorted(recipient for row in rows for recipient in row.recipients)
    assert len(reached) == 4
    assert officer.user_id in reached
    told = [
        row for row in await outbox(seeded_database) if row.idempotency_key == "ann:1:decided:m4"
    ]
    assert len(told) == 1
    assert told[0].recipients == [coordinator.user_id]
    assert await audit_actions(seeded_database) == [
        "announce.submit",
        "announce.approve",
        "announce.release",
    ]


async def test_admins_announcement_goes_out_at_once(
    register: Register, seeded_database: Database
) -> None:
    """An admin's announcement needs no second person: released and audited as announce.send."""
    admin = await register("depa", Role.ADMIN)
    await register("yala", Role.EXECUTIVE, channel=Channel.LINE)
    await register("yala", Role.OFFICER, channel=Channel.LINE)
    await register("krabi", Role.EXECUTIVE, channel=Channel.TELEGRAM)
    await compose(admin, "ส่งแผนยุทธศาสตร์ภายใน 15 ธ.ค.", "ผู้บริหารเมือง")
    assert "ส่งถึง: ผู้บริหารเมืองทุกคน" in admin.text
    assert "ผู้รับ: 2 คน" in admin.text
    await admin.choose("ส่งเลย")
    assert admin.text == ("ส่งประกาศ #1 แล้ว ระบบกำลังทยอยส่งถึง 2 คน ดูผลได้ด้วย /announce status 1")
    rows = await outbox(seeded_database)
    assert sorted(row.channel for row in rows) == [Channel.LINE, Channel.TELEGRAM]
    assert all(row.announcement_id == 1 for row in rows)
    assert await audit_actions(seeded_database) == ["announce.send", "announce.release"]


async def test_officer_is_denied(register: Register, seeded_database: Database) -> None:
    """Only depa staff may announce."""
    officer = await register("phuket", Role.OFFICER)
    await officer.send("/announce")
    assert "ไม่มีสิทธิ์ใช้คำสั่งนี้" in officer.text
    await officer.press("ann:approve:1")
    assert "ไม่มีสิทธิ์ใช้คำสั่งนี้" in officer.text
    assert await outbox(seeded_database) == []


async def test_too_long_text_is_refused(register: Register) -> None:
    """Texts over 4,000 characters are refused with their length; a shorter one is taken."""
    admin = await register("depa", Role.ADMIN)
    await admin.send("/announce")
    await admin.send("ก" * 4001)
    assert admin.text == ("ข้อความยาว 4,001 ตัวอักษร เกินที่ส่งได้ (4,000 ตัวอักษร) กรุณาย่อแล้วพิมพ์ใหม่")
    await admin.send("ก" * 4000)
    assert "ส่งประกาศนี้ถึงใคร" in admin.text


async def test_audience_by_city_and_by_domain(register: Register) -> None:
    """A city typed by its Thai name, or a domain from the buttons, makes the audience."""
    admin = await register("depa", Role.COORDINATOR)
    await register("khon-kaen", Role.OFFICER, channel=Channel.LINE)
    await admin.send("/announce")
    await admin.send("ทดสอบ")
    await admin.choose("ตามเมือง")
    assert "ขอนแก่น (khon-kaen)" in admin.text
    await admin.send("เมืองในฝัน")
    assert "ไม่พบหน่วยงาน “เมืองในฝัน”" in admin.text
    await admin.send("ขอนแก่น")
    assert "ส่งถึง: สมาชิกของ จังหวัดขอนแก่น" in admin.text
    assert "ผู้รับ: 1 คน" in admin.text
    await admin.send("/announce ทดสอบอีกครั้ง")
    await admin.choose("ตามด้าน")
    await admin.choose("การเดินทางและขนส่งอัจฉริยะ")
    assert "ส่งถึง: หน่วยงานที่ทำงานด้านการเดินทางและขนส่งอัจฉริยะ" in admin.text
    assert "ผู้รับ: 1 คน" in admin.text


async def test_schedule_then_cancel(
    register: Register, seeded_database: Database, texts: Texts, clock: FrozenClock
) -> None:
    """A time in Thai form schedules it; cancelling before then means nothing is ever sent."""
    admin = await register("depa", Role.ADMIN)
    await register("songkhla", Role.OFFICER, channel=Channel.TELEGRAM)
    await compose(admin, "ปิดรับสมัคร 26 ก.พ.", "ทุกคน")
    await admin.choose("ตั้งเวลาส่ง")
    await admin.send("พรุ่งนี้เช้า")
    assert "อ่านวันเวลา “พรุ่งนี้เช้า” ไม่ออก" in admin.text
    await admin.send("1/1/2569 09:00")
    assert admin.text == "1 ม.ค. 2569 09:00 น. ผ่านไปแล้ว กรุณาระบุเวลาในอนาคต"
    await admin.send("25/12/2569 09:00")
    assert "กำหนดส่ง: 25 ธ.ค. 2569 09:00 น." in admin.text
    await admin.choose("ยืนยันตั้งเวลา")
    assert admin.text.startswith("ตั้งเวลาประกาศ #1 ไว้ที่ 25 ธ.ค. 2569 09:00 น. แล้ว")
    assert (await announcement(seeded_database, 1)).status is AnnouncementStatus.SCHEDULED

    await admin.send("/announce status")
    assert "ตั้งเวลาไว้" in admin.text
    assert "กำหนดส่ง: 25 ธ.ค. 2569 09:00 น." in admin.text
    await admin.send("/announce cancel 1")
    assert admin.text == "ยกเลิกประกาศ #1 แล้ว ไม่มีข้อความใดถูกส่ง"
    await admin.send("/announce cancel 1")
    assert admin.text == "ยกเลิกประกาศ #1 ไม่ได้แล้ว (สถานะ: ยกเลิกแล้ว)"
    async with seeded_database.sessions() as session, session.begin():
        due = clock.now() + timedelta(days=40)
        assert await release_due(session=session, now=due, texts=texts, channels=PUSH) == []
    assert await outbox(seeded_database) == []


async def test_coordinator_cancels_only_their_own(
    register: Register, seeded_database: Database
) -> None:
    """A coordinator may withdraw their own pending announcement, not a colleague's."""
    first = await register("depa", Role.COORDINATOR)
    second = await register("depa", Role.COORDINATOR)
    await compose(first, "ข่าวจากทีม", "ทุกคน")
    await first.choose("ส่งขออนุมัติ")
    assert "ยังไม่มีผู้ดูแลระบบที่รับแจ้งเตือน" in first.text  # no admin on LINE or Telegram
    await second.send("/announce cancel 1")
    assert "ยกเลิกได้เฉพาะประกาศที่เขียนเอง" in second.text
    await first.send("/announce cancel #1")
    assert first.text == "ยกเลิกประกาศ #1 แล้ว ไม่มีข้อความใดถูกส่ง"
    assert (await announcement(seeded_database, 1)).status is AnnouncementStatus.CANCELLED


async def test_pending_list_and_reject(register: Register, seeded_database: Database) -> None:
    """Admins list what awaits approval as cards; rejecting tells the author."""
    admin = await register("depa", Role.ADMIN)
    coordinator = await register(
        "depa", Role.COORDINATOR, channel=Channel.LINE, display_name="สมศรี"
    )
    await compose(coordinator, "ประกาศรอพิจารณา", "บริษัทพันธมิตร")
    await coordinator.choose("ส่งขออนุมัติ")
    await coordinator.send("/announce pending")
    assert "ไม่มีสิทธิ์ใช้คำสั่งนี้" in coordinator.text
    await admin.send("/announce pending")
    (cards,) = admin.last
    assert isinstance(cards, Cards)
    assert cards.cards[0].title == "#1 · บริษัทพันธมิตรทุกคน"
    assert cards.cards[0].subtitle == "สมศรี: ประกาศรอพิจารณา"
    assert [button.payload for button in cards.cards[0].buttons] == [
        "ann:approve:1",
        "ann:reject:1",
    ]
    await admin.press("ann:reject:1")
    assert admin.text == "ไม่อนุมัติประกาศ #1 และแจ้งผู้เขียนแล้ว"
    assert (await announcement(seeded_database, 1)).status is AnnouncementStatus.REJECTED
    told = [
        row for row in await outbox(seeded_database) if row.idempotency_key.endswith("decided:m2")
    ]
    (verdict,) = [reply_from_data(reply) for reply in told[0].payload["replies"]]
    assert isinstance(verdict, Text)
    assert "ไม่ได้รับอนุมัติ" in verdict.text
    await admin.send("/announce pending")
    assert admin.text == "ไม่มีประกาศที่รออนุมัติ"


async def test_status_shows_counts_per_channel(
    register: Register, seeded_database: Database, clock: FrozenClock
) -> None:
    """/announce status: people, sent, failed, blocked per channel and the time to deliver."""
    admin = await register("depa", Role.ADMIN)
    await register("yala", Role.OFFICER, channel=Channel.TELEGRAM)
    await register("yala", Role.OFFICER, channel=Channel.TELEGRAM)
    await register("yala", Role.EXECUTIVE, channel=Channel.LINE)
    await register("yala", Role.EXECUTIVE)  # console only: unreachable
    await compose(admin, "แจ้งข่าว", "ทุกคน")
    await admin.choose("ส่งเลย")
    await admin.send("/announce status")
    assert "กำลังส่ง" in admin.text
    assert "Telegram: 2 คน — ส่งแล้ว 0 · ไม่สำเร็จ 0 · บล็อกบอท 0 · รอส่ง 2" in admin.text
    rows = [row for row in await outbox(seeded_database) if row.announcement_id == 1]
    outcomes = iter([OutboxStatus.SENT, OutboxStatus.BLOCKED, OutboxStatus.SENT])
    async with seeded_database.sessions() as session, session.begin():
        for row in rows:
            await settle(
                session=session,
                message_id=row.id,
                status=next(outcomes),
                now=clock.now() + timedelta(seconds=42),
            )
    await admin.send("/lang en")
    await admin.send("/announce status 1")
    assert "Announcement #1 · delivered" in admin.text
    assert "Telegram: 2 people — sent 1 · failed 0 · blocked the bot 1 · waiting 0" in admin.text
    assert "LINE: 1 people — sent 1" in admin.text
    assert "Not on LINE or Telegram yet: 2" in admin.text  # the officer on console, and the admin
    assert "Sending started: 24 Nov 2026, 10:00" in admin.text
    assert "Time to deliver: 42 s" in admin.text
    await admin.send("/announce status 99")
    assert admin.text == "No announcement #99."


async def test_issue10_list_lists_and_status_wants_a_number(register: Register) -> None:
    """`/announce list` lists (it starts no announcement); `status abc` asks for digits."""
    admin = await register("depa", Role.ADMIN)
    await admin.send("/announce list")
    assert admin.text == "ยังไม่มีประกาศ"
    await compose(admin, "ประชุมวันศุกร์", "ทุกคน")
    await admin.choose("ส่งเลย")
    await admin.send("/announce list")
    assert "#1 · " in admin.text and "ประชุมวันศุกร์" in admin.text
    await admin.send("/announce status abc")
    assert "เลขที่ประกาศต้องเป็นตัวเลข" in admin.text and "abc" in admin.text
    await admin.send("/announce cancel")
    assert "กรุณาระบุเลขที่ประกาศ" in admin.text


async def test_issue10_every_city_can_be_picked_by_button(
    register: Register, seeded_database: Database
) -> None:
    """The city picker pages through all 14 cities; each page fits a quick reply."""
    admin = await register("depa", Role.ADMIN)
    await admin.send("/announce")
    await admin.send("ทดสอบ")
    await admin.choose("ตามเมือง")
    seen: list[str] = []
    while True:
        labels = [option.label for option in admin.options()]
        assert len(labels) <= 13
        seen += [label for label in labels if label not in {"เมืองอื่น ๆ ▶", "◀ ก่อนหน้า", "ยกเลิก"}]
        if "เมืองอื่น ๆ ▶" not in labels:
            break
        await admin.choose("เมืองอื่น ๆ ▶")
    async with seeded_database.sessions() as session:
        cities = await session.scalars(
            select(Organisation.name_th).where(Organisation.kind == OrganisationKind.CITY)
        )
        assert sorted(seen) == sorted(cities)
    assert len(seen) == 14
    await admin.choose(seen[-1])
    assert f"ส่งถึง: สมาชิกของ {seen[-1]}" in admin.text


async def test_issue10_an_announcement_that_reaches_nobody_says_so(register: Register) -> None:
    """Nobody in the audience: not 'delivered', but that it reached nobody and why."""
    admin = await register("depa", Role.ADMIN)
    await compose(admin, "ถึงผู้บริหารยะลา", "ตามเมือง")
    await admin.send("ยะลา")
    await admin.choose("ส่งเลย")
    assert admin.text == "ประกาศ #1 ไม่ได้ส่งถึงใครเลย: ไม่มีสมาชิกในกลุ่มผู้รับนี้"
    await admin.send("/announce status 1")
    assert "ประกาศ #1 · ไม่มีผู้รับ" in admin.text and "ส่งครบแล้ว" not in admin.text
    await admin.send("/lang en")
    await admin.send("/announce status 1")
    assert "Announcement #1 · reached nobody" in admin.text
    assert "nobody is in this audience" in admin.text


async def test_issue10_chat_and_cli_agree_without_a_channel(
    register: Register, seeded_database: Database, texts: Texts, clock: FrozenClock
) -> None:
    """With neither LINE nor Telegram configured, `/announce` says so at once, as the CLI does."""
    admin = await register("depa", Role.ADMIN)
    settings = Settings(_env_file=None, database_url=seeded_database.url)  # type: ignore[call-arg]
    services = Services(settings=settings, texts=texts, clock=clock)
    bare = Dispatcher(sessions=seeded_database.sessions, routers=ROUTERS, services=services)
    console = console_path(bare, seeded_database.engine, seeded_database.sessions)
    same_admin = ChatDriver(bare, admin.user_id, console=console)
    await same_admin.send("/announce")
    assert "ยังไม่ได้ตั้งค่า LINE หรือ Telegram" in same_admin.text
    await same_admin.send("/announce ประชุมด่วน")
    assert "ยังไม่ได้ตั้งค่า LINE หรือ Telegram" in same_admin.text
    assert await outbox(seeded_database) == []
