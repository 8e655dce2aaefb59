"""Issue 13: a city hands in a competition entry in chat and gets a receipt; depa is told once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.clock import FrozenClock
from bot.core.dispatcher import Dispatcher
from bot.core.replies import Choices, reply_from_data
from bot.core.texts import Texts
from db.enums import Channel, Role, SubmissionKind
from tests.conftest import Database
from tests.handlers.progress_kit import (
    PlatformFiles,
    Register,
    identity_of,
    progress_dispatcher,
    pushed,
    send_file,
    words,
)
from tests.handlers.submissions_kit import bangkok, set_clock, stage, submissions
from tests.media_samples import pdf


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    """Where this test's entries are kept."""
    return tmp_path / "media"


@pytest.fixture
def dispatcher(
    seeded_database: Database, texts: Texts, clock: FrozenClock, media_dir: Path
) -> Dispatcher:
    """The real dispatcher, pushing on LINE and Telegram, files under `media_dir`."""
    return progress_dispatcher(seeded_database, texts, clock, media_dir)


@pytest.fixture
def files(dispatcher: Dispatcher) -> PlatformFiles:
    """The files people send on LINE."""
    platform = PlatformFiles()
    dispatcher.services.files.register(Channel.LINE, platform)
    return platform


async def test_an_executive_submits_a_file_and_gets_a_receipt_depa_told_once(
    register: Register,
    seeded_database: Database,
    files: PlatformFiles,
    media_dir: Path,
    clock: FrozenClock,
) -> None:
    """Stage button → PDF → summary → Submit: one submission, a receipt, one notice to depa."""
    coordinator = await register("depa", Role.COORDINATOR, channel=Channel.LINE, language="en")
    executive = await register("khon-kaen", Role.EXECUTIVE, channel=Channel.LINE)
    files.files["m-plan"] = pdf("Khon Kaen concept note")
    set_clock(clock, "2027-04-20T14:05")

    await executive.send("ส่งงาน")
    assert executive.text.startswith("📤 ส่งงานประกวด: เลือกขั้นตอนที่จะส่ง\n1. ลงทะเบียน")
    labels = [option.label for option in executive.options()]
    assert labels == [
        "1. ลงทะเบียนสมัครเข้าร่วมประกวด",
        "2. ส่งแนวคิดโครงการ (Concept Note)",
        "3. ส่งแผนพัฒนาเมืองอัจฉริยะฉบับสมบูรณ์",
    ]  # pitching and results take no entries
    await executive.choose(2)
    assert "ครบกำหนด 30 เม.ย. 2570 16:30 น. (อีก 10 วัน)" in executive.text
    assert "PDF, Word (DOCX) หรือ Excel (XLSX) ไม่เกิน 20 MB" in executive.text
    await send_file(executive, "m-plan", kind="file")
    assert executive.text.startswith("ตรวจสอบก่อนส่ง\n📤 ส่งแนวคิดโครงการ (Concept Note)\nไฟล์: ")
    assert await submissions(seeded_database) == []  # nothing before Submit

    await executive.choose("ยืนยันส่ง")

    (stored,) = await submissions(seeded_database)
    identity = await identity_of(seeded_database, executive)
    assert executive.text.startswith(
        "✅ ได้รับงานแล้ว\nเลขที่อ้างอิง: SCP27-KKN-CN-01\n"
        "ขั้นตอน: ส่งแนวคิดโครงการ (Concept Note)\nเวลา: 20 เม.ย. 2570 14:05 น.\nไฟล์: "
    )
    assert "(PDF, " in executive.text
    assert (stored.reference, stored.kind, stored.late) == (
        "SCP27-KKN-CN-01",
        SubmissionKind.FILE,
        False,
    )
    assert (stored.member_id, stored.identity_id, stored.channel) == (
        identity.member_id,
        identity.id,
        Channel.LINE,
    )
    assert stored.deadline_id == (await stage(seeded_database, "concept-note")).id
    assert stored.file_type == "application/pdf" and stored.file_path is not None
    assert stored.file_path.startswith("submissions/khon-kaen/")
    assert (media_dir / stored.file_path).read_bytes() == pdf("Khon Kaen concept note")
    assert stored.submitted_at == bangkok("2027-04-20T14:05")
    (notice,) = await pushed(seeded_database, "submission:")
    assert notice.channel is Channel.LINE
    assert words(notice).startswith("📥 Khon Kaen submitted Concept note\nRef. SCP27-KKN-CN-01 · ")
    assert "Late" not in words(notice)
    assert coordinator.user_id in notice.recipients


async def test_a_second_entry_replaces_the_first_which_stays_as_history(
    register: Register, seeded_database: Database, clock: FrozenClock
) -> None:
    """A link after a link: a new reference, the old one stamped replaced, both kept."""
    executive = await register("khon-kaen", Role.EXECUTIVE, channel=Channel.LINE, language="en")
    for link in ("https://drive.example/v1", "http://drive.example/v2"):
        await executive.send("/submit registration")
        await executive.send(link)
        assert executive.text.startswith("Check before submitting\n📤 Registration\nLink: ")
        await executive.choose("Submit")
        clock.advance(bangkok("2027-01-01T00:00") - bangkok("2026-12-31T23:00"))

    first, second = await submissions(seeded_database)
    assert (first.reference, second.reference) == ("SCP27-KKN-RE-01", "SCP27-KKN-RE-02")
    assert first.replaced_at == second.submitted_at and second.replaced_at is None
    assert (first.url, second.url) == ("https://drive.example/v1", "http://drive.example/v2")
    assert "Reference: SCP27-KKN-RE-02" in executive.text
    assert "This entry replaces ref. SCP27-KKN-RE-01." in executive.text
    await executive.send("/submit registration")
    assert "Your city has already submitted this stage (ref. SCP27-KKN-RE-02)" in executive.text


async def test_after_the_due_time_an_entry_is_late_and_depa_is_told_so(
    register: Register, seeded_database: Database, clock: FrozenClock
) -> None:
    """Past the stage's due time: taken, marked late, said in the receipt and to depa."""
    await register("depa", Role.COORDINATOR, channel=Channel.TELEGRAM)
    executive = await register("pattaya", Role.EXECUTIVE, channel=Channel.LINE)
    set_clock(clock, "2027-02-26T16:31")

    await executive.send("/submit 1")
    assert "⚠️ เลยกำหนดส่งแล้ว" in executive.text
    await executive.send("https://pattaya.example/registration")
    await executive.choose("ยืนยันส่ง")

    (stored,) = await submissions(seeded_database)
    assert stored.late is True and stored.reference == "SCP27-PTY-RE-01"
    assert "⚠️ ส่งหลังกำหนด (26 ก.พ. 2570 16:30 น.) บันทึกว่าส่งช้า และแจ้ง depa แล้ว" in (executive.text)
    (notice,) = await pushed(seeded_database, "submission:")
    assert notice.channel is Channel.TELEGRAM
    assert "⚠️ ส่งหลังกำหนด (26 ก.พ. 2570 16:30 น.)" in words(notice)
    assert words(notice).startswith("📥 เมืองพัทยา ส่งลงทะเบียนสมัครเข้าร่วมประกวดแล้ว")


async def test_an_officer_prepares_and_the_executive_confirms(
    register: Register, seeded_database: Database, clock: FrozenClock
) -> None:
    """The officer's entry waits for an executive; Submit stores it as prepared by the officer."""
    officer = await register("khon-kaen", Role.OFFICER, channel=Channel.LINE, display_name="สมศรี")
    executive = await register(
        "khon-kaen", Role.EXECUTIVE, channel=Channel.LINE, display_name="นายก"
    )
    await officer.send("/submit concept-note")
    await officer.send("https://khonkaen.example/concept.pdf")
    assert [option.label for option in officer.options()] == ["ส่งให้ผู้บริหารยืนยัน", "ยกเลิก"]
    await officer.choose("ส่งให้ผู้บริหารยืนยัน")

    assert officer.text.startswith("📨 ส่งให้ผู้บริหารของจังหวัดขอนแก่นยืนยันแล้ว (1 คน)")
    assert await submissions(seeded_database) == []
    (ask,) = await pushed(seeded_database, "submission.prepared:")
    (choices,) = [reply_from_data(data) for data in ask.payload["replies"]]
    assert isinstance(choices, Choices)
    assert choices.text.startswith("📨 สมศรี เตรียมงานประกวดของจังหวัดขอนแก่นไว้")
    assert "ลิงก์: https://khonkaen.example/concept.pdf" in choices.text
    approve, _reject = choices.options

    await executive.press(approve.payload)

    (stored,) = await submissions(seeded_database)
    officer_identity = await identity_of(seeded_database, officer)
    executive_identity = await identity_of(seeded_database, executive)
    assert stored.member_id == executive_identity.member_id
    assert stored.prepared_by_member_id == officer_identity.member_id
    assert stored.identity_id == officer_identity.id  # where the entry came from
    assert executive.text.startswith("✅ ได้รับงานแล้ว\nเลขที่อ้างอิง: SCP27-KKN-CN-01")
    (told,) = await pushed(seeded_database, "submission.decided:")
    assert words(told).startswith("✅ นายก ยืนยันส่งงานที่คุณเตรียมไว้แล้ว\nเลขที่อ้างอิง: SCP27-KKN-CN-01")

    await executive.press(approve.payload)
    assert executive.text == "งานนี้มีการยืนยันหรือปฏิเสธไปแล้ว"
    assert len(await submissions(seeded_database)) == 1


async def test_an_executive_can_reject_what_an_officer_prepared(
    register: Register, seeded_database: Database
) -> None:
    """Do not submit: nothing stored, the officer told."""
    officer = await register("khon-kaen", Role.OFFICER, channel=Channel.LINE)
    executive = await register("khon-kaen", Role.EXECUTIVE, channel=Channel.LINE)
    other = await register("pattaya", Role.EXECUTIVE, channel=Channel.LINE)
    await officer.send("/submit 1")
    await officer.send("https://khonkaen.example/registration")
    await officer.choose("ส่งให้ผู้บริหารยืนยัน")
    (ask,) = await pushed(seeded_database, "submission.prepared:")
    (choices,) = [reply_from_data(data) for data in ask.payload["replies"]]
    assert isinstance(choices, Choices)
    approve, reject = choices.options

    await other.press(approve.payload)
    assert other.text == "งานนี้เป็นของเมืองอื่น คุณยืนยันได้เฉพาะงานของจังหวัดขอนแก่น"
    await executive.press(reject.payload)

    assert executive.text == "ไม่ส่งงานนี้แล้ว ผู้เตรียมจะได้รับแจ้ง"
    assert await submissions(seeded_database) == []
    (told,) = await pushed(seeded_database, "submission.decided:")
    assert "ไม่ยืนยันงานที่คุณเตรียมไว้สำหรับลงทะเบียนสมัครเข้าร่วมประกวด" in words(told)
