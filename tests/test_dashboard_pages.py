"""Issue 16: the overview's charts, a city's page with its timeline and files, the competition
grid and the downloads, through the real web app after signing in from chat (both databases)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import FrozenClock
from bot.core.files import Download
from bot.core.media import MediaKind, MediaStore
from bot.core.texts import Texts
from bot.web import create_web_app
from bot.web.dashboard.charts import Bar, bar_chart
from db.enums import Role, SubmissionKind
from db.models import AuditLog, Deadline, Organisation, ProgressUpdate, Submission
from db.repositories.progress import Evidence
from handlers.progress import service as progress
from handlers.progress.notices import ChatNotices
from tests import media_samples
from tests.conftest import AppFactory, Database
from tests.factories import add_member
from tests.handlers.progress_kit import Register
from tests.handlers.submissions_kit import hand_in, set_clock
from tests.test_dashboard_signin import signed_in

BANGKOK = ZoneInfo("Asia/Bangkok")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    """Where the app keeps the files people sent."""
    return tmp_path / "media"


@pytest.fixture
async def client(
    make_app: AppFactory, clock: FrozenClock, media_dir: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The web app on the chats' database and clock, with its media under `media_dir`."""
    web = create_web_app(await make_app(clock=clock, citybot_media_dir=media_dir))
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://citybot.test") as client:
        yield client


async def keep(media_dir: Path, content: bytes, kinds: list[MediaKind]) -> Evidence:
    """A file kept by the media store, as the chat flow keeps evidence."""
    stored = await MediaStore(media_dir, max_bytes=10_000_000).save(
        Download(content=content), folder="evidence/khon-kaen", accept=kinds
    )
    return Evidence(path=stored.path, content_type=stored.content_type, size=stored.size)


async def report(
    db: Database,
    texts: Texts,
    clock: FrozenClock,
    key: str,
    *,
    percent: int,
    note: str | None = None,
    evidence: Evidence | None = None,
) -> int:
    """A Khon Kaen officer's report through the progress service; the update's id."""
    async with db.sessions() as session, session.begin():
        organisation = await progress.city_of(session=session, slug="khon-kaen")
        milestone = await progress.milestone_of(
            session=session, organisation_id=organisation.id, key=key
        )
        author = await add_member(session, "khon-kaen", Role.OFFICER)
        author.display_name = "Somsri <b>"
        outreach = progress.Outreach(texts=texts, channels=(), notices=ChatNotices(BANGKOK))
        change = await progress.record_update(
            session=session,
            organisation=organisation,
            milestone=milestone,
            status=None,
            percent=percent,
            note=note,
            evidence=evidence,
            author=author,
            identity_id=None,
            channel=None,
            now=clock.now(),
            outreach=outreach,
            via="test",
        )
        return change.update.id


async def exports_audited(db: Database) -> list[str]:
    """The targets of the audited downloads, in order."""
    async with db.sessions() as session:
        found = await session.scalars(
            select(AuditLog.target)
            .where(AuditLog.action == "dashboard.export")
            .order_by(AuditLog.id)
        )
        return [target for target in found if target is not None]


def test_chart_labels_are_escaped() -> None:
    """A label is data: markup in it is shown as text, and the bar's width is its percent."""
    chart = bar_chart(
        [Bar(label="<script>x</script>", percent=50, figure="50%", href="/a?b=1&c=2")],
        title="T & C",
        chart_id="c",
    )
    assert "<script>" not in chart
    assert "&lt;script&gt;x&lt;/script&gt;" in chart
    assert 'href="/a?b=1&amp;c=2"' in chart
    assert 'class="fill" x="210" y="2" width="150"' in chart
    assert '<title id="c-title">T &amp; C</title>' in chart


async def test_the_overview_charts_completion_per_domain_and_city(
    client: httpx.AsyncClient,
    register: Register,
    seeded_database: Database,
    texts: Texts,
    clock: FrozenClock,
) -> None:
    """With a report in, the SVG charts show Khon Kaen ahead; silent cities are flagged."""
    await report(seeded_database, texts, clock, "pmc-established", percent=100)
    coordinator = await register("depa", Role.COORDINATOR)
    await signed_in(client, coordinator)
    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert page.text.count("<svg") == 2
    assert 'id="chart-domains"' in page.text and 'id="chart-cities"' in page.text
    assert "<script" not in page.text
    cities = page.text.split('id="chart-cities"')[1].split("</svg>")[0]
    assert cities.count('<g class="bar"') == 14
    first = cities.split('<g class="bar"')[1]
    assert "ขอนแก่น" in first and "/dashboard/cities/khon-kaen" in first
    assert 'data-percent="10"' in first  # 100 % on one milestone of ten
    domains = page.text.split('id="chart-domains"')[1].split("</svg>")[0]
    assert domains.count('<g class="bar"') >= 2
    assert page.text.count('class="flag silent"') == 13  # every city but Khon Kaen
    assert page.text.count('href="/dashboard/export/progress.xlsx"') == 1
    assert "<title>ภาพรวม · Smart City Connect</title>" in page.text


async def test_a_city_page_shows_its_timeline_with_evidence_to_those_allowed(
    client: httpx.AsyncClient,
    register: Register,
    seeded_database: Database,
    texts: Texts,
    clock: FrozenClock,
    media_dir: Path,
) -> None:
    """Newest first, in Bangkok time with the Buddhist-Era year; the photo inline, the PDF a
    download; depa and Khon Kaen's executive get the files, Phuket's executive a 403."""
    photo = await keep(media_dir, media_samples.png(), [MediaKind.IMAGE])
    first = await report(
        seeded_database,
        texts,
        clock,
        "pmc-established",
        percent=40,
        evidence=photo,
        note="<i>ติดตั้งแล้ว</i>",
    )
    clock.advance(timedelta(hours=2))
    paper = await keep(media_dir, media_samples.pdf(), [MediaKind.DOCUMENT])
    second = await report(
        seeded_database, texts, clock, "pmc-established", percent=60, evidence=paper
    )
    clock.advance(timedelta(minutes=5))
    linked = await report(
        seeded_database,
        texts,
        clock,
        "area-plan-drafted",
        percent=5,
        evidence=Evidence(url="https://example.org/photos"),
    )
    clock.advance(timedelta(minutes=5))
    scripted = await report(
        seeded_database,
        texts,
        clock,
        "area-plan-drafted",
        percent=6,
        evidence=Evidence(url="javascript:alert(1)"),
    )
    coordinator = await register("depa", Role.COORDINATOR)
    await signed_in(client, coordinator)
    page = await client.get("/dashboard/cities/khon-kaen")
    assert page.status_code == 200
    timeline = page.text.split('id="timeline"')[1].split("</ol>")[0]
    assert timeline.index(f'data-update="{second}"') < timeline.index(f'data-update="{first}"')
    assert f'<img class="evidence" src="/dashboard/files/progress/{first}"' in timeline
    assert f'href="/dashboard/files/progress/{second}" download' in timeline
    assert "&lt;i&gt;ติดตั้งแล้ว&lt;/i&gt;" in timeline and "<i>" not in timeline
    assert "Somsri &lt;b&gt;" in timeline
    assert "24 พ.ย. 2569 10:00 น." in timeline and "12:00 น." in timeline
    assert "40%" in timeline and "60%" in timeline
    link = timeline.split(f'data-update="{linked}"')[1].split("</li>")[0]
    assert '<a href="https://example.org/photos" rel="noopener noreferrer"' in link
    script = timeline.split(f'data-update="{scripted}"')[1].split("</li>")[0]
    assert "<span>javascript:alert(1)</span>" in script and 'href="javascript' not in script

    image = await client.get(f"/dashboard/files/progress/{first}")
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.headers["x-content-type-options"] == "nosniff"
    assert image.headers["content-disposition"].startswith("inline")
    assert image.content == media_samples.png()
    document = await client.get(f"/dashboard/files/progress/{second}")
    assert document.headers["content-type"] == "application/pdf"
    assert document.headers["content-disposition"].startswith("attachment")

    client.cookies.clear()
    await signed_in(client, await register("khon-kaen", Role.EXECUTIVE))
    assert (await client.get(f"/dashboard/files/progress/{first}")).status_code == 200
    client.cookies.clear()
    await signed_in(client, await register("phuket", Role.EXECUTIVE))
    assert (await client.get(f"/dashboard/files/progress/{first}")).status_code == 403
    assert (await client.get("/dashboard/files/progress/999999")).status_code == 404


async def test_stored_paths_cannot_lead_outside_the_media_folder(
    client: httpx.AsyncClient,
    register: Register,
    seeded_database: Database,
    texts: Texts,
    clock: FrozenClock,
    media_dir: Path,
    tmp_path: Path,
) -> None:
    """A path that climbs out (or is absolute) is refused with 404; ids are numbers only."""
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the web")
    photo = await keep(media_dir, media_samples.png(), [MediaKind.IMAGE])
    update_id = await report(
        seeded_database, texts, clock, "pmc-established", percent=10, evidence=photo
    )
    await signed_in(client, await register("depa", Role.ADMIN))
    for path in ("../secret.txt", str(secret), "evidence/../../secret.txt"):
        async with seeded_database.sessions() as session, session.begin():
            await session.execute(
                update(ProgressUpdate)
                .where(ProgressUpdate.id == update_id)
                .values(evidence_path=path)
            )
        response = await client.get(f"/dashboard/files/progress/{update_id}")
        assert response.status_code == 404, path
        assert "not for the web" not in response.text
    assert (await client.get("/dashboard/files/progress/..%2F..%2Fsecret.txt")).status_code == 404


async def add_file_entry(db: Database, media_dir: Path, clock: FrozenClock) -> int:
    """Khon Kaen hands in a PDF for the concept note, kept by the media store; its id."""
    paper = await keep(media_dir, media_samples.pdf("Concept"), [MediaKind.DOCUMENT])

    async def store(session: AsyncSession) -> int:
        city = await session.scalar(select(Organisation).where(Organisation.slug == "khon-kaen"))
        stage = await session.scalar(select(Deadline).where(Deadline.slug == "concept-note"))
        assert city is not None and stage is not None
        entry = Submission(
            deadline_id=stage.id,
            organisation_id=city.id,
            reference="SCP27-KKN-CN-01",
            kind=SubmissionKind.FILE,
            file_path=paper.path,
            file_type=paper.content_type,
            file_bytes=paper.size,
            file_name="แผน <ขอนแก่น>.pdf",
            submitted_at=clock.now(),
            late=False,
        )
        session.add(entry)
        await session.flush()
        return entry.id

    async with db.sessions() as session, session.begin():
        return await store(session)


async def test_the_competition_grid_shows_each_citys_state(
    client: httpx.AsyncClient,
    register: Register,
    seeded_database: Database,
    clock: FrozenClock,
    media_dir: Path,
) -> None:
    """Submitted with its reference and file, late, not yet; counts per stage; the file is
    served to depa and the city, not to another city; executives may not open the grid."""
    entry = await add_file_entry(seeded_database, media_dir, clock)
    await hand_in(seeded_database, "pattaya", "registration", "SCP27-PTY-RE-01", clock.now())
    await hand_in(
        seeded_database, "phuket", "registration", "SCP27-PKT-RE-01", clock.now(), late=True
    )
    await signed_in(client, await register("depa", Role.COORDINATOR))
    page = await client.get("/dashboard/competition")
    assert page.status_code == 200
    grid = page.text.split('id="competition"')[1]
    assert "SCP27-KKN-CN-01" in grid and "SCP27-PTY-RE-01" in grid
    assert grid.count('data-state="submitted"') == 2
    assert grid.count('data-state="submitted_late"') == 1
    assert "2 จาก 14 เมือง" in grid and "1 จาก 14 เมือง" in grid
    assert f'href="/dashboard/files/submissions/{entry}"' in grid
    assert "แผน &lt;ขอนแก่น&gt;.pdf" in grid
    assert '<a href="https://example.org/plan" rel="noopener noreferrer"' in grid
    downloaded = await client.get(f"/dashboard/files/submissions/{entry}")
    assert downloaded.status_code == 200
    assert downloaded.headers["content-type"] == "application/pdf"
    assert downloaded.headers["content-disposition"].startswith("attachment")
    assert downloaded.content == media_samples.pdf("Concept")
    city = await client.get("/dashboard/cities/khon-kaen")
    assert "SCP27-KKN-CN-01" in city.text.split('id="submissions"')[1]

    client.cookies.clear()
    await signed_in(client, await register("phuket", Role.EXECUTIVE))
    assert (await client.get("/dashboard/competition")).status_code == 403
    assert (await client.get(f"/dashboard/files/submissions/{entry}")).status_code == 403
    client.cookies.clear()
    await signed_in(client, await register("khon-kaen", Role.EXECUTIVE))
    assert (await client.get(f"/dashboard/files/submissions/{entry}")).status_code == 200

    set_clock(clock, "2027-03-01T09:00")  # registration closed on 26 February
    client.cookies.clear()
    await signed_in(client, await register("depa", Role.ADMIN))
    later = (await client.get("/dashboard/competition")).text.split('id="competition"')[1]
    assert later.count('data-state="overdue"') == 12  # every city but Pattaya and Phuket
    assert later.count('data-state="not_yet"') == 13 + 14  # concept note (less Khon Kaen), plan


async def test_a_city_page_lists_its_tickets(
    client: httpx.AsyncClient, register: Register
) -> None:
    """A question asked in chat shows on its city's page (escaped) to depa and the city's
    executive, not on another city's page nor to another city's executive."""
    officer = await register("khon-kaen", Role.OFFICER)
    await officer.send("/ask")
    await officer.send("<b>ขอตัวอย่างแผน</b> ระบบขนส่งอัจฉริยะต้องทำอย่างไร")
    await officer.choose("ถามเจ้าหน้าที่")  # not answered by the FAQ: a ticket for depa
    await signed_in(client, await register("depa", Role.ADMIN))
    page = await client.get("/dashboard/cities/khon-kaen")
    tickets = page.text.split('id="tickets"')
    assert len(tickets) == 2, officer.text
    assert "&lt;b&gt;ขอตัวอย่างแผน&lt;/b&gt;" in tickets[1]
    other = await client.get("/dashboard/cities/phuket")
    assert 'id="tickets"' not in other.text
    client.cookies.clear()
    await signed_in(client, await register("khon-kaen", Role.EXECUTIVE))
    own = await client.get("/dashboard/cities/khon-kaen")
    assert "&lt;b&gt;ขอตัวอย่างแผน&lt;/b&gt;" in own.text
    client.cookies.clear()
    await signed_in(client, await register("phuket", Role.EXECUTIVE))
    refused = await client.get("/dashboard/cities/khon-kaen")
    assert refused.status_code == 403 and "ขอตัวอย่างแผน" not in refused.text


async def test_each_export_downloads_whole_and_is_audited(
    client: httpx.AsyncClient,
    register: Register,
    seeded_database: Database,
    texts: Texts,
    clock: FrozenClock,
) -> None:
    """XLSX and three CSVs: the right type, an attachment, readable again, one audit row each."""
    await report(seeded_database, texts, clock, "pmc-established", percent=50)
    await hand_in(seeded_database, "pattaya", "registration", "SCP27-PTY-RE-01", clock.now())
    await signed_in(client, await register("depa", Role.ADMIN))

    book = await client.get("/dashboard/export/progress.xlsx")
    assert book.status_code == 200
    assert book.headers["content-type"] == XLSX
    assert book.headers["content-disposition"] == 'attachment; filename="progress.xlsx"'
    opened = load_workbook(io.BytesIO(book.content))
    assert len(opened.worksheets) == 2
    assert opened.worksheets[0].max_row >= 15  # a header and 14 cities

    def table(response: httpx.Response) -> list[dict[str, str]]:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"].startswith("attachment")
        return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))

    rows = table(await client.get("/dashboard/export/progress.csv"))
    assert len(rows) == 140
    assert {"org": "khon-kaen", "percent": "50"}.items() <= next(
        row for row in rows if row["milestone"] == "pmc-established" and row["org"] == "khon-kaen"
    ).items()
    entries = table(await client.get("/dashboard/export/submissions.csv"))
    assert [(row["org"], row["reference"]) for row in entries] == [("pattaya", "SCP27-PTY-RE-01")]
    assert table(await client.get("/dashboard/export/tickets.csv")) == []
    assert await exports_audited(seeded_database) == [
        "progress.xlsx",
        "progress.csv",
        "submissions.csv",
        "tickets.csv",
    ]


PAGES = (
    "/dashboard",
    "/dashboard/cities/khon-kaen",
    "/dashboard/cities/phuket",
    "/dashboard/competition",
    "/dashboard/export/progress.xlsx",
    "/dashboard/export/progress.csv",
    "/dashboard/export/submissions.csv",
    "/dashboard/export/tickets.csv",
)
# What each role gets on each page above (303: the overview leads an executive to their city).
MATRIX = {
    ("depa", Role.COORDINATOR): (200, 200, 200, 200, 200, 200, 200, 200),
    ("depa", Role.ADMIN): (200, 200, 200, 200, 200, 200, 200, 200),
    ("khon-kaen", Role.EXECUTIVE): (303, 200, 403, 403, 403, 403, 403, 403),
}


async def test_role_by_page_matrix(
    client: httpx.AsyncClient, register: Register, seeded_database: Database
) -> None:
    """Coordinators and admins open every page; an executive their own city only; nobody
    signed in is sent to the explanation; refusals are not audited as downloads."""
    for path in PAGES:
        assert (await client.get(path)).status_code == 303
    for (org, role), expected in MATRIX.items():
        client.cookies.clear()
        await signed_in(client, await register(org, role))
        got = tuple([(await client.get(path)).status_code for path in PAGES])
        assert got == expected, (org, role)
    assert len(await exports_audited(seeded_database)) == 8
