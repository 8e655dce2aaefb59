"""The member's own account: /whoami, /lang, /link across channels, /forget."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import func, select

from bot.core.clock import FrozenClock
from db.enums import Channel, Language, MemberStatus, Role
from db.models import AuditLog, Consent, ConversationState, Identity, Member
from tests.chatdriver import ChatDriver
from tests.conftest import Database

Register = Callable[..., Awaitable[ChatDriver]]


async def test_whoami_shows_name_organisation_role_and_channels(register: Register) -> None:
    """/whoami lists what we know about the member."""
    member = await register("ubon-ratchathani", Role.EXECUTIVE, display_name="วิไล")
    await member.send("/whoami")
    for expected in ("วิไล", "อุบลราชธานี", "ผู้บริหารเมือง", "คอนโซล", "24 พ.ย. 2569"):
        assert expected in member.text


async def test_thai_keyword_works_like_the_command(register: Register) -> None:
    """Typing ข้อมูลของฉัน is /whoami."""
    member = await register("yala", Role.OFFICER)
    await member.send("ข้อมูลของฉัน")
    assert "หน่วยงาน: " in member.text


async def test_lang_switches_and_persists(register: Register, seeded_database: Database) -> None:
    """/lang en answers in English and later replies stay English."""
    member = await register("songkhla", Role.OFFICER)
    await member.send("/lang en")
    assert member.text == "Language set to English."
    await member.send("/whoami")
    assert "Organisation: Songkhla" in member.text
    await member.send("/lang")
    await member.choose("ภาษาไทย")
    assert "ภาษาไทย" in member.text
    async with seeded_database.sessions() as session:
        row = await session.scalar(select(Member))
    assert row is not None and row.language is Language.TH


async def test_newcomer_language_choice_is_kept_before_registration(
    new_chat: Callable[..., ChatDriver],
) -> None:
    """A newcomer's language button switches the greeting's language for what follows."""
    chat = new_chat("u-intl")
    await chat.send("hi")
    await chat.choose("English")
    await chat.send("/help")
    assert "invite code" in chat.text


async def test_link_between_console_and_simulator(
    register: Register, new_chat: Callable[..., ChatDriver], seeded_database: Database
) -> None:
    """A code from /link on one channel, typed on another, joins both to one member."""
    console = await register("phitsanulok", Role.OFFICER, display_name="Somsak")
    await console.send("/link")
    code = next(word for word in console.text.split() if word.isdigit() and len(word) == 6)
    simulator = new_chat("sim-42", channel=Channel.SIMULATOR)
    await simulator.send(code)
    assert "เชื่อมบัญชีเรียบร้อย" in simulator.text
    await simulator.send("/whoami")
    assert "Somsak" in simulator.text and "เครื่องจำลองบนเว็บ" in simulator.text
    async with seeded_database.sessions() as session:
        ids = (await session.scalars(select(Identity.member_id))).all()
    assert len(ids) == 2 and len(set(ids)) == 1
    await simulator.send(code)  # spent
    assert "ไม่ถูกต้องหรือหมดอายุ" in simulator.text


async def test_link_code_expires_after_ten_minutes(
    register: Register, new_chat: Callable[..., ChatDriver], clock: FrozenClock
) -> None:
    """A link code typed after 10 minutes is refused."""
    console = await register("krabi", Role.OFFICER)
    await console.send("/link")
    code = next(word for word in console.text.split() if word.isdigit() and len(word) == 6)
    clock.advance(timedelta(minutes=11))
    other = new_chat("sim-1", channel=Channel.SIMULATOR)
    await other.send(f"/link {code}")
    assert "หมดอายุ" in other.text


async def test_forget_erases_personal_data_and_audits(
    register: Register, seeded_database: Database
) -> None:
    """/forget, confirmed, removes identities, name and state, keeps an anonymised member row."""
    member = await register("nakhon-ratchasima", Role.OFFICER, display_name="Malee")
    await member.send("/forget")
    await member.choose("ยกเลิก")
    assert "ยังอยู่ครบ" in member.text
    await member.send("/forget")
    await member.choose("ลบข้อมูลของฉัน")
    assert "ลบข้อมูลส่วนบุคคลของคุณเรียบร้อย" in member.text
    async with seeded_database.sessions() as session:
        row = await session.scalar(select(Member))
        assert row is not None
        assert row.status is MemberStatus.ERASED and row.display_name is None
        assert await session.scalar(select(func.count()).select_from(Identity)) == 0
        assert await session.scalar(select(func.count()).select_from(ConversationState)) == 0
        consent = await session.scalar(select(Consent))
        assert consent is not None and consent.withdrawn_at is not None
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "member.erase"))
        assert audit is not None and "Malee" not in str(audit.details)
    await member.send("/whoami")  # a newcomer again
    assert "รหัสเชิญ" in member.text


async def test_issue10_unknown_language_is_named(register: Register) -> None:
    """`/lang xx` says xx is not a language the bot speaks, then offers the two it does."""
    member = await register("krabi", Role.OFFICER)
    await member.send("/lang xx")
    assert "ไม่รู้จักภาษา “xx”" in member.text
    assert [option.label for option in member.options()] == ["ภาษาไทย", "English"]
    await member.choose("English")
    assert member.text == "Language set to English."
