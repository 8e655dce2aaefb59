"""Sending through the real SDK: blocked bots, flood waits, passing and lasting failures, files."""

from __future__ import annotations

from datetime import timedelta

from bot.core.replies import Document, Text
from bot.core.texts import Texts
from db.enums import Language, OutboxStatus, Role
from tests.channels.telegram.conftest import SOMCHAI, TelegramHarness, methods_of
from tests.conftest import InviteFactory
from tests.fakes.telegram_api import BLOCKED

TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


async def test_a_blocked_bot_fails_the_message_and_marks_the_account(
    telegram: TelegramHarness, make_invite: InviteFactory
) -> None:
    """403 "bot was blocked by the user" → the message is blocked and so is the identity."""
    await telegram.register(SOMCHAI, await make_invite("songkhla", Role.OFFICER))
    message_id = await telegram.queue(SOMCHAI.id, Text(text="ประกาศจาก depa"))
    telegram.api.fail("sendMessage", 403, BLOCKED)

    await telegram.app.drain()

    row = await telegram.outbox_row(message_id)
    assert row.status is OutboxStatus.BLOCKED
    assert row.last_error is not None
    assert "blocked by the user" in row.last_error
    assert (await telegram.identity_of(SOMCHAI)).blocked


async def test_a_flood_wait_is_retried_after_exactly_retry_after(
    telegram: TelegramHarness,
) -> None:
    """429 with retry_after → the next attempt is due exactly then, and the text goes once."""
    message_id = await telegram.queue(SOMCHAI.id, Text(text="แจ้งเตือนกำหนดส่งแผน"))
    telegram.api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    sent_at = telegram.clock.now()

    await telegram.app.drain()

    row = await telegram.outbox_row(message_id)
    assert row.status is OutboxStatus.PENDING
    assert row.attempts == 1
    assert row.next_attempt_at == sent_at + timedelta(seconds=1)
    assert row.last_error is not None
    assert "RetryAfter" in row.last_error

    telegram.clock.advance(timedelta(seconds=1))
    await telegram.app.drain()

    assert (await telegram.outbox_row(message_id)).status is OutboxStatus.SENT
    assert len(telegram.api.calls_to("sendMessage")) == 2  # the refused try and the one that went


async def test_a_server_error_is_retried_and_sent_parts_are_not_repeated(
    telegram: TelegramHarness,
) -> None:
    """500 on the second of two texts: the retry sends only the second; the first goes once."""
    message_id = await telegram.queue(SOMCHAI.id, Text(text="ข้อแรก"), Text(text="ข้อสอง"))
    telegram.api.fail("sendMessage", 500, "Internal Server Error", skip=1)

    await telegram.app.drain()

    row = await telegram.outbox_row(message_id)
    assert row.status is OutboxStatus.PENDING
    assert row.next_attempt_at > telegram.clock.now()

    telegram.clock.advance(timedelta(minutes=5))
    await telegram.app.drain()

    row = await telegram.outbox_row(message_id)
    assert row.status is OutboxStatus.SENT
    sent = [call for call in telegram.api.calls if call.result is not None]
    assert [call.params["text"] for call in sent] == ["ข้อแรก", "ข้อสอง"]
    assert row.platform_ids == [str(call.result["message_id"]) for call in sent]


async def test_a_bad_request_fails_for_good_with_telegrams_reason(
    telegram: TelegramHarness,
) -> None:
    """400 → failed, not retried, Telegram's description kept."""
    message_id = await telegram.queue(SOMCHAI.id, Text(text="สวัสดี"))
    telegram.api.fail("sendMessage", 400, "Bad Request: chat not found")

    await telegram.app.drain()

    row = await telegram.outbox_row(message_id)
    assert row.status is OutboxStatus.FAILED
    assert row.last_error is not None
    assert "Chat not found" in row.last_error
    assert len(telegram.api.calls_to("sendMessage")) == 1


async def test_a_rejected_token_pauses_instead_of_burning_retries(
    telegram: TelegramHarness,
) -> None:
    """401 (token revoked) holds the message for later rather than failing it or retrying hot."""
    message_id = await telegram.queue(SOMCHAI.id, Text(text="สวัสดี"))
    telegram.api.fail("sendMessage", 401, "Unauthorized")

    await telegram.app.drain()

    row = await telegram.outbox_row(message_id)
    assert row.status is OutboxStatus.PENDING
    assert row.next_attempt_at >= telegram.clock.now() + timedelta(minutes=30)
    assert "***" not in (row.last_error or "")  # nothing to redact: the token never appears


async def test_a_late_button_answer_does_not_lose_the_reply(
    telegram: TelegramHarness, make_invite: InviteFactory, texts: Texts
) -> None:
    """answerCallbackQuery refused as too old: the welcome still goes and counts as sent."""
    code = await make_invite("chiang-mai", Role.OFFICER)
    await telegram.says(SOMCHAI, f"/start {code}")
    telegram.api.fail("answerCallbackQuery", 400, TOO_OLD)

    calls = await telegram.presses(SOMCHAI, texts.get(Language.TH, "consent.accept"))

    assert methods_of(calls) == ["answerCallbackQuery", "editMessageReplyMarkup", "sendMessage"]
    assert await telegram.member_of(SOMCHAI) is not None


async def test_a_document_is_sent_by_url(telegram: TelegramHarness) -> None:
    """Document → sendDocument with the URL and an HTML caption."""
    await telegram.queue(
        SOMCHAI.id,
        Document(title="Smart City Toolkit", url="https://materials.test/toolkit.pdf"),
    )

    await telegram.app.drain()

    (call,) = telegram.api.calls
    assert call.method == "sendDocument"
    assert call.params["document"] == "https://materials.test/toolkit.pdf"
    assert call.params["caption"] == "<b>Smart City Toolkit</b>"
    assert call.params["parse_mode"] == "HTML"


async def test_a_document_telegram_cannot_fetch_becomes_a_link(
    telegram: TelegramHarness,
) -> None:
    """Telegram refusing the document URL → a message with a link button instead; still sent."""
    telegram.api.refuse_document_urls = True
    message_id = await telegram.queue(
        SOMCHAI.id,
        Document(title="Toolkit", url="https://materials.test/t.pdf", caption="สไลด์ 40 หน้า"),
    )

    await telegram.app.drain()

    assert methods_of([{"method": c.method} for c in telegram.api.calls]) == [
        "sendDocument",
        "sendMessage",
    ]
    link = telegram.api.calls[-1].params
    assert link["text"] == "<b>Toolkit</b>\nสไลด์ 40 หน้า"
    assert link["reply_markup"]["inline_keyboard"] == [
        [{"text": "Toolkit", "url": "https://materials.test/t.pdf"}]
    ]
    assert (await telegram.outbox_row(message_id)).status is OutboxStatus.SENT


async def test_a_document_with_its_bytes_is_uploaded(telegram: TelegramHarness) -> None:
    """Document with content → a multipart sendDocument carrying those bytes under its name;
    the bytes went through the outbox row and came back whole."""
    feed = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    message_id = await telegram.queue(
        SOMCHAI.id,
        Document(
            title="ปฏิทิน",
            url="https://bot.test/calendar/t.ics",
            caption="เปิดไฟล์นี้",
            file_name="citybot.ics",
            content=feed,
        ),
    )

    await telegram.app.drain()

    (call,) = telegram.api.delivered("sendDocument")
    (upload,) = telegram.api.uploads
    assert call.params["document"] is upload
    assert (upload.field, upload.filename, upload.data) == ("document", "citybot.ics", feed)
    assert call.params["caption"] == "<b>ปฏิทิน</b>\nเปิดไฟล์นี้"
    assert call.result["document"]["file_name"] == "citybot.ics"
    assert (await telegram.outbox_row(message_id)).status is OutboxStatus.SENT


async def test_a_url_telegram_does_not_fetch_becomes_a_link(telegram: TelegramHarness) -> None:
    """The Bot API fetches only GIF, PDF and ZIP by URL: an .ics by URL falls back to its link."""
    await telegram.queue(SOMCHAI.id, Document(title="ปฏิทิน", url="https://bot.test/c/t.ics"))

    await telegram.app.drain()

    assert [c.method for c in telegram.api.calls] == ["sendDocument", "sendMessage"]
    assert telegram.api.uploads == []
    keys = telegram.api.calls[-1].params["reply_markup"]["inline_keyboard"]
    assert keys == [[{"text": "ปฏิทิน", "url": "https://bot.test/c/t.ics"}]]
