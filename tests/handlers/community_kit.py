"""Chats that raise community needs: a question that became a ticket, free text in two months,
and what must not count (a newcomer, a command, a group)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.core.clock import FrozenClock
from db.enums import ChatKind, Role
from handlers.questions.payloads import AskAct, AskPressed
from tests.chatdriver import ChatDriver
from tests.handlers.progress_kit import Register

QUESTION = "ขอคำแนะนำเรื่องการจัดการขยะในชุมชน"
MESSAGES = (
    "อยากรู้วิธีลดขยะพลาสติกในชุมชน",
    "รถติดมากช่วงเย็น อยากได้ระบบจราจรที่ดีขึ้น",
    "ขยะในชุมชนเยอะมากหลังงานเทศกาล",
)
NOT_COUNTED = ("ขยะเต็มเมืองเลยครับ", "ขยะล้นถังกลางชุมชน")


async def raise_needs(
    register: Register, new_chat: Callable[..., ChatDriver], clock: FrozenClock
) -> None:
    """Environment: a ticket and two messages (November, December); mobility: one message."""
    officer = await register("khon-kaen", Role.OFFICER)
    await officer.send(QUESTION)
    await officer.press(AskPressed(AskAct.PERSON).pack())  # sent on to depa: a ticket
    await officer.send(MESSAGES[0])
    executive = await register("yala", Role.EXECUTIVE)
    await executive.send(MESSAGES[1])
    await executive.send("/help")
    await new_chat("u-stranger").send(NOT_COUNTED[0])  # not a member
    group = new_chat(officer.user_id, chat_id="g-khon-kaen", chat_kind=ChatKind.GROUP)
    await group.send(NOT_COUNTED[1])  # said in a group
    clock.advance(timedelta(days=10))  # 4 December in Bangkok
    await officer.send(MESSAGES[2])
