"""`citybot progress report`: the workbook, re-opened by openpyxl (and LibreOffice if present)."""

from __future__ import annotations

import csv
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select, update
from typer.testing import CliRunner, Result

from bot.cli import cli
from db.models import Milestone, ProgressUpdate
from tests.conftest import IN_CI
from tests.factories import in_database

runner = CliRunner()
BANGKOK = ZoneInfo("Asia/Bangkok")
SUMMARY, UPDATES = "สรุป", "ความคืบหน้าทั้งหมด"
UPDATE_HEADERS = [
    "เวลา",
    "เมือง",
    "แผน",
    "หลักไมล์",
    "สถานะเดิม → ใหม่",
    "ร้อยละ",
    "หมายเหตุ",
    "ผู้รายงาน",
    "ช่องทาง",
    "หลักฐาน",
]
GREEN, AMBER, RED, GREY = "C6EFCE", "FFEB9C", "FFC7CE", "D9D9D9"

pytestmark = pytest.mark.usefixtures("isolated_settings")


def _citybot(url: str, *args: str) -> Result:
    return runner.invoke(cli, list(args), env={"DATABASE_URL": url})


@pytest.fixture
def demo(seeded_database_url: str) -> str:
    """The content and the demo, plus an operator's update whose note looks like a formula."""
    assert _citybot(seeded_database_url, "seed", "--demo").exit_code == 0
    result = _citybot(
        seeded_database_url,
        "progress",
        "set",
        "--org",
        "yala",
        "--milestone",
        "pmc-established",
        "--percent",
        "25",
        "--note",
        '=HYPERLINK("http://x.test")\x0b',
    )
    assert result.exit_code == 0, result.output
    return seeded_database_url


def _report(url: str, path: Path) -> Any:
    result = _citybot(url, "progress", "report", "--output", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"wrote {path} (")
    return load_workbook(path)


def _fill(sheet: Worksheet, cell: str) -> str:
    return str(sheet[cell].fill.fgColor.rgb)[-6:]


def test_summary_sheet_is_cities_by_milestones_coloured_by_status(
    demo: str, tmp_path: Path
) -> None:
    """Thai headers, one row per city, percent cells on their status colour, completion, legend."""

    async def overdue(session: Any) -> None:  # every city's first milestone is past its day
        await session.execute(
            update(Milestone)
            .where(Milestone.key == "pmc-established")
            .values(due_at=datetime(2020, 1, 31, 16, 59, tzinfo=UTC))
        )

    in_database(demo, overdue)
    book = _report(demo, tmp_path / "progress.xlsx")
    assert book.sheetnames == [SUMMARY, UPDATES]
    sheet = book[SUMMARY]
    header = [cell.value for cell in sheet[1]]
    assert header[0] == "เมือง"
    assert header[1] == "จัดตั้งคณะกรรมการบริหารโครงการ (Project Management Committee)"
    assert header[2] == "จัดทำแผนพัฒนาเมืองอัจฉริยะระดับพื้นที่"
    assert header[-1] == "ความสำเร็จรวม"
    assert len(header) == 12  # city, ten milestones, completion
    assert sheet.freeze_panes == "B2"
    assert sheet.column_dimensions["A"].width == 24
    assert sheet.column_dimensions["B"].width == 16

    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2, max_row=15)}
    assert len(rows) == 14
    assert {"เมืองพัทยา", "จังหวัดขอนแก่น", "จังหวัดภูเก็ต", "กรุงเทพมหานคร"} <= set(rows)
    pattaya = rows["เมืองพัทยา"]
    assert [cell.value for cell in pattaya[1:4]] == [100, 60, 0]
    assert [str(cell.fill.fgColor.rgb)[-6:] for cell in pattaya[1:4]] == [GREEN, AMBER, GREY]
    assert pattaya[2].number_format == '0"%"'
    assert pattaya[-1].value == 16  # (100 + 60) / 10
    phuket = rows["จังหวัดภูเก็ต"]
    assert (phuket[2].value, str(phuket[2].fill.fgColor.rgb)[-6:]) == (20, RED)
    yala = rows["จังหวัดยะลา"]
    assert (yala[1].value, str(yala[1].fill.fgColor.rgb)[-6:]) == (25, AMBER)
    assert (yala[1].font.b, str(yala[1].font.color.rgb)[-6:]) == (True, "C00000")  # overdue
    assert (pattaya[1].font.b, pattaya[1].font.color.type) == (False, "theme")  # done: not late
    assert rows["กรุงเทพมหานคร"][-1].value == 0

    legend = [row[0] for row in sheet.iter_rows(min_row=17, max_row=sheet.max_row, max_col=1)]
    assert legend[0].value.startswith("คำอธิบาย")
    assert [(cell.value, str(cell.fill.fgColor.rgb)[-6:]) for cell in legend[1:5]] == [
        ("เสร็จแล้ว", GREEN),
        ("กำลังดำเนินการ", AMBER),
        ("ติดปัญหา", RED),
        ("ยังไม่เริ่ม", GREY),
    ]
    assert legend[-1].value.startswith("ข้อมูล ณ ")


def test_updates_sheet_lists_every_report_in_bangkok_time(demo: str, tmp_path: Path) -> None:
    """All ten reports, oldest first: real local times, old → new, who, which channel, evidence."""
    book = _report(demo, tmp_path / "progress.xlsx")
    sheet = book[UPDATES]
    assert [cell.value for cell in sheet[1]] == UPDATE_HEADERS
    assert sheet.freeze_panes == "A2"
    lines = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert len(lines) == 10  # nine demo reports and the operator's

    async def reports(session: Any) -> list[ProgressUpdate]:
        return list(
            await session.scalars(select(ProgressUpdate).order_by(ProgressUpdate.reported_at))
        )

    stored = in_database(demo, reports)
    expected_times = [
        u.reported_at.astimezone(BANGKOK).replace(tzinfo=None, microsecond=0) for u in stored
    ]
    assert [line[0] for line in lines] == expected_times
    assert all(isinstance(line[0], datetime) for line in lines)
    assert sheet["A2"].number_format == "yyyy-mm-dd hh:mm"

    pattaya = next(line for line in lines if line[1] == "เมืองพัทยา" and line[5] == 60)
    assert pattaya[2:6] == [
        "แผนนโยบายเมืองอัจฉริยะ",
        "จัดทำแผนพัฒนาเมืองอัจฉริยะระดับพื้นที่",
        "กำลังดำเนินการ 30% → กำลังดำเนินการ 60%",
        60,
    ]
    assert pattaya[7:9] == ["ปรีชา วงศ์สวัสดิ์", "เครื่องจำลองบนเว็บ"]
    evidence = next(line for line in lines if line[9] is not None)
    assert evidence[1] == "จังหวัดขอนแก่น"
    assert evidence[9].endswith("/demo/khon-kaen-area-plan.pdf")

    operator = lines[-1]
    assert operator[1] == "จังหวัดยะลา"
    assert operator[4] == "ยังไม่เริ่ม 0% → กำลังดำเนินการ 25%"
    assert operator[6] == '=HYPERLINK("http://x.test")'  # text, not a formula; no control chars
    assert sheet.cell(row=len(lines) + 1, column=7).data_type == "s"
    assert operator[7:9] == ["เจ้าหน้าที่ระบบ", "คำสั่งระบบ (CLI)"]


def test_report_is_written_whole_and_refuses_a_missing_directory(
    demo: str, tmp_path: Path
) -> None:
    """Nothing but the workbook is left behind; a missing directory is one error line, exit 2."""
    target = tmp_path / "out" / "progress.xlsx"
    target.parent.mkdir()
    target.write_bytes(b"an older report")
    _report(demo, target)
    assert [path.name for path in target.parent.iterdir()] == ["progress.xlsx"]
    assert target.stat().st_mode & 0o777 == 0o644

    missing = _citybot(
        demo, "progress", "report", "--output", str(tmp_path / "nowhere" / "p.xlsx")
    )
    assert missing.exit_code == 2
    assert missing.stderr.count("\n") == 1
    assert missing.stderr.startswith("error: --output: the directory")
    assert not (tmp_path / "nowhere").exists()


def soffice() -> str:
    """LibreOffice's soffice; skipped when missing on a laptop, a failure in CI."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    if IN_CI:
        pytest.fail("LibreOffice is not installed in CI: .ci/run must install it")
    pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")


@pytest.mark.parametrize("seeded_database_url", ["sqlite"], indirect=True)
def test_libreoffice_opens_the_workbook(demo: str, tmp_path: Path) -> None:
    """LibreOffice, headless, reads the workbook and converts its summary to CSV as it is."""
    program = soffice()
    path = tmp_path / "progress.xlsx"
    _report(demo, path)
    converted = subprocess.run(  # noqa: S603 (a fixed program on a file this test wrote)
        [
            program,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",  # comma, quote, UTF-8, from row 1
            "--outdir",
            str(tmp_path / "csv"),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert converted.returncode == 0, converted.stderr
    with (tmp_path / "csv" / "progress.csv").open(encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0][0] == "เมือง"
    assert rows[0][-1] == "ความสำเร็จรวม"
    pattaya = next(row for row in rows if row[0] == "เมืองพัทยา")
    assert pattaya[1:3] == ["100%", "60%"]
