"""Issue 13 item 6: entries refused with a clear message, nothing stored; depa's `/submissions`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.clock import FrozenClock
from bot.core.dispatcher import Dispatcher
from bot.core.media import PPTX
from bot.core.texts import Texts
from db.enums import Channel, Role
from tests.conftest import Database
from tests.handlers.progress_kit import (
    PlatformFiles,
    Register,
    add_partner_firm,
    progress_dispatcher,
    send_file,
)
from tests.handlers.submissions_kit import bangkok, hand_in, set_clock, submissions
from tests.media_samples import exe, office, pdf, png


@pytest.fixture
def dispatcher(
    seeded_database: Database, texts: Texts, clock: FrozenClock, tmp_path: Path
) -> Dispatcher:
    """The real dispatcher, files at most 1 MB."""
    return progress_dispatcher(
        seeded_database, texts, clock, tmp_path / "media", citybot_media_max_mb=1
    )


@pytest.fixture
def files(dispatcher: Dispatcher) -> PlatformFiles:
    """The files people send on LINE."""
    platform = PlatformFiles()
    dispatcher.services.files.register(Channel.LINE, platform)
    return platform


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (exe(), "รับเฉพาะไฟล์ PDF, Word (DOCX) หรือ Excel (XLSX) ไม่ได้บันทึกไฟล์นี้"),
        (png(), "รับเฉพาะไฟล์ PDF, Word (DOCX) หรือ Excel (XLSX) ไม่ได้บันทึกไฟล์นี้"),
        (office(PPTX), "รับเฉพาะไฟล์ PDF, Word (DOCX) หรือ Excel (XLSX) ไม่ได้บันทึกไฟล์นี้"),
        (pdf("x" * 1_100_000), "ไฟล์ใหญ่เกิน 1 MB ไม่ได้บันทึก"),
    ],
    ids=["exe", "photo", "powerpoint", "over-the-cap"],
)
async def test_a_file_of_a_forbidden_type_or_too_large_is_refused(
    register: Register,
    seeded_database: Database,
    files: PlatformFiles,
    tmp_path: Path,
    content: bytes,
    said: str,
) -> None:
    """The reason, the question again, no submission, no file kept."""
    executive = await register("khon-kaen", Role.EXECUTIVE, channel=Channel.LINE)
    files.files["m-1"] = content
    await executive.send("/submit concept-note")

    await send_file(executive, "m-1", kind="file")

    assert executive.text.startswith(said), executive.text
    assert "ส่งไฟล์ PDF, Word (DOCX) หรือ Excel (XLSX) ไม่เกิน 1 MB" in executive.text
    assert await submissions(seeded_database) == []
    assert not (tmp_path / "media").exists() or not any((tmp_path / "media").rglob("*.*"))


@pytest.mark.parametrize(
    "typed", ["ftp://files.example/plan.pdf", "www.example.org/plan", "javascript:alert(1)"]
)
async def test_a_link_that_is_not_http_is_refused(
    register: Register, seeded_database: Database, typed: str
) -> None:
    """Only http(s) links, and only their form is checked."""
    executive = await register("khon-kaen", Role.EXECUTIVE, channel=Channel.LINE)
    await executive.send("/submit 1")

    await executive.send(typed)

    assert executive.text.startswith("ลิงก์นี้ใช้ไม่ได้ กรุณาพิมพ์ลิงก์ที่ขึ้นต้นด้วย http://")
    assert await submissions(seeded_database) == []


async def test_after_the_results_nothing_is_taken(
    register: Register, seeded_database: Database, clock: FrozenClock
) -> None:
    """Once the last stage is due, /submit says the competition is closed; an old button too."""
    executive = await register("khon-kaen", Role.EXECUTIVE, channel=Channel.LINE)
    set_clock(clock, "2027-10-29T09:45")
    await executive.send("/submit full-plan")
    await executive.send("https://khonkaen.example/plan")
    set_clock(clock, "2027-10-29T10:00")

    await executive.choose("ยืนยันส่ง")
    closed = "การประกวดปิดรับงานแล้ว (ประกาศผลเมื่อ 29 ต.ค. 2570 10:00 น.) ไม่ได้บันทึกงานนี้"
    assert executive.text == closed
    await executive.send("/submit")
    assert executive.text == closed
    await executive.send("/submit concept-note")
    assert executive.text == closed
    assert await submissions(seeded_database) == []


async def test_an_unknown_stage_or_one_without_entries_is_named(
    register: Register, seeded_database: Database
) -> None:
    """A stage that does not exist, or takes nothing, is said, with the open ones to choose."""
    executive = await register("khon-kaen", Role.EXECUTIVE, channel=Channel.LINE, language="en")

    await executive.send("/submit final-report")
    assert executive.text.startswith("No open stage “final-report”. Choose one below.\n")
    assert len(executive.options()) == 3
    await executive.send("/submit pitching")
    assert executive.text.startswith("Nothing is handed in for “pitching”.")
    assert await submissions(seeded_database) == []


async def test_partners_and_depa_are_told_who_submits(
    register: Register, seeded_database: Database
) -> None:
    """A partner's or coordinator's /submit explains; nothing starts, nothing is stored."""
    await add_partner_firm(seeded_database)
    partner = await register("test-firm", Role.PARTNER)
    coordinator = await register("depa", Role.COORDINATOR)

    for member in (partner, coordinator):
        await member.send("ส่งงาน")
        assert member.text.startswith("การส่งงานประกวดทำได้เฉพาะผู้บริหารและเจ้าหน้าที่ของเมือง")
    assert await submissions(seeded_database) == []


async def test_depa_sees_per_stage_who_has_submitted(
    register: Register, seeded_database: Database, clock: FrozenClock
) -> None:
    """/submissions: counts per stage; /submissions STAGE: references, times, late, the rest."""
    coordinator = await register("depa", Role.COORDINATOR, language="en")
    await hand_in(
        seeded_database,
        "khon-kaen",
        "registration",
        "SCP27-KKN-RE-01",
        bangkok("2027-02-20T09:00"),
    )
    await hand_in(
        seeded_database,
        "pattaya",
        "registration",
        "SCP27-PTY-RE-01",
        bangkok("2027-02-27T11:00"),
        late=True,
    )

    await coordinator.send("/submissions")
    assert "1. Registration — 2/14 cities submitted" in coordinator.text
    assert "2. Concept note — 0/14 cities submitted" in coordinator.text
    await coordinator.choose(1)

    text = coordinator.text
    assert text.startswith("📥 Registration — 2/14 cities submitted (due 26 Feb 2027, 16:30)\n")
    assert "✅ Khon Kaen — SCP27-KKN-RE-01 · 20 Feb 2027, 09:00\n" in text
    assert "⚠️ Pattaya City — SCP27-PTY-RE-01 · 27 Feb 2027, 11:00 (late)\n" in text
    assert text.split("\n")[-1].startswith("⏳ Not yet: Bangkok, ")
    await coordinator.send("/submissions nope")
    assert coordinator.text.startswith(
        "No stage “nope” takes entries. The stages that do: registration, concept-note, "
        "full-plan. Type /submissions with a stage's name or number, or choose one below.\n"
        "📥 Cities' submissions: choose a stage"
    )
