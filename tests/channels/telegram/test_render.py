"""Our replies as Telegram messages: split, escaped, with keyboards, cards, links, documents."""

from __future__ import annotations

import html

import pytest
from telegram import InlineKeyboardMarkup

from bot.channels.telegram.render import (
    TEXT_LIMIT,
    DocumentOut,
    MessageOut,
    render,
    split_text,
    units,
)
from bot.core.replies import (
    Button,
    Card,
    Cards,
    Choice,
    Choices,
    Document,
    Link,
    ReplyError,
    Text,
)
from db.enums import OutboxStatus, Role
from tests.channels.telegram.conftest import SOMCHAI, TelegramHarness, texts_of
from tests.conftest import InviteFactory


def _keys(markup: InlineKeyboardMarkup | None) -> list[list[tuple[str, str | None, str | None]]]:
    assert markup is not None
    return [
        [(k.text, None if k.callback_data is None else str(k.callback_data), k.url) for k in row]
        for row in markup.inline_keyboard
    ]


def _messages(reply: Text | Choices | Cards | Link) -> list[MessageOut]:
    rendered = render(reply)
    assert all(isinstance(message, MessageOut) for message in rendered)
    return [message for message in rendered if isinstance(message, MessageOut)]


async def test_long_text_is_split_at_4096_and_escaped(telegram: TelegramHarness) -> None:
    """A 10,000-character text with markup-like words arrives whole, escaped, in ≤ 4,096 pieces."""
    line = "แผนเมืองอัจฉริยะ <b>ขอนแก่น</b> & ภูเก็ต: ความคืบหน้า 50% <script>"
    text = "\n".join(f"{n}. {line}" for n in range(160))
    assert len(text) > 2 * TEXT_LIMIT

    await telegram.queue(SOMCHAI.id, Text(text=text))
    await telegram.app.drain()

    sent = texts_of([{"method": "sendMessage", **m} for m in telegram.api.messages_to(SOMCHAI.id)])
    assert len(sent) == 3
    shown = [html.unescape(piece) for piece in sent]
    assert all(units(piece) <= TEXT_LIMIT for piece in shown)
    assert "\n".join(shown) == text  # cut at line breaks: nothing lost, nothing added
    assert "<b>" not in "".join(sent)
    assert "&lt;b&gt;ขอนแก่น&lt;/b&gt; &amp; ภูเก็ต" in sent[0]


async def test_what_a_person_typed_is_never_markup(
    telegram: TelegramHarness, make_invite: InviteFactory
) -> None:
    """An unknown command `/<b>x</b>` is echoed back escaped, not as bold text."""
    await telegram.register(SOMCHAI, await make_invite("krabi", Role.OFFICER))

    calls = await telegram.says(SOMCHAI, "/<b>x</b>")

    assert "&lt;b&gt;x&lt;/b&gt;" in texts_of(calls)[0]
    assert "<b>" not in texts_of(calls)[0]


def test_split_counts_emoji_as_two_units() -> None:
    """Telegram counts UTF-16 units: 3,000 emoji (6,000 units) need two messages."""
    pieces = split_text("🏙" * 3000)

    assert [units(piece) for piece in pieces] == [4096, 1904]
    assert "".join(pieces) == "🏙" * 3000


def test_split_cuts_unbroken_thai_where_it_must() -> None:
    """Thai runs without spaces; a run longer than a message is cut, not lost."""
    text = "เมืองอัจฉริยะ" * 700  # 9,100 characters, no space or line break

    pieces = split_text(text)

    assert [len(piece) for piece in pieces] == [4096, 4096, 908]
    assert "".join(pieces) == text


def test_choices_sit_two_a_row_when_short_and_one_when_long() -> None:
    """Short labels pair up; a long Thai label gets its own row; data is versioned."""
    short = Choices(
        text="เลือก", options=tuple(Choice(label=f"ข้อ {n}", payload=f"p:{n}") for n in range(3))
    )
    long = Choices(
        text="เลือก",
        options=(
            Choice(label="เอกสารเวิร์กช็อปเมืองอัจฉริยะ", payload="mat:s:1"),
            Choice(label="ช่วยเหลือ", payload="cmd:help"),
        ),
    )

    assert _keys(_messages(short)[0].keyboard) == [
        [("ข้อ 0", "1|p:0", None), ("ข้อ 1", "1|p:1", None)],
        [("ข้อ 2", "1|p:2", None)],
    ]
    assert _keys(_messages(long)[0].keyboard) == [
        [("เอกสารเวิร์กช็อปเมืองอัจฉริยะ", "1|mat:s:1", None)],
        [("ช่วยเหลือ", "1|cmd:help", None)],
    ]


def test_a_payload_over_64_bytes_fails_loudly() -> None:
    """Callback data is 64 bytes at most: a longer payload is refused while rendering."""
    reply = Choices(text="?", options=(Choice(label="x", payload="mat:" + "ก" * 20),))

    with pytest.raises(ReplyError, match="callback data"):
        render(reply)


async def test_an_unsendable_reply_fails_its_message_and_sends_nothing(
    telegram: TelegramHarness,
) -> None:
    """The outbox records why a too-long button payload could not go, and nothing half-sent."""
    bad = Choices(text="?", options=(Choice(label="x", payload="x" * 70),))

    message_id = await telegram.queue(SOMCHAI.id, Text(text="ก่อน"), bad)
    await telegram.app.drain()

    row = await telegram.outbox_row(message_id)
    assert row.status is OutboxStatus.FAILED
    assert row.last_error is not None
    assert "callback data" in row.last_error
    assert telegram.api.calls == []


def test_few_cards_are_one_message_each_with_their_buttons() -> None:
    """Up to three cards: the intro, then each card titled (linked), with its link buttons."""
    cards = Cards(
        text="เอกสาร <3",
        cards=(
            Card(
                title="Smart Mobility",
                subtitle="Toolkit & slides",
                link="https://materials.test/a?x=1&y=2",
                buttons=(Button(label="Open", url="https://materials.test/a"),),
            ),
            Card(title="Smart Energy", buttons=(Button(label="More", payload="mat:d:energy"),)),
        ),
    )

    intro, first, second = _messages(cards)

    assert intro.text == "เอกสาร &lt;3"
    assert first.text == (
        '<a href="https://materials.test/a?x=1&amp;y=2"><b>Smart Mobility</b></a>\n'
        "Toolkit &amp; slides"
    )
    assert _keys(first.keyboard) == [[("Open", None, "https://materials.test/a")]]
    assert second.text == "<b>Smart Energy</b>"
    assert _keys(second.keyboard) == [[("More", "1|mat:d:energy", None)]]


def test_many_cards_become_one_numbered_list() -> None:
    """Four or more cards: one message listing them, buttons numbered to match."""
    cards = Cards(
        text="ผลการค้นหา",
        cards=tuple(
            Card(
                title=f"Material {n}",
                link=f"https://materials.test/{n}",
                buttons=(Button(label="เปิด", url=f"https://materials.test/{n}"),),
            )
            for n in range(1, 6)
        ),
    )

    (message,) = _messages(cards)

    assert message.text.startswith("ผลการค้นหา\n\n1. ")
    assert "5. <a href=" in message.text
    assert [row[0][0] for row in _keys(message.keyboard)] == [f"{n}. เปิด" for n in range(1, 6)]


def test_a_link_is_a_url_button() -> None:
    """Link → the sentence with one URL button."""
    (message,) = _messages(Link(text="แบบฟอร์ม", label="เปิดแบบฟอร์ม", url="https://forms.test/1"))

    assert message.text == "แบบฟอร์ม"
    assert _keys(message.keyboard) == [[("เปิดแบบฟอร์ม", None, "https://forms.test/1")]]


def test_a_document_goes_by_url_with_a_link_to_fall_back_on() -> None:
    """Document → sendDocument by URL with a bold title caption, and a link message in reserve."""
    (out,) = render(
        Document(title="Toolkit <v2>", url="https://materials.test/t.pdf", caption="120 pages")
    )

    assert isinstance(out, DocumentOut)
    assert out.url == "https://materials.test/t.pdf"
    assert out.caption == "<b>Toolkit &lt;v2&gt;</b>\n120 pages"
    assert _keys(out.fallback.keyboard) == [
        [("Toolkit <v2>", None, "https://materials.test/t.pdf")]
    ]


def test_a_document_with_bytes_carries_them_and_its_file_name() -> None:
    """Document with content → the bytes and file name to upload, the same caption and link."""
    feed = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    (out,) = render(
        Document(title="ปฏิทิน", url="https://bot.test/c.ics", file_name="citybot.ics", content=feed)
    )

    assert isinstance(out, DocumentOut)
    assert (out.content, out.file_name, out.caption) == (feed, "citybot.ics", "<b>ปฏิทิน</b>")
    assert _keys(out.fallback.keyboard) == [[("ปฏิทิน", None, "https://bot.test/c.ics")]]
