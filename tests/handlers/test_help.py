"""Help and bad input: every odd message gets a helpful answer in the member's language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.events import FileReceived, LocationShared, StickerReceived
from db.enums import ChatKind, Role
from tests.chatdriver import ChatDriver

Register = Callable[..., Awaitable[ChatDriver]]


async def test_help_lists_what_the_role_can_do(register: Register) -> None:
    """An executive's help shows invites; an officer's does not."""
    executive = await register("pattaya", Role.EXECUTIVE)
    await executive.send("ช่วยเหลือ")
    assert "/invite" in executive.text and "/forget" in executive.text
    officer = await register("pattaya", Role.OFFICER)
    await officer.send("/help")
    assert "/invite" not in officer.text and "/materials" in officer.text


async def test_odd_input_gets_help_never_a_traceback(register: Register) -> None:
    """Empty, huge, emoji, unknown commands and gibberish all get a hint and the menu."""
    member = await register("bangkok", Role.OFFICER)
    for text in ("", "   ", "x" * 10_000, "😀🎉", "asdfghjkl", "/nosuchcommand now"):
        await member.send(text)
        assert member.options(), text
        assert "Traceback" not in member.text
        assert len(member.text) < 2_000  # never echoes a huge message back
    await member.send("/nosuchcommand")
    assert "/nosuchcommand" in member.text


async def test_odd_input_in_english(register: Register) -> None:
    """The same hints come in English for English readers."""
    member = await register("bangkok", Role.OFFICER)
    await member.send("/lang en")
    await member.send("blah blah")
    assert "did not understand" in member.text


async def test_stickers_files_and_locations_are_acknowledged(register: Register) -> None:
    """Non-text messages get a friendly answer, not silence."""
    member = await register("songkhla", Role.OFFICER)
    now = member.dispatcher.services.clock.now()
    user, chat = member.user, member.chat
    await member.event(StickerReceived(user=user, chat=chat, occurred_at=now))
    assert "สติกเกอร์" in member.text
    await member.event(
        FileReceived(user=user, chat=chat, occurred_at=now, kind="image", file_ref="f1")
    )
    assert "ได้รับไฟล์" in member.text
    await member.event(
        LocationShared(user=user, chat=chat, occurred_at=now, latitude=7.0, longitude=100.5)
    )
    assert "ได้รับตำแหน่ง" in member.text


async def test_newcomer_sticker_gets_the_greeting(new_chat: Callable[..., ChatDriver]) -> None:
    """A newcomer's first sticker is answered with the greeting and the code question."""
    chat = new_chat("u-sticker")
    now = chat.dispatcher.services.clock.now()
    await chat.event(StickerReceived(user=chat.user, chat=chat.chat, occurred_at=now))
    assert "รหัสเชิญ" in chat.text


async def test_groups_answer_commands_only(
    register: Register, new_chat: Callable[..., ChatDriver]
) -> None:
    """In a group, chatter is ignored but commands work."""
    await register("yala", Role.OFFICER, user_id="u-yala")
    group = new_chat("u-yala", chat_id="g-yala", chat_kind=ChatKind.GROUP)
    await group.send("ใครว่างบ้าง")
    assert group.last == []
    await group.send("/help@citybot")
    assert "/materials" in group.text


async def test_issue10_emoji_only_gets_a_friendly_nudge(register: Register) -> None:
    """👍 or 🙏🙏 is a nod, answered kindly with the menu, not 'did not understand'."""
    member = await register("phuket", Role.OFFICER)
    for nod in ("👍", "🙏🙏", "😊 !"):
        await member.send(nod)
        assert "ขอบคุณ" in member.text and "ยังไม่เข้าใจ" not in member.text
    await member.send("   ")  # blank is not a nod
    assert "ขอบคุณ" not in member.text
    await member.send("/lang en")
    await member.send("👍")
    assert "Thank you" in member.text
