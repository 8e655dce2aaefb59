"""Onboarding through the real dispatcher: greeting, code, consent, welcome, throttle, groups."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.core.clock import FrozenClock
from bot.core.context import Services
from bot.core.dispatcher import Dispatcher
from bot.core.events import Followed, JoinedGroup
from bot.core.texts import Texts
from bot.settings import Settings
from db.enums import Channel, ChatKind, OrganisationKind, Role
from db.models import (
    AuditLog,
    Chat,
    Consent,
    Identity,
    Invite,
    Member,
    Organisation,
    OutboundMessage,
)
from handlers import ROUTERS
from tests.chatdriver import ChatDriver, console_path
from tests.conftest import Database, InviteFactory
from tests.factories import add_member, telegram


async def _member_of(db: Database, channel: Channel, user_id: str) -> Member | None:
    async with db.sessions() as session:
        identity = await session.scalar(
            select(Identity).where(Identity.channel == channel, Identity.external_id == user_id)
        )
        if identity is None or identity.member_id is None:
            return None
        return await session.get(Member, identity.member_id)


async def test_full_onboarding_in_thai(
    chat: ChatDriver, make_invite: InviteFactory, seeded_database: Database
) -> None:
    """A newcomer is greeted in Thai, types a messy code, consents and becomes a member."""
    await chat.send("สวัสดีครับ")
    assert "รหัสเชิญ" in chat.text
    code = await make_invite("khon-kaen", Role.OFFICER)
    await chat.send(f"  {code[:4].lower()} {code[4:].lower()} ")
    assert "ขอนแก่น" in chat.text and "เจ้าหน้าที่เมือง" in chat.text
    assert [o.label for o in chat.options()] == ["ยินยอม", "ไม่ยินยอม"]
    await chat.choose("ยินยอม")
    assert "ลงทะเบียนเรียบร้อย" in chat.text and "ขอนแก่น" in chat.text
    assert "เอกสาร" in [o.label for o in chat.options()]
    member = await _member_of(seeded_database, Channel.CONSOLE, "u-somchai")
    assert member is not None and member.role is Role.OFFICER
    async with seeded_database.sessions() as session:
        org = await session.get_one(Organisation, member.organisation_id)
        consent = await session.scalar(select(Consent).where(Consent.member_id == member.id))
        invite = await session.scalar(select(Invite).where(Invite.code == code))
    assert org.slug == "khon-kaen" and member.display_name == "สมชาย ใจดี"
    assert consent is not None and consent.accepted
    assert invite is not None and invite.uses == 1


async def test_full_onboarding_in_english(
    new_chat: Callable[..., ChatDriver], make_invite: InviteFactory, seeded_database: Database
) -> None:
    """A platform reporting English gets the whole flow in English, and the member keeps it."""
    chat = new_chat("u-anna", language="en-GB", display_name="Anna")
    await chat.event(Followed(user=chat.user, chat=chat.chat, occurred_at=chat_now(chat)))
    assert "invite code" in chat.text
    await chat.send(await make_invite("depa", Role.COORDINATOR))
    assert "depa coordinator" in chat.text
    await chat.choose("I agree")
    assert "You are registered" in chat.text
    member = await _member_of(seeded_database, Channel.CONSOLE, "u-anna")
    assert member is not None and member.language.value == "en"


def chat_now(chat: ChatDriver) -> datetime:
    """The dispatcher's current time."""
    return chat.dispatcher.services.clock.now()


async def test_start_with_code_registers_in_one_step(
    chat: ChatDriver, make_invite: InviteFactory, seeded_database: Database
) -> None:
    """`/start CODE` (a deep link) goes straight to the consent question."""
    await chat.send(f"/start {await make_invite('pattaya', Role.EXECUTIVE)}")
    assert "พัทยา" in chat.text
    await chat.choose(1)
    member = await _member_of(seeded_database, Channel.CONSOLE, "u-somchai")
    assert member is not None and member.role is Role.EXECUTIVE


async def test_decline_keeps_nothing_personal(
    chat: ChatDriver, make_invite: InviteFactory, seeded_database: Database
) -> None:
    """Declining consent leaves no member, no identity, no consent; coming back works."""
    code = await make_invite("phuket", Role.OFFICER, uses=2)
    await chat.send(code)
    await chat.choose("ไม่ยินยอม")
    assert "ไม่ได้เก็บข้อมูลส่วนบุคคล" in chat.text
    async with seeded_database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Identity)) == 0
        assert await session.scalar(select(func.count()).select_from(Member)) == 0
        assert await session.scalar(select(func.count()).select_from(Consent)) == 0
    await chat.send(f"/start {code}")
    await chat.choose("ยินยอม")
    assert await _member_of(seeded_database, Channel.CONSOLE, "u-somchai") is not None


async def test_wrong_expired_and_used_codes_are_explained(
    new_chat: Callable[..., ChatDriver], make_invite: InviteFactory, clock: FrozenClock
) -> None:
    """Unknown, expired and used-up codes each get their own clear message."""
    chat = new_chat("u-1")
    await chat.send("/start")
    await chat.send("hello there")
    assert "ไม่ใช่รหัสเชิญ" in chat.text
    await chat.send("ABCD2345")
    assert "ไม่พบรหัสเชิญ" in chat.text
    used = await make_invite("yala", Role.OFFICER)
    other = new_chat("u-2")
    await other.send(used)
    await other.choose("ยินยอม")
    await chat.send(used)
    assert "ใช้ครบจำนวน" in chat.text
    expiring = await make_invite("yala", Role.OFFICER, days=1)
    clock.advance(timedelta(days=2))
    await chat.send(expiring)
    assert "หมดอายุ" in chat.text


async def test_five_wrong_codes_an_hour_then_wait(
    chat: ChatDriver, make_invite: InviteFactory, clock: FrozenClock
) -> None:
    """After 5 wrong codes even a good one is refused until an hour after the first."""
    for _ in range(4):
        await chat.send("ZZZZ2222")
        assert "ไม่พบรหัสเชิญ" in chat.text
    await chat.send("ZZZZ3333")
    assert "ลองใหม่หลัง" in chat.text and "2569" in chat.text  # Buddhist-Era year
    good = await make_invite("krabi", Role.OFFICER)
    await chat.send(good)
    assert "ลองใหม่หลัง" in chat.text
    clock.advance(timedelta(minutes=61))
    await chat.send(good)
    assert "กระบี่" in chat.text and chat.options()


async def test_consent_buttons_from_an_old_message_are_stale(chat: ChatDriver) -> None:
    """Pressing consent without a pending code asks for the code again."""
    await chat.press("consent:yes")
    assert "หมดอายุ" in chat.text


async def test_code_used_up_while_waiting_for_consent(
    new_chat: Callable[..., ChatDriver], make_invite: InviteFactory
) -> None:
    """Two people holding the last use: the second to consent is told the code is gone."""
    code = await make_invite("songkhla", Role.OFFICER)
    first, second = new_chat("u-a"), new_chat("u-b")
    await first.send(code)
    await second.send(code)
    await first.choose("ยินยอม")
    await second.choose("ยินยอม")
    assert "ใช้ไม่ได้แล้ว" in second.text


async def test_group_becomes_a_city_team_chat(
    new_chat: Callable[..., ChatDriver], make_invite: InviteFactory, seeded_database: Database
) -> None:
    """An officer's code typed with /start in a group binds the group to that city."""
    group = new_chat("u-officer", chat_id="g-1", chat_kind=ChatKind.GROUP)
    await group.event(JoinedGroup(user=group.user, chat=group.chat, occurred_at=chat_now(group)))
    assert "/start" in group.text
    await group.send("hello everyone")  # chatter in a group gets no unprompted answer
    assert group.last == []
    partner_code = await make_invite("depa", Role.COORDINATOR)
    await group.send(f"/start {partner_code}")
    assert "เฉพาะผู้บริหารหรือเจ้าหน้าที่" in group.text
    await group.send(f"/start {await make_invite('chiang-mai', Role.OFFICER)}")
    assert "เชียงใหม่" in group.text
    async with seeded_database.sessions() as session:
        chat_row = await session.scalar(select(Chat).where(Chat.external_id == "g-1"))
        org = await session.scalar(select(Organisation).where(Organisation.slug == "chiang-mai"))
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "chat.bind"))
    assert chat_row is not None and org is not None and chat_row.organisation_id == org.id
    assert audit is not None


async def test_registered_member_typing_a_code_is_told_so(
    register: Callable[..., Awaitable[ChatDriver]], make_invite: InviteFactory
) -> None:
    """A member who types another code is not registered twice."""
    member = await register("bangkok", Role.OFFICER)
    await member.send(await make_invite("bangkok", Role.EXECUTIVE))
    assert "ลงทะเบียนไว้แล้ว" in member.text


@pytest.mark.parametrize(
    ("org", "role", "purpose", "not_said"),
    [
        ("khon-kaen", Role.OFFICER, "your city's team", "your firm"),
        ("test-firm", Role.PARTNER, "to your firm", "your city"),
        ("depa", Role.ADMIN, "your work at depa", "your city"),
    ],
)
async def test_issue10_consent_is_worded_for_the_role(
    new_chat: Callable[..., ChatDriver],
    make_invite: InviteFactory,
    seeded_database: Database,
    org: str,
    role: Role,
    purpose: str,
    not_said: str,
) -> None:
    """A partner firm is not told its data serves its city: each role hears its own purpose."""
    async with seeded_database.sessions() as session, session.begin():
        session.add(
            Organisation(
                slug="test-firm", kind=OrganisationKind.PARTNER, name_th="บริษัท", name_en="Firm"
            )
        )
    chat = new_chat(f"u-{role.value}", language="en")
    await chat.send(await make_invite(org, role))
    assert purpose in chat.text and not_said not in chat.text
    await chat.send("what?")  # typed instead of choosing: asked again, in the same words
    assert purpose in chat.text


async def test_issue10_greeting_promises_only_what_the_bot_does(chat: ChatDriver) -> None:
    """The greeting offers materials, announcements and reminders, not progress reports."""
    await chat.send("/start")
    assert "รายงานความคืบหน้า" not in chat.text
    assert "รับเอกสาร" in chat.text and "แจ้งเตือนกำหนดการ" in chat.text


async def test_issue11_d6_fresh_accounts_share_everyones_budget(
    make_invite: InviteFactory, seeded_database: Database, texts: Texts, clock: FrozenClock
) -> None:
    """Ten fresh accounts guessing together: after 30 wrong codes a minute nobody's code is read.

    The guess that spends the budget tells the admins once; a minute later codes work again.
    """
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=seeded_database.url, telegram_bot_token="1:telegram-token"
    )
    services = Services(settings=settings, texts=texts, clock=clock)
    dispatcher = Dispatcher(sessions=seeded_database.sessions, routers=ROUTERS, services=services)
    console = console_path(dispatcher, seeded_database.engine, seeded_database.sessions)

    def new_chat(user_id: str) -> ChatDriver:
        return ChatDriver(dispatcher, user_id, console=console)

    admin = await _admin_on_telegram(seeded_database)
    guessers = [new_chat(f"u-guess-{n}") for n in range(10)]
    for round_ in range(3):
        for guesser in guessers:
            await guesser.send(f"ZZZZ{round_ + 2}{round_ + 2}22")
            assert "ไม่พบรหัสเชิญ" in guesser.text or "ลองใหม่หลัง" in guesser.text
    latecomer = new_chat("u-honest")
    good = await make_invite("krabi", Role.OFFICER)
    await latecomer.send(good)
    assert "ลองใหม่หลัง" in latecomer.text  # a right code could be a guess too
    await guessers[0].send("ZZZZ9999")  # refused before it is read: not counted again
    assert "ลองใหม่หลัง" in guessers[0].text
    async with seeded_database.sessions() as session:
        wrong = await session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "onboarding.code_rejected")
        )
        alerts = list(
            await session.scalars(
                select(OutboundMessage).where(
                    OutboundMessage.idempotency_key.like("onboarding.guessing:%")
                )
            )
        )
    assert wrong == 30
    assert [row.recipients for row in alerts] == [[admin]]
    clock.advance(timedelta(seconds=61))
    await latecomer.send(good)
    assert "กระบี่" in latecomer.text


async def test_issue11_d6_a_group_has_its_own_count(
    new_chat: Callable[..., ChatDriver], seeded_database: Database
) -> None:
    """Wrong codes typed in a group count on the group as well as on each account typing them."""
    members = [
        new_chat(f"u-group-{n}", chat_id="g-guessing", chat_kind=ChatKind.GROUP) for n in range(5)
    ]
    for member in members[:4]:
        await member.send("/start ZZZZ2222")
        assert "รหัสเชิญนี้ใช้ไม่ได้" in member.text
    await members[4].send("/start ZZZZ2222")  # the group's fifth wrong code, each account's first
    assert "ลองใหม่หลัง" in members[4].text
    newcomer = new_chat("u-group-late", chat_id="g-guessing", chat_kind=ChatKind.GROUP)
    await newcomer.send("/start ZZZZ3333")
    assert "ลองใหม่หลัง" in newcomer.text


async def _admin_on_telegram(database: Database) -> str:
    """A depa admin reachable on Telegram, to be alerted; their chat id."""
    async with database.sessions() as session, session.begin():
        await add_member(session, "depa", Role.ADMIN, [telegram("777")])
    return "777"
