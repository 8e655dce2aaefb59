"""Replies as the outbox stores them: JSON that comes back as the same reply, documents with
their bytes (base64, capped), and rows stored before documents could carry bytes."""

from __future__ import annotations

import json

import pytest

from bot.core.replies import (
    MAX_DOCUMENT_CONTENT,
    Document,
    Reply,
    ReplyError,
    reply_from_data,
    reply_to_data,
)
from tests.channels.sample_replies import EVERY_REPLY

FEED = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
WITH_FILE = Document(
    title="ปฏิทินของฉัน",
    url="https://bot.test/calendar/abc.ics",
    caption="เปิดไฟล์ .ics",
    file_name="citybot.ics",
    content=FEED,
)


def stored(reply: Reply) -> Reply:
    """`reply` after a trip through the outbox's JSON column."""
    return reply_from_data(json.loads(json.dumps(reply_to_data(reply))))


@pytest.mark.parametrize("reply", [*EVERY_REPLY, WITH_FILE], ids=lambda r: type(r).__name__)
def test_every_reply_comes_back_from_the_outbox_unchanged(reply: Reply) -> None:
    """Each reply type, and a document with its bytes, survives JSON as an equal reply."""
    assert stored(reply) == reply


def test_a_documents_bytes_are_stored_as_base64() -> None:
    """The bytes are base64 text in the row and the very same bytes when read back."""
    data = reply_to_data(WITH_FILE)
    assert isinstance(data["content"], str) and FEED not in data["content"].encode()
    back = stored(WITH_FILE)
    assert isinstance(back, Document) and back.content == FEED


def test_a_document_without_bytes_is_stored_as_before() -> None:
    """No `content` key for a URL document, and a row written before the field loads."""
    plain = Document(title="Toolkit", url="https://materials.test/t.pdf", file_name="t.pdf")
    assert reply_to_data(plain) == {
        "type": "Document",
        "title": "Toolkit",
        "url": "https://materials.test/t.pdf",
        "caption": "",
        "file_name": "t.pdf",
    }
    old_row = {"type": "Document", "title": "Toolkit", "url": "https://x.test/t.pdf"}
    old = reply_from_data(old_row)
    assert isinstance(old, Document) and old.content is None and old.caption == ""


def test_the_content_cap() -> None:
    """Up to MAX_DOCUMENT_CONTENT bytes are taken; one byte more is refused, saying why."""
    largest = Document(
        title="t",
        url="https://x.test/a.ics",
        file_name="a.ics",
        content=b"x" * MAX_DOCUMENT_CONTENT,
    )
    assert stored(largest) == largest
    with pytest.raises(ReplyError, match=f"at most {MAX_DOCUMENT_CONTENT} bytes"):
        Document(
            title="t",
            url="https://x.test/a.ics",
            file_name="a.ics",
            content=b"x" * (MAX_DOCUMENT_CONTENT + 1),
        )


def test_content_needs_a_file_name_and_bytes() -> None:
    """A file to upload has a name and is not empty."""
    with pytest.raises(ReplyError, match="file_name"):
        Document(title="t", url="https://x.test/a.ics", content=FEED)
    with pytest.raises(ReplyError, match="empty"):
        Document(title="t", url="https://x.test/a.ics", file_name="a.ics", content=b"")


def test_a_row_whose_content_is_not_base64_is_refused() -> None:
    """A damaged row is a ReplyError, not bytes made up from it."""
    data = reply_to_data(WITH_FILE) | {"content": "ไม่ใช่ base64!"}
    with pytest.raises(ReplyError, match="base64"):
        reply_from_data(data)
