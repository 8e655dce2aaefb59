"""The simulator as a person uses it: a real `citybot serve`, driven in headless Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect, sync_playwright

from tests.conftest import IN_CI
from tests.serving import CITYBOT, citybot_serve, clean_env, run_process

pytestmark = pytest.mark.browser

SCREENSHOT_FOR_PEOPLE = Path("/tmp/simulator.png")  # noqa: S108  # asked for, to look at by eye
# Headless and quiet: no sandbox (containers lack user namespaces), no GPU, and none of the
# background traffic (updates, sync, QUIC probes) that would leave this machine.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STEP_TIMEOUT_MS = 5_000


@dataclass(frozen=True)
class Served:
    """A running `citybot serve` and what the test needs from its setup."""

    base_url: str
    invite_code: str
    log: Path


@pytest.fixture
def chromium() -> str:
    """Debian's chromium; skipped when missing on a laptop, a failure in CI."""
    found = shutil.which("chromium")
    if found is not None:
        return found
    if IN_CI:
        pytest.fail("chromium is not installed in CI: .ci/run must `apt-get install chromium`")
    pytest.skip("chromium is not installed (apt-get install chromium)")


def _citybot(env: dict[str, str], cwd: Path, *args: str) -> str:
    """Run one `citybot` command as an operator would; its output."""
    done = run_process(CITYBOT, *args, env=env, cwd=cwd)
    assert done.returncode == 0, f"citybot {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """`db upgrade`, `seed --demo`, `invite create`, then `citybot serve` on a free port."""
    env = clean_env(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'citybot.db'}")
    _citybot(env, tmp_path, "db", "upgrade")
    _citybot(env, tmp_path, "seed", "--demo")
    invite = _citybot(env, tmp_path, "invite", "create", "--org", "khon-kaen", "--role", "officer")
    code = invite.strip().splitlines()[-1]
    with citybot_serve(env, tmp_path, seconds=15) as server:
        yield Served(server.base_url, code, server.log)
    assert "Traceback" not in server.log.read_text()


@pytest.fixture
def browser(chromium: str) -> Iterator[Browser]:
    """Headless Chromium with a fresh profile (Playwright makes a new user-data-dir per launch)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


def _bot_answered(page: Page) -> None:
    """Wait until the page has drawn the answer to what was just sent."""
    expect(page.locator("#send")).to_be_enabled()
    expect(page.locator("#log > li").last).to_have_class("message bot")


def test_chatting_in_the_browser_registers_and_opens_the_menu(
    served: Served, browser: Browser, tmp_path: Path
) -> None:
    """Type an invite code, press ยินยอม, see the city's welcome, press เอกสาร, get buttons."""
    page = browser.new_page(viewport={"width": 900, "height": 1100}, locale="th-TH")
    page.set_default_timeout(STEP_TIMEOUT_MS)
    problems: list[str] = []
    outside: list[str] = []

    def keep_local(route: Route) -> None:
        if route.request.url.startswith(served.base_url + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    def on_console(message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"}:
            problems.append(message.text)

    page.route("**/*", keep_local)
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{served.base_url}/simulator")
    expect(page.locator("#persona option", has_text="อรุณี ศรีสุข")).to_have_count(1)
    message_box = page.get_by_label("ข้อความถึงบอท")
    message_box.fill(served.invite_code)
    message_box.press("Enter")
    _bot_answered(page)

    page.get_by_role("button", name="ยินยอม", exact=True).click()
    _bot_answered(page)
    welcome = page.locator("#log > li.bot").last
    expect(welcome).to_contain_text("ลงทะเบียนเรียบร้อย")
    expect(welcome).to_contain_text("ขอนแก่น")

    welcome.get_by_role("button", name="เอกสาร", exact=True).click()
    expect(page.locator("#log > li.user").last).to_have_text("คุณ: เอกสาร")
    _bot_answered(page)
    menu = page.locator("#log > li.bot").last
    expect(menu.get_by_role("button").first).to_be_visible()
    assert menu.get_by_role("button").count() >= 2

    page.screenshot(path=tmp_path / "simulator.png", full_page=True)
    shutil.copyfile(tmp_path / "simulator.png", SCREENSHOT_FOR_PEOPLE)
    assert problems == []
    assert outside == []
    assert f"simulator: {served.base_url}/simulator" in served.log.read_text()
