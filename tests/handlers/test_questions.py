"""Issue 14: questions to depa in chat, the FAQ first, then a ticket a coordinator answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.clock import FrozenClock
from bot.core.dispatcher import Dispatcher
from bot.core.texts import Texts
from db.enums import Channel, Role, TicketStatus
from db.models import AuditLog
from handlers.questions.payloads import AnswerBack, AskAct, AskPressed, CloseTicket, ReplyPressed
from tests.conftest import Database
from tests.handlers.progress_kit import (
    Register,
    add_partner_firm,
    progress_dispatcher,
    pushed,
    step_of,
)
from tests.handlers.questions_kit import buttons, said, thread, ticket_count, tickets

UNKNOWN_TO_THE_FAQ = "ขอเบอร์โทรผู้ประสานงานภาคใต้หน่อยครับ"


@pytest.fixture
def dispatcher(
    seeded_database: Database, texts: Texts, clock: FrozenClock, tmp_path: Path
) -> Dispatcher:
    """The real dispatcher, pushing notices on LINE and Telegram."""
    return progress_dispatcher(seeded_database, texts, clock, tmp_path / "media")


async def test_the_faq_answers_first_in_thai_and_english_and_no_ticket_is_made(
    register: Register, seeded_database: Database
) -> None:
    """A Thai and an English question each find their FAQ entry; "this answers it" sends none."""
    officer = await register("khon-kaen", Role.OFFICER, channel=Channel.LINE)
    await register("depa", Role.COORDINATOR, channel=Channel.LINE)

    await officer.send("/ask กติกาการประกวดเป็นอย่างไร")
    assert officer.text.startswith("คำตอบจากคำถามที่พบบ่อยเหล่านี้อาจช่วยได้:\n\n❓ การประกวดแผน")
    assert "เมืองนำร่องทั้ง 14 เมืองสมัครได้" in officer.text  # the answer itself
    assert [o.label for o in officer.options()] == ["ได้คำตอบแล้ว", "ถามเจ้าหน้าที่"]
    await officer.choose("ได้คำตอบแล้ว")
    assert officer.text.startswith("ยินดีที่ช่วยได้")

    english = await register("yala", Role.EXECUTIVE, channel=Channel.LINE, language="en")
    await english.send("/ask how do I report progress on our plans")
    assert english.text.startswith("These answers from the FAQ may help:\n\n❓ How do I report")
    assert english.text.count("❓") == 1  # weaker matches are not offered beside a strong one
    await english.choose("This answers it")

    assert await ticket_count(seeded_database) == 0
    assert await pushed(seeded_database, "ticket:") == []
    await english.press(AskPressed(AskAct.PERSON).pack())  # the question is no longer waiting
    assert english.text.startswith("That question is no longer waiting.")
    assert await ticket_count(seeded_database) == 0


async def test_a_question_the_faq_cannot_answer_becomes_a_ticket_depa_is_told(
    register: Register, seeded_database: Database
) -> None:
    """ถามเจ้าหน้าที่ → the question → no FAQ answer → Send: ticket #N, coordinators notified."""
    coordinator = await register("depa", Role.COORDINATOR, channel=Channel.TELEGRAM)
    officer = await register(
        "songkhla", Role.OFFICER, channel=Channel.LINE, display_name="สุดา ทดสอบ"
    )

    await officer.send("ถามเจ้าหน้าที่")
    assert officer.text == "ต้องการถามอะไร depa พิมพ์คำถามได้เลย (ไม่เกิน 2000 ตัวอักษร)"
    await officer.send(UNKNOWN_TO_THE_FAQ)
    assert officer.text.startswith("ไม่พบคำตอบในคำถามที่พบบ่อย ส่งคำถามนี้ถึงเจ้าหน้าที่ depa ไหม")
    assert await ticket_count(seeded_database) == 0
    await officer.choose("ส่ง")

    (ticket,) = await tickets(seeded_database)
    assert officer.text.startswith(f"ส่งถึง depa แล้ว เป็นคำถามเลขที่ #{ticket.id}")
    assert (ticket.question, ticket.status, ticket.channel) == (
        UNKNOWN_TO_THE_FAQ,
        TicketStatus.OPEN,
        Channel.LINE,
    )
    assert ticket.first_reply_at is None and ticket.asked_at == ticket.last_message_at
    (notice,) = await pushed(seeded_database, "ticket:")
    assert notice.channel is Channel.TELEGRAM and coordinator.user_id in notice.recipients
    assert said(notice) == (
        f"❓ คำถามใหม่ #{ticket.id} จาก สุดา ทดสอบ, จังหวัดสงขลา:\n{UNKNOWN_TO_THE_FAQ}"
    )
    assert buttons(notice) == [ReplyPressed(ticket.id).pack()]
    assert await step_of(seeded_database, officer) is None


async def test_reply_answer_back_and_close_thread_the_ticket(
    register: Register, seeded_database: Database
) -> None:
    """/reply, the asker's Answer back, the Reply button, then Close: each side told, in order."""
    coordinator = await register(
        "depa", Role.COORDINATOR, channel=Channel.TELEGRAM, display_name="Nok", language="en"
    )
    partner_firm_member = await register("phuket", Role.EXECUTIVE, channel=Channel.LINE)
    await partner_firm_member.send(f"/ask {UNKNOWN_TO_THE_FAQ}")
    await partner_firm_member.choose("ส่ง")
    (ticket,) = await tickets(seeded_database)

    await coordinator.send(f"/reply {ticket.id} โทร 02-141-7100 ต่อ 2 ได้เลยครับ")
    assert coordinator.text == f"Reply sent to someone (Phuket) on question #{ticket.id}."
    (asked,) = await tickets(seeded_database)
    assert asked.status is TicketStatus.ANSWERED and asked.first_reply_at is not None
    first_reply = asked.first_reply_at
    answer = (await pushed(seeded_database, f"ticket:{ticket.id}:m"))[-1]
    assert answer.channel is Channel.LINE
    assert said(answer) == (
        f"💬 คำตอบของคำถาม #{ticket.id}: {UNKNOWN_TO_THE_FAQ}\n\n"
        "โทร 02-141-7100 ต่อ 2 ได้เลยครับ\n— Nok, depa"
    )
    assert buttons(answer) == [AnswerBack(ticket.id).pack(), CloseTicket(ticket.id).pack()]

    await partner_firm_member.press(AnswerBack(ticket.id).pack())
    assert partner_firm_member.text.startswith(f"พิมพ์ข้อความตอบกลับ depa ในคำถาม #{ticket.id}")
    await partner_firm_member.send("ขอบคุณครับ แล้วต้องติดต่อช่วงเวลาไหน")
    assert partner_firm_member.text == f"ส่งถึง depa แล้ว ในคำถาม #{ticket.id}"
    (asked,) = await tickets(seeded_database)
    assert asked.status is TicketStatus.OPEN
    back = (await pushed(seeded_database, f"ticket:{ticket.id}:m"))[-1]
    assert back.channel is Channel.TELEGRAM
    assert "wrote again on question" in said(back)
    assert buttons(back) == [ReplyPressed(ticket.id).pack()]

    await coordinator.press(ReplyPressed(ticket.id).pack())
    assert coordinator.text.startswith(f"Type your reply to #{ticket.id}")
    await coordinator.send("09:00-16:30 ครับ")
    (asked,) = await tickets(seeded_database)
    assert asked.status is TicketStatus.ANSWERED
    assert asked.first_reply_at == first_reply  # the first reply's time is kept
    messages = await thread(seeded_database, ticket.id)
    assert [(m.from_depa, m.text) for m in messages] == [
        (True, "โทร 02-141-7100 ต่อ 2 ได้เลยครับ"),
        (False, "ขอบคุณครับ แล้วต้องติดต่อช่วงเวลาไหน"),
        (True, "09:00-16:30 ครับ"),
    ]
    assert [m.channel for m in messages] == [Channel.TELEGRAM, Channel.LINE, Channel.TELEGRAM]

    await partner_firm_member.send(f"/ask close {ticket.id}")
    assert partner_firm_member.text == f"ปิดคำถาม #{ticket.id} แล้ว"
    (closed,) = await tickets(seeded_database)
    assert closed.status is TicketStatus.CLOSED and closed.closed_at is not None
    (told,) = await pushed(seeded_database, f"ticket:{ticket.id}:closed")
    assert "closed question" in said(told) and told.channel is Channel.TELEGRAM

    await coordinator.send(f"/reply {ticket.id} one more thing")
    assert coordinator.text.startswith(f"Question #{ticket.id} is closed; nothing more")
    assert len(await thread(seeded_database, ticket.id)) == 3  # nothing added
    actions = await audit_actions(seeded_database)
    assert actions == [
        "ticket.asked",
        "ticket.replied",
        "ticket.answered_back",
        "ticket.replied",
        "ticket.closed",
    ]


async def audit_actions(db: Database) -> list[str]:
    """The ticket actions audited, in order."""
    async with db.sessions() as session:
        rows = await session.scalars(
            select(AuditLog.action)
            .where(AuditLog.action.startswith("ticket."))
            .order_by(AuditLog.id)
        )
        return list(rows)


async def test_depa_closes_and_the_asker_is_told(
    register: Register, seeded_database: Database
) -> None:
    """A coordinator's Close reaches the asker; the asker's Answer back is then refused."""
    coordinator = await register("depa", Role.ADMIN, channel=Channel.TELEGRAM)
    asker = await register("yala", Role.OFFICER, channel=Channel.LINE, language="en")
    await asker.send(f"/ask {UNKNOWN_TO_THE_FAQ}")
    await asker.choose("Send")
    (ticket,) = await tickets(seeded_database)

    await coordinator.press(CloseTicket(ticket.id).pack())
    assert coordinator.text == f"ปิดคำถาม #{ticket.id} แล้ว"
    (told,) = await pushed(seeded_database, f"ticket:{ticket.id}:closed")
    assert said(told).startswith(f"depa closed your question #{ticket.id}")
    assert told.channel is Channel.LINE

    await asker.press(AnswerBack(ticket.id).pack())
    assert asker.text.startswith(f"Question #{ticket.id} is closed")


async def test_free_text_nobody_placed_reaches_the_faq_then_a_person(
    register: Register, seeded_database: Database
) -> None:
    """Unplaced words: FAQ answers when they fit, else the help and "Ask a person", which sends."""
    await register("depa", Role.COORDINATOR, channel=Channel.LINE)
    officer = await register("krabi", Role.OFFICER, channel=Channel.LINE, language="en")

    await officer.send("what incentives does the BOI give")  # understood as a question
    assert officer.text.startswith("These answers from the FAQ may help:\n\n❓ What incentives")
    await officer.send("qwerty")  # read afresh: the help again, not "send this?"
    assert officer.text.startswith("Sorry, I did not understand.")
    await officer.send("/help")  # nothing was being typed: no "not sent" notice
    assert officer.text.startswith("What you can do:")
    await officer.send("we want to host the next meetup, who decides")
    assert officer.text.startswith("Sorry, I did not understand.")
    assert "Or send what you typed to a person at depa:" in officer.text
    await officer.choose("Ask a person")

    (ticket,) = await tickets(seeded_database)
    assert ticket.question == "we want to host the next meetup, who decides"
    assert officer.text.startswith(f"Sent to depa as question #{ticket.id}.")


async def test_member_lists_their_questions_in_buddhist_era_dates(
    register: Register, seeded_database: Database, clock: FrozenClock
) -> None:
    """/ask list: newest first, status and dates in Bangkok time, the Thai year in B.E."""
    coordinator = await register("depa", Role.COORDINATOR, channel=Channel.TELEGRAM)
    officer = await register("chiang-mai", Role.OFFICER, channel=Channel.LINE)
    await officer.send("/ask list")
    assert officer.text == "คุณยังไม่เคยถาม depa พิมพ์ /ask เพื่อถาม"
    for question in (UNKNOWN_TO_THE_FAQ, "ขอแบบฟอร์มเบิกค่าเดินทางไปเวิร์กช็อปครั้งหน้า"):
        await officer.send(f"/ask {question}")
        await officer.choose("ส่ง")
    first, second = await tickets(seeded_database)
    await coordinator.send(f"/reply {first.id} ได้ครับ")

    await officer.send("/ask list")
    assert officer.text.startswith("คำถามของคุณถึง depa ล่าสุดก่อน:\n\n")
    assert officer.text.index(f"#{second.id}") < officer.text.index(f"#{first.id} ")
    assert f"#{first.id} · ตอบแล้ว · ถามเมื่อ 24 พ.ย. 2569 10:00 น." in officer.text
    assert "ตอบครั้งแรก 24 พ.ย. 2569 10:00 น." in officer.text
    assert f"#{second.id} · รอ depa ตอบ" in officer.text

    await coordinator.send("/tickets")
    assert f"#{second.id} · " in coordinator.text and f"#{first.id} · " not in coordinator.text
    assert [o.payload for o in coordinator.options()] == [ReplyPressed(second.id).pack()]


# --- bad input ----------------------------------------------------------------------------------


async def test_a_10000_character_question_is_refused_and_nothing_saved(
    register: Register, seeded_database: Database
) -> None:
    """Too long, typed or after /ask: the limit said, no ticket, no state kept."""
    officer = await register("bangkok", Role.OFFICER, channel=Channel.LINE, language="en")
    await officer.send("/ask " + "ก" * 10_000)
    assert officer.text == (
        "That is 10000 characters; a question or message may be at most 2000. "
        "Please shorten it; nothing was sent."
    )
    await officer.send("/ask")
    await officer.send("x " * 5_000)
    assert officer.text.startswith("That is 9999 characters")
    assert await step_of(seeded_database, officer) is None
    assert await ticket_count(seeded_database) == 0


async def test_replies_to_unknown_closed_or_others_tickets_are_refused(
    register: Register, seeded_database: Database
) -> None:
    """Unknown ticket, no number, another's buttons, a non-coordinator's /reply: clear messages."""
    coordinator = await register("depa", Role.COORDINATOR, channel=Channel.LINE, language="en")
    asker = await register("pattaya", Role.OFFICER, channel=Channel.LINE, language="en")
    stranger = await register("pattaya", Role.EXECUTIVE, channel=Channel.LINE, language="en")
    await asker.send(f"/ask {UNKNOWN_TO_THE_FAQ}")
    await asker.choose("Send")
    (ticket,) = await tickets(seeded_database)

    await coordinator.send("/reply 99999 hello")
    assert coordinator.text == "There is no question #99999."
    await coordinator.send("/reply soon")
    assert coordinator.text.startswith("Type /reply TICKET TEXT")
    await coordinator.send(f"/reply {ticket.id} " + "y" * 2001)
    assert coordinator.text.startswith("That is 2001 characters")
    await stranger.send(f"/reply {ticket.id} I can answer that")
    assert stranger.text.startswith("Only depa's coordinators answer questions.")
    await stranger.press(AnswerBack(ticket.id).pack())
    assert stranger.text == f"Question #{ticket.id} is not yours."
    await stranger.press(CloseTicket(ticket.id).pack())
    assert stranger.text == f"Question #{ticket.id} is not yours."
    await stranger.send("/ask close 99999")
    assert stranger.text == "There is no question #99999."

    (unchanged,) = await tickets(seeded_database)
    assert unchanged.status is TicketStatus.OPEN and unchanged.first_reply_at is None
    assert await thread(seeded_database, ticket.id) == []


@pytest.mark.parametrize(
    ("role", "org", "may_reply"),
    [
        (Role.EXECUTIVE, "khon-kaen", False),
        (Role.OFFICER, "khon-kaen", False),
        (Role.PARTNER, None, False),
        (Role.COORDINATOR, "depa", True),
        (Role.ADMIN, "depa", True),
    ],
)
async def test_role_by_action(
    register: Register,
    seeded_database: Database,
    role: Role,
    org: str | None,
    may_reply: bool,
) -> None:
    """Every role may /ask (depa hears it answers instead); only depa replies and lists tickets."""
    if org is None:
        await add_partner_firm(seeded_database)
        org = "test-firm"
    member = await register(org, role, channel=Channel.LINE, language="en")
    asker = await register("yala", Role.OFFICER, channel=Channel.LINE, language="en")
    await asker.send(f"/ask {UNKNOWN_TO_THE_FAQ}")
    await asker.choose("Send")
    (ticket,) = await tickets(seeded_database)

    await member.send("/ask")
    depa_note = "You are depa staff" in member.text
    assert depa_note is may_reply
    assert "What would you like to ask depa?" in member.text
    await member.send("/tickets")
    listed = f"#{ticket.id} · " in member.text
    assert listed is may_reply
    await member.send(f"/reply {ticket.id} answer")
    replied = member.text.endswith(f"on question #{ticket.id}.")
    assert replied is may_reply
    await member.press(ReplyPressed(ticket.id).pack())
    pressed = member.text.startswith(f"Type your reply to #{ticket.id}")
    assert pressed is may_reply
    (after,) = await tickets(seeded_database)
    expected = TicketStatus.ANSWERED if may_reply else TicketStatus.OPEN
    assert after.status is expected


async def test_forget_closes_the_askers_tickets_and_blanks_what_they_wrote(
    register: Register, seeded_database: Database
) -> None:
    """/forget: open tickets closed, the question and the asker's messages blanked; depa's kept."""
    coordinator = await register("depa", Role.COORDINATOR, channel=Channel.TELEGRAM)
    asker = await register("ubon-ratchathani", Role.OFFICER, channel=Channel.LINE)
    await asker.send(f"/ask {UNKNOWN_TO_THE_FAQ}")
    await asker.choose("ส่ง")
    (ticket,) = await tickets(seeded_database)
    await coordinator.send(f"/reply {ticket.id} ได้ครับ")
    await asker.press(AnswerBack(ticket.id).pack())
    await asker.send("เบอร์ของคุณสมชาย 081-234-5678")

    await asker.send("/forget")
    await asker.choose("ลบข้อมูลของฉัน")

    (erased,) = await tickets(seeded_database)
    assert erased.status is TicketStatus.CLOSED and erased.closed_at is not None
    assert erased.question == ""
    assert [(m.from_depa, m.text) for m in await thread(seeded_database, ticket.id)] == [
        (True, "ได้ครับ"),
        (False, ""),
    ]


async def test_keywords_and_depa_free_text(register: Register, seeded_database: Database) -> None:
    """ติดต่อ depa TEXT asks at once; depa staff's unplaced words get the help, not the FAQ."""
    coordinator = await register("depa", Role.COORDINATOR, channel=Channel.LINE, language="en")
    officer = await register("phitsanulok", Role.OFFICER, channel=Channel.LINE)

    await officer.send("ติดต่อ depa กติกาการประกวดเป็นอย่างไร")
    assert officer.text.startswith("คำตอบจากคำถามที่พบบ่อยเหล่านี้อาจช่วยได้:")
    await coordinator.send("qwerty uiop")
    assert coordinator.text.startswith("Sorry, I did not understand.")
    assert "Ask a person" not in coordinator.text
    assert await step_of(seeded_database, coordinator) is None


async def test_a_too_long_answer_back_keeps_the_step_for_a_shorter_one(
    register: Register, seeded_database: Database
) -> None:
    """Answer back of 2,001 characters: refused, still typing; the shorter one is sent."""
    coordinator = await register("depa", Role.COORDINATOR, channel=Channel.TELEGRAM)
    asker = await register("nakhon-si-thammarat", Role.EXECUTIVE, channel=Channel.LINE)
    await asker.send(f"/ask {UNKNOWN_TO_THE_FAQ}")
    await asker.choose("ส่ง")
    (ticket,) = await tickets(seeded_database)
    await coordinator.send(f"/reply {ticket.id} ได้ครับ")

    await asker.press(AnswerBack(ticket.id).pack())
    await asker.send("ข" * 2001)
    assert asker.text.startswith("ข้อความยาว 2001 ตัวอักษร")
    assert await step_of(seeded_database, asker) == "ask.answer"
    await asker.send("ขอบคุณค่ะ")
    assert asker.text == f"ส่งถึง depa แล้ว ในคำถาม #{ticket.id}"
    assert [m.text for m in await thread(seeded_database, ticket.id)] == ["ได้ครับ", "ขอบคุณค่ะ"]
