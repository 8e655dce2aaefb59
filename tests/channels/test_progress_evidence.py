"""A progress update with evidence, end to end: signed webhooks in, the real SDKs fetch the file
from the fake platforms, the bytes land under the media directory, one report row names them.

LINE: a photo, fetched from the content host (`LINE_DATA_API_BASE_URL`, a fake of its own).
Telegram: a PDF sent as a document, fetched with getFile and the file download path.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.channels.line.render import postback_data
from db.enums import Channel, MilestoneStatus
from db.models import Milestone, Organisation, Plan, ProgressUpdate
from handlers.progress.payloads import UpdateMilestone
from tests import media_samples as samples
from tests.channels.conftest import member_on
from tests.channels.line.conftest import LineHarness
from tests.channels.telegram.conftest import TelegramHarness, texts_of
from tests.factories import Account
from tests.fakes.line_api import FakeLineApi
from tests.fakes.line_events import ACCESS_TOKEN, user_id
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.telegram_updates import TgUser


async def milestone_id(harness: LineHarness | TelegramHarness, org: str, key: str) -> int:
    """The id of `org`'s milestone `key`."""
    async with harness.app.sessions() as session:
        found = await session.scalar(
            select(Milestone.id)
            .join(Plan, Milestone.plan_id == Plan.id)
            .join(Organisation, Plan.organisation_id == Organisation.id)
            .where(Organisation.slug == org, Milestone.key == key)
        )
    assert found is not None
    return found


async def reports(harness: LineHarness | TelegramHarness) -> list[ProgressUpdate]:
    """Every progress report stored."""
    async with harness.app.sessions() as session:
        return list(await session.scalars(select(ProgressUpdate)))


async def test_a_line_photo_is_fetched_kept_and_reported(
    line_bot: LineHarness, content_host: FakeLineApi, tmp_path: Path
) -> None:
    """Status, percent, no note, a photo from the LINE app, Confirm: one report, bytes on disk."""
    user = user_id()
    member = await member_on(line_bot, "khon-kaen", Account(Channel.LINE, user))
    target = await milestone_id(line_bot, "khon-kaen", "area-plan-drafted")
    photo = samples.png(32, 32)

    start = line_bot.events.postback(user, postback_data(UpdateMilestone(target).pack()))
    await line_bot.deliver(start)
    await line_bot.taps(user, "🔵 กำลังดำเนินการ")
    await line_bot.taps(user, "75%")
    await line_bot.taps(user, "ข้าม")
    image = line_bot.events.image(user)
    content_host.add_content(image["message"]["id"], photo, "image/png")
    sent = await line_bot.deliver(image)
    shown = [m.get("text") or "" for request in sent for m in request.json["messages"]]
    assert any("หลักฐาน: ไฟล์ image/png" in text for text in shown), shown
    assert await reports(line_bot) == []  # nothing saved before Confirm
    await line_bot.taps(user, "ยืนยัน")

    (fetch,) = [r for r in content_host.requests if r.endpoint == "content"]
    assert fetch.path == f"/v2/bot/message/{image['message']['id']}/content"
    headers = {name.casefold(): value for name, value in fetch.headers.items()}
    assert headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    (report,) = await reports(line_bot)
    assert (report.member_id, report.channel) == (member, Channel.LINE)
    assert (report.status, report.percent) == (MilestoneStatus.IN_PROGRESS, 75)
    assert (report.evidence_type, report.evidence_bytes) == ("image/png", len(photo))
    assert report.evidence_path is not None
    assert (tmp_path / "media" / report.evidence_path).read_bytes() == photo


async def test_a_telegram_document_is_fetched_kept_and_reported(
    telegram_bot: TelegramHarness, telegram_api: FakeTelegramApi, tmp_path: Path
) -> None:
    """Done (no percent asked), a note, a PDF sent as a document, Confirm: the PDF is kept."""
    user = TgUser(id=730001, first_name="สมชาย")
    member = await member_on(telegram_bot, "pattaya", Account(Channel.TELEGRAM, str(user.id)))
    target = await milestone_id(telegram_bot, "pattaya", "pmc-established")
    document = samples.pdf("คำสั่งแต่งตั้งคณะกรรมการ")

    await telegram_bot.says(user, "/progress")
    (listing,) = [
        call.result
        for call in telegram_api.calls
        if call.method == "sendMessage" and "reply_markup" in call.params
    ][-1:]
    press = telegram_bot.updates.button_press(user, listing, UpdateMilestone(target).pack())
    await telegram_bot.deliver(press)
    await telegram_bot.presses(user, "✅ เสร็จแล้ว")
    await telegram_bot.says(user, "แต่งตั้งคณะกรรมการแล้วตามคำสั่งเมือง")
    update = telegram_bot.updates.document(user, "order.pdf", "application/pdf")
    telegram_api.add_file(update["message"]["document"]["file_id"], document)
    summary = texts_of(await telegram_bot.deliver(update))
    assert any("หลักฐาน: ไฟล์ application/pdf" in text for text in summary), summary
    await telegram_bot.presses(user, "ยืนยัน")

    assert "getFile" in [call.method for call in telegram_api.calls]
    (report,) = await reports(telegram_bot)
    assert (report.member_id, report.channel) == (member, Channel.TELEGRAM)
    assert (report.status, report.percent) == (MilestoneStatus.DONE, 100)
    assert report.note == "แต่งตั้งคณะกรรมการแล้วตามคำสั่งเมือง"
    assert report.evidence_type == "application/pdf"
    assert report.evidence_path is not None
    assert (tmp_path / "media" / report.evidence_path).read_bytes() == document
