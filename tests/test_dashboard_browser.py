"""Issue 16's acceptance: the dashboard as depa staff use it, in headless Chromium.

A real `citybot serve` (migrated SQLite, `seed --demo`) talks LINE to a fake Messaging API on
loopback. People join through signed LINE webhooks: a Khon Kaen officer (invite code, consent)
who asks depa a question, a depa coordinator and a depa admin who each type `/dashboard` and get
a one-time link. The coordinator, in one browser context, signs in, sees the heatmap of the demo
cities, opens Khon Kaen, composes an announcement to Khon Kaen that goes to approval; the admin,
in a second context, approves it and the officer's LINE account receives it. The coordinator
answers the officer's ticket in the page (the officer's LINE receives the answer) and downloads
the XLSX (re-opened with openpyxl) and the CSV.

Artefacts: Thai screenshots of the overview and of the Khon Kaen page are written to
`$CITYBOT_ARTIFACTS` (default /tmp/citybot-artifacts) as `dashboard-overview.png` and
`dashboard-city-khon-kaen.png`.
"""

from __future__ import annotations

import csv
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route, expect

from bot.core.clock import SystemClock
from tests.channels.test_simulator_browser import STEP_TIMEOUT_MS, browser, chromium
from tests.fakes.line_api import FakeLineApi, Request, actions_of
from tests.fakes.line_events import (
    ACCESS_TOKEN,
    SECRET,
    Event,
    LineEvents,
    body,
    sign,
    user_id,
)
from tests.fakes.loopback import serving_in_thread
from tests.serving import CITYBOT, citybot_serve, clean_env, run_process

pytestmark = pytest.mark.browser
__all__ = ["browser", "chromium"]  # fixtures shared with the simulator's browser test

ARTIFACTS = Path(os.environ.get("CITYBOT_ARTIFACTS", "/tmp/citybot-artifacts"))  # noqa: S108
WAIT_SECONDS = 30.0  # the bot answers and the outbox delivers well within this
LOGIN = re.compile(r"/dashboard/login/[A-Za-z0-9_-]+")
ANNOUNCEMENT = "ประชุมเมืองอัจฉริยะขอนแก่น วันศุกร์ 10:00 น."
QUESTION = "/ask ขอเบอร์ผู้ประสานงานโครงการ"
ANSWER = "โทร 02-141-7100 ต่อ 1234 ครับ"


def _citybot(env: dict[str, str], cwd: Path, *args: str) -> str:
    """Run one `citybot` command as an operator would; its output."""
    done = run_process(CITYBOT, *args, env=env, cwd=cwd)
    assert done.returncode == 0, f"citybot {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def _said(request: Request) -> str:
    """Everything a reply, push or multicast asked LINE to show, as one string."""
    return json.dumps(request.json, ensure_ascii=False) if request.json else ""


@dataclass
class Bot:
    """A served bot reached through LINE: post signed webhooks, read what the fake LINE got."""

    base_url: str
    api: FakeLineApi
    codes: dict[str, str]  # invite code by role: officer (Khon Kaen), coordinator, admin (depa)
    events: LineEvents = field(default_factory=lambda: LineEvents(SystemClock()))

    def wait_for(self, what: str, found: Callable[[Request], bool]) -> Request:
        """The first accepted LINE call matching `found`, polled for at most WAIT_SECONDS."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            for request in list(self.api.requests):
                if 200 <= request.status < 300 and found(request):
                    return request
            time.sleep(0.05)
        seen = [(r.endpoint, r.status, _said(r)[:200]) for r in self.api.requests]
        raise AssertionError(f"LINE never received {what} in {WAIT_SECONDS}s; it got {seen}")

    def deliver(self, event: Event) -> Request:
        """Post `event` as LINE does; the bot's reply to it."""
        raw = body(event)
        answer = httpx.post(
            f"{self.base_url}/webhooks/line",
            content=raw,
            headers={"Content-Type": "application/json", "X-Line-Signature": sign(raw)},
            timeout=5,
        )
        assert answer.status_code == 200, answer.text
        token = event["replyToken"]
        return self.wait_for(
            f"the reply to {event['type']} {event.get('message', event.get('postback'))}",
            lambda r: r.endpoint == "reply" and r.json.get("replyToken") == token,
        )

    def says(self, user: str, text: str) -> Request:
        """`user` types `text` in LINE."""
        return self.deliver(self.events.text(user, text))

    def taps(self, user: str, reply: Request, *labels: str) -> Request:
        """`user` taps the first button of `reply` labelled one of `labels`."""
        for action in actions_of(reply.json["messages"]):
            if action.get("type") == "postback" and action.get("label") in labels:
                return self.deliver(self.events.postback(user, str(action["data"])))
        raise AssertionError(f"no button {labels} in {_said(reply)}")

    def joins(self, code: str, name: str) -> str:
        """A new LINE user with an invite code and consent; their LINE user id."""
        user = user_id()
        self.api.profiles[user] = {"displayName": name, "language": "th"}
        welcome = self.taps(user, self.says(user, code), "ยินยอม")
        assert "ลงทะเบียนเรียบร้อย" in _said(welcome), _said(welcome)
        return user

    def sign_in_link(self, user: str) -> str:
        """The one-time link `/dashboard` sends: on the address `serve` listens on."""
        said = _said(self.says(user, "/dashboard"))
        found = LOGIN.search(said)
        assert found is not None, f"no sign-in link in the reply to /dashboard: {said}"
        link = self.base_url + found.group(0)
        assert link in said, f"the link is not on {self.base_url}: {said}"
        return link

    def pushed_to(self, user: str, text: str) -> Request:
        """The push or multicast that brought `text` to `user`."""

        def reaches(request: Request) -> bool:
            if request.endpoint not in {"push", "multicast"}:
                return False
            to = request.json.get("to")
            return user in (to if isinstance(to, list) else [to]) and text in _said(request)

        return self.wait_for(f"{text!r} pushed to {user}", reaches)


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[Bot]:
    """`db upgrade`, `seed --demo`, three invites, then `citybot serve` with LINE on the fake."""
    with serving_in_thread(FakeLineApi()) as (api,):
        database = tmp_path / "citybot.db"
        env = clean_env(
            DATABASE_URL=f"sqlite+aiosqlite:///{database}",
            LINE_CHANNEL_SECRET=SECRET,
            LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN,
            LINE_API_BASE_URL=api.base_url,
            LINE_DATA_API_BASE_URL=api.base_url,
        )
        _citybot(env, tmp_path, "db", "upgrade")
        _citybot(env, tmp_path, "seed", "--demo")
        codes = {
            role: _citybot(env, tmp_path, "invite", "create", "--org", org, "--role", role)
            .strip()
            .splitlines()[-1]
            for org, role in (("khon-kaen", "officer"), ("depa", "coordinator"), ("depa", "admin"))
        }
        with citybot_serve(env, tmp_path, seconds=20) as server:
            yield Bot(server.base_url, api, codes)
        assert "Traceback" not in server.log.read_text()


def _thai_tab(context: BrowserContext, base_url: str, problems: list[str]) -> Page:
    """A tab that may only reach the server, noting console errors and page errors."""

    def keep_local(route: Route) -> None:
        if route.request.url.startswith(base_url + "/"):
            route.continue_()
        else:
            problems.append(f"left the server: {route.request.url}")
            route.abort()

    def on_console(message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"}:
            problems.append(message.text)

    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    page.route("**/*", keep_local)
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return page


def _context(browser: Browser) -> BrowserContext:
    """A browser profile of its own (cookies, downloads), in Thai, laptop-sized."""
    return browser.new_context(
        locale="th-TH", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )


def _signed_in(page: Page, link: str, base_url: str) -> None:
    """Open a one-time link: the overview, signed in."""
    page.goto(link)
    expect(page).to_have_url(f"{base_url}/dashboard")
    expect(page.locator("html")).to_have_attribute("lang", "th")


def _downloaded(page: Page, name: str, into: Path) -> Path:
    """Click the overview's download link for `name`; where the file was saved."""
    with page.expect_download(timeout=STEP_TIMEOUT_MS) as started:
        page.locator(f'#exports a[href="/dashboard/export/{name}"]').click()
    download = started.value
    assert download.suggested_filename == name
    saved = into / name
    download.save_as(saved)
    return saved


def test_depa_staff_work_the_dashboard_in_the_browser(
    browser: Browser, bot: Bot, tmp_path: Path
) -> None:
    """Sign in from chat → heatmap → a city → announce for approval → approved elsewhere →
    LINE delivers it; answer a ticket → the asker's LINE gets it; XLSX and CSV downloads."""
    officer = bot.joins(bot.codes["officer"], "Somsak KK")
    sent = bot.taps(officer, bot.says(officer, QUESTION), "ส่ง")  # no FAQ answers it
    assert "#1" in _said(sent), _said(sent)
    coordinator = bot.joins(bot.codes["coordinator"], "Nok depa")
    admin = bot.joins(bot.codes["admin"], "Admin depa")
    coordinator_link = bot.sign_in_link(coordinator)
    admin_link = bot.sign_in_link(admin)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []

    # The coordinator: the overview heatmap of the demo cities, then Khon Kaen.
    coordinating = _context(browser)
    page = _thai_tab(coordinating, bot.base_url, problems)
    _signed_in(page, coordinator_link, bot.base_url)
    heatmap = page.locator("#heatmap")
    expect(heatmap.locator("tbody tr")).to_have_count(14)
    for city in ("ขอนแก่น", "พัทยา", "ภูเก็ต"):
        expect(heatmap.locator("tbody th", has_text=city)).to_have_count(1)
    coloured = heatmap.locator("td.cell[data-status]")
    expect(coloured.first).to_be_visible()
    colours = coloured.evaluate_all(
        "cells => new Set(cells.map(c => getComputedStyle(c).backgroundColor)).size"
    )
    assert colours >= 2, "the heatmap's cells are not coloured by status"
    page.screenshot(path=ARTIFACTS / "dashboard-overview.png", full_page=True)

    heatmap.get_by_role("link", name="ขอนแก่น").click()
    expect(page).to_have_url(f"{bot.base_url}/dashboard/cities/khon-kaen")
    expect(page.locator("h1")).to_contain_text("ขอนแก่น")
    expect(page.locator("#milestones tbody tr").first).to_be_visible()
    expect(page.locator("#tickets")).to_contain_text("ขอเบอร์ผู้ประสานงานโครงการ")
    page.screenshot(path=ARTIFACTS / "dashboard-city-khon-kaen.png", full_page=True)

    # The coordinator composes; it waits for an admin.
    page.goto(f"{bot.base_url}/dashboard/announcements")
    page.locator("#text").fill(ANNOUNCEMENT)
    page.locator("#audience").select_option("org:khon-kaen")
    page.get_by_role("button", name="ดูตัวอย่าง").click()
    expect(page.locator("#preview tr[data-channel=line] td.num").first).to_have_text("1")
    expect(page.locator("#text")).to_have_value(ANNOUNCEMENT)
    page.get_by_role("button", name="ส่งขออนุมัติ").click()
    expect(page.locator("#done")).to_be_visible()
    pending = page.locator("#queue .queued", has_text=ANNOUNCEMENT)
    expect(pending).to_have_count(1)
    expect(pending.get_by_role("button", name="อนุมัติ")).to_have_count(0)  # not the author's

    # The admin, in a browser of their own, approves it; LINE carries it to Khon Kaen.
    approving = _context(browser)
    admin_page = _thai_tab(approving, bot.base_url, problems)
    _signed_in(admin_page, admin_link, bot.base_url)
    admin_page.goto(f"{bot.base_url}/dashboard/announcements")
    queued = admin_page.locator("#queue .queued", has_text=ANNOUNCEMENT)
    queued.get_by_role("button", name="อนุมัติ", exact=True).click()
    expect(admin_page.locator("#done")).to_be_visible()
    expect(admin_page.locator("#queue .queued", has_text=ANNOUNCEMENT)).to_have_count(0)
    bot.pushed_to(officer, ANNOUNCEMENT)
    bot.pushed_to(admin, ANNOUNCEMENT)  # asked in chat to approve it, before the page did
    to_officer = [
        r
        for r in bot.api.accepted("push") + bot.api.accepted("multicast")
        if ANNOUNCEMENT in _said(r) and officer in json.dumps(r.json["to"])
    ]
    assert len(to_officer) == 1, "the officer got the announcement other than once"

    # The coordinator answers the officer's question; the officer's LINE gets the answer.
    page.goto(f"{bot.base_url}/dashboard/questions")
    ticket = page.locator("#ticket-1")
    expect(ticket).to_contain_text("ขอเบอร์ผู้ประสานงานโครงการ")
    ticket.get_by_label("คำตอบ (ส่งถึงแชตของผู้ถาม)").fill(ANSWER)
    ticket.get_by_role("button", name="ส่งคำตอบ").click()
    expect(page.locator("#done")).to_be_visible()
    expect(page.locator("#ticket-1")).to_contain_text(ANSWER)
    bot.pushed_to(officer, ANSWER)

    # The exports, as a person downloads them from the overview.
    page.goto(f"{bot.base_url}/dashboard")
    book = load_workbook(_downloaded(page, "progress.xlsx", tmp_path))
    sheet = book.worksheets[0]
    assert sheet.max_row >= 15  # a header and the 14 cities
    cells = {str(value) for row in sheet.iter_rows(values_only=True) for value in row}
    assert any("ขอนแก่น" in cell or "Khon Kaen" in cell for cell in cells)
    with _downloaded(page, "progress.csv", tmp_path).open(encoding="utf-8-sig") as text:
        rows = list(csv.DictReader(text))
    assert len({row["org"] for row in rows}) == 14
    assert len(rows) == 140  # 14 cities × 10 milestones
    assert {"org", "milestone", "status", "percent"} <= set(rows[0])

    coordinating.close()
    approving.close()
    assert problems == []
    for name in ("dashboard-overview.png", "dashboard-city-khon-kaen.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000, name
