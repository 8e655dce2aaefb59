"""Competition entries as files, end to end (issue 13): signed webhooks in, the real SDKs fetch the
file from the fake platforms, the bytes land under the media directory, one submission row names
them, the receipt goes back, and depa's coordinators are told through the outbox.

LINE: a PDF fetched from the content host (`LINE_DATA_API_BASE_URL`, a fake of its own).
Telegram: a Word file sent as a document, fetched with getFile and the file download path.
The clock starts on 24 Nov 2026, before every stage is due (registration 26 Feb 2027 16:30).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.channels.line.render import postback_data
from bot.core.clock import FrozenClock
from db.enums import Channel, Role, SubmissionKind
from db.models import Deadline, OutboundMessage, Submission
from handlers.submissions.payloads import StagePicked
from tests import media_samples as samples
from tests.channels.conftest import member_on
from tests.channels.line.conftest import LineHarness
from tests.channels.telegram.conftest import TelegramHarness, texts_of
from tests.factories import Account
from tests.fakes.line_api import FakeLineApi, Request
from tests.fakes.line_events import user_id
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.telegram_updates import TgUser
from tests.handlers.progress_kit import words
from tests.handlers.submissions_kit import bangkok, set_clock

Harness = LineHarness | TelegramHarness


async def stage_id(harness: Harness, slug: str) -> int:
    """The id of the stage `slug`."""
    async with harness.app.sessions() as session:
        found = await session.scalar(select(Deadline.id).where(Deadline.slug == slug))
    assert found is not None, slug
    return found


async def stored(harness: Harness) -> list[Submission]:
    """Every submission, oldest first."""
    async with harness.app.sessions() as session:
        return list(await session.scalars(select(Submission).order_by(Submission.id)))


async def depa_notices(harness: Harness) -> list[OutboundMessage]:
    """The notices of submissions queued for depa, oldest first."""
    async with harness.app.sessions() as session:
        return list(
            await session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.idempotency_key.startswith("submission:"))
                .order_by(OutboundMessage.id)
            )
        )


def shown(requests: list[Request]) -> str:
    """The texts of the bot's replies (not its pushes to others), joined."""
    replies = [request for request in requests if request.endpoint == "reply"]
    return "\n".join(message.get("text") or "" for r in replies for message in r.json["messages"])


async def line_entry(
    bot: LineHarness, host: FakeLineApi, user: str, slug: str, name: str, data: bytes
) -> str:
    """`user` picks stage `slug`, sends the file `name` from the LINE app and submits it: the
    texts of the bot's answer."""
    picked = bot.events.postback(
        user, postback_data(StagePicked(await stage_id(bot, slug)).pack())
    )
    asked = shown(await bot.deliver(picked))
    assert "ส่งไฟล์ PDF, Word (DOCX) หรือ Excel (XLSX)" in asked, asked
    sent = bot.events.file(user, name=name)
    host.add_content(sent["message"]["id"], data, "application/pdf")
    summary = shown(await bot.deliver(sent))
    assert summary.startswith("ตรวจสอบก่อนส่ง\n"), summary
    return shown(await bot.taps(user, "ยืนยันส่ง"))


async def telegram_entry(
    bot: TelegramHarness, api: FakeTelegramApi, user: TgUser, typed: str, name: str, data: bytes
) -> str:
    """`user` types `typed` (`/submit STAGE`), sends the document `name` and submits it: the
    texts of the bot's answer to them (depa's notice goes out in the same run)."""
    await bot.says(user, typed)
    update = bot.updates.document(user, name, samples.DOCX)
    api.add_file(update["message"]["document"]["file_id"], data)
    summary = texts_of(await bot.deliver(update))
    assert any(text.startswith("ตรวจสอบก่อนส่ง\n") for text in summary), summary
    calls = await bot.presses(user, "ยืนยันส่ง")
    return "\n".join(texts_of([call for call in calls if call.get("chat_id") == user.id]))


async def test_a_line_pdf_is_fetched_kept_submitted_and_depa_told(
    line_bot: LineHarness, content_host: FakeLineApi, clock: FrozenClock, tmp_path: Path
) -> None:
    """An executive's PDF for the concept note: the receipt, the bytes on disk, depa's notice."""
    user, coordinator = user_id(), user_id()
    await member_on(line_bot, "depa", Account(Channel.LINE, coordinator), Role.COORDINATOR)
    member = await member_on(line_bot, "khon-kaen", Account(Channel.LINE, user), Role.EXECUTIVE)
    document = samples.pdf("แนวคิดโครงการเมืองอัจฉริยะขอนแก่น")
    set_clock(clock, "2027-04-20T14:05")

    receipt = await line_entry(
        line_bot, content_host, user, "concept-note", "concept-note.pdf", document
    )

    assert receipt.startswith("✅ ได้รับงานแล้ว\nเลขที่อ้างอิง: SCP27-KKN-CN-01\n"), receipt
    assert "เวลา: 20 เม.ย. 2570 14:05 น.\nไฟล์: concept-note.pdf (PDF, " in receipt
    (fetch,) = [r for r in content_host.requests if r.endpoint == "content"]
    assert fetch.path.endswith("/content")
    (entry,) = await stored(line_bot)
    assert (entry.reference, entry.kind, entry.late) == (
        "SCP27-KKN-CN-01",
        SubmissionKind.FILE,
        False,
    )
    assert (entry.member_id, entry.channel) == (member, Channel.LINE)
    assert (entry.file_type, entry.file_bytes) == ("application/pdf", len(document))
    assert entry.file_name == "concept-note.pdf"
    assert entry.submitted_at == bangkok("2027-04-20T14:05")
    assert entry.file_path is not None and entry.file_path.startswith("submissions/khon-kaen/")
    assert (tmp_path / "media" / entry.file_path).read_bytes() == document
    (notice,) = await depa_notices(line_bot)
    assert notice.channel is Channel.LINE and notice.recipients == [coordinator]
    assert words(notice).startswith("📥 จังหวัดขอนแก่น ส่งส่งแนวคิดโครงการ (Concept Note)แล้ว")
    assert "SCP27-KKN-CN-01" in words(notice) and "ส่งหลังกำหนด" not in words(notice)


async def test_a_telegram_word_file_is_fetched_kept_and_submitted(
    telegram_bot: TelegramHarness, telegram_api: FakeTelegramApi, tmp_path: Path
) -> None:
    """An executive's DOCX for registration, sent as a document: the receipt and the file."""
    user = TgUser(id=730101, first_name="สมหญิง")
    coordinator = TgUser(id=730102, first_name="depa")
    await member_on(
        telegram_bot, "depa", Account(Channel.TELEGRAM, str(coordinator.id)), Role.COORDINATOR
    )
    account = Account(Channel.TELEGRAM, str(user.id))
    member = await member_on(telegram_bot, "pattaya", account, Role.EXECUTIVE)
    document = samples.office(samples.DOCX)

    receipt = await telegram_entry(
        telegram_bot, telegram_api, user, "/submit registration", "registration.docx", document
    )

    assert receipt.startswith("✅ ได้รับงานแล้ว\nเลขที่อ้างอิง: SCP27-PTY-RE-01\n"), receipt
    assert "ไฟล์: registration.docx (" in receipt
    assert "getFile" in [call.method for call in telegram_api.calls]
    (entry,) = await stored(telegram_bot)
    assert (entry.member_id, entry.channel, entry.late) == (member, Channel.TELEGRAM, False)
    assert (entry.file_type, entry.file_bytes) == (samples.DOCX, len(document))
    assert entry.file_path is not None and entry.file_path.endswith(".docx")
    assert (tmp_path / "media" / entry.file_path).read_bytes() == document
    (notice,) = await depa_notices(telegram_bot)
    assert notice.channel is Channel.TELEGRAM and notice.recipients == [str(coordinator.id)]


async def test_a_second_file_replaces_the_first_which_stays_on_disk(
    telegram_bot: TelegramHarness,
    telegram_api: FakeTelegramApi,
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    """Two Word files for one stage: a new reference, the first stamped replaced, both kept."""
    user = TgUser(id=730201, first_name="วิชัย")
    account = Account(Channel.TELEGRAM, str(user.id))
    await member_on(telegram_bot, "khon-kaen", account, Role.EXECUTIVE)
    first_file, second_file = (
        samples.office(samples.DOCX),
        samples.office(samples.DOCX, main_first=True),
    )
    await telegram_entry(telegram_bot, telegram_api, user, "/submit 2", "v1.docx", first_file)
    clock.advance(timedelta(hours=1))

    receipt = await telegram_entry(
        telegram_bot, telegram_api, user, "/submit 2", "v2.docx", second_file
    )

    assert "เลขที่อ้างอิง: SCP27-KKN-CN-02" in receipt
    assert "งานนี้แทนที่งานเดิม เลขที่ SCP27-KKN-CN-01" in receipt
    first, second = await stored(telegram_bot)
    assert first.replaced_at == second.submitted_at and second.replaced_at is None
    assert (first.file_name, second.file_name) == ("v1.docx", "v2.docx")
    assert first.file_path is not None and second.file_path is not None
    assert (tmp_path / "media" / first.file_path).read_bytes() == first_file
    assert (tmp_path / "media" / second.file_path).read_bytes() == second_file


async def test_a_file_after_the_due_time_is_late_and_depa_is_told_so(
    line_bot: LineHarness, content_host: FakeLineApi, clock: FrozenClock
) -> None:
    """One minute past registration's due time: stored as late, said in the receipt and to depa."""
    user, coordinator = user_id(), user_id()
    await member_on(line_bot, "depa", Account(Channel.LINE, coordinator), Role.COORDINATOR)
    await member_on(line_bot, "pattaya", Account(Channel.LINE, user), Role.EXECUTIVE)
    set_clock(clock, "2027-02-26T16:31")

    receipt = await line_entry(
        line_bot, content_host, user, "registration", "registration.pdf", samples.pdf()
    )

    assert "เลขที่อ้างอิง: SCP27-PTY-RE-01" in receipt
    assert "⚠️ ส่งหลังกำหนด (26 ก.พ. 2570 16:30 น.) บันทึกว่าส่งช้า และแจ้ง depa แล้ว" in receipt
    (entry,) = await stored(line_bot)
    assert entry.late is True and entry.submitted_at == bangkok("2027-02-26T16:31")
    (notice,) = await depa_notices(line_bot)
    assert notice.recipients == [coordinator]
    assert "⚠️ ส่งหลังกำหนด (26 ก.พ. 2570 16:30 น.)" in words(notice)
