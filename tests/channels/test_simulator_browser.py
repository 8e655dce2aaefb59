"""The simulator as a person uses it: a real `citybot serve`, driven in headless Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Response,
    Route,
    expect,
    sync_playwright,
)

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
    database: Path


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
    database = tmp_path / "citybot.db"
    env = clean_env(DATABASE_URL=f"sqlite+aiosqlite:///{database}")
    _citybot(env, tmp_path, "db", "upgrade")
    _citybot(env, tmp_path, "seed", "--demo")
    invite = _citybot(env, tmp_path, "invite", "create", "--org", "khon-kaen", "--role", "officer")
    code = invite.strip().splitlines()[-1]
    with citybot_serve(env, tmp_path, seconds=15) as server:
        yield Served(server.base_url, code, server.log, database)
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


def _open(browser: Browser, served: Served, *, height: int = 1100) -> Page:
    """A Thai-speaking browser tab on the simulator page, steps failing after STEP_TIMEOUT_MS."""
    page = browser.new_page(viewport={"width": 900, "height": height}, locale="th-TH")
    page.set_default_timeout(STEP_TIMEOUT_MS)
    page.goto(f"{served.base_url}/simulator")
    return page


def _say(page: Page, text: str) -> None:
    """Type `text` into the message box, press Enter and wait for the answer."""
    message_box = page.get_by_label("ข้อความถึงบอท")
    message_box.fill(text)
    message_box.press("Enter")
    _bot_answered(page)


def _bot_answered(page: Page) -> None:
    """Wait until the page has drawn the answer to what was just sent."""
    expect(page.locator("#send")).to_be_enabled()
    expect(page.locator("#log > li").last).to_have_class("message bot")


def test_chatting_in_the_browser_registers_and_opens_the_menu(
    served: Served, browser: Browser, tmp_path: Path
) -> None:
    """Type an invite code, press ยินยอม, see the city's welcome, press เอกสาร, get buttons."""
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

    page = browser.new_page(viewport={"width": 900, "height": 1100}, locale="th-TH")
    page.set_default_timeout(STEP_TIMEOUT_MS)
    page.route("**/*", keep_local)
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{served.base_url}/simulator")
    expect(page.locator("#persona option", has_text="อรุณี ศรีสุข")).to_have_count(1)
    _say(page, served.invite_code)

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


def test_issue10_thai_is_drawn_in_the_font_the_app_serves(
    served: Served, browser: Browser
) -> None:
    """On a machine without Thai fonts, Thai text is drawn in Sarabun, fetched from the app."""
    fonts: list[Response] = []
    page = browser.new_page(locale="th-TH")
    page.set_default_timeout(STEP_TIMEOUT_MS)
    page.on(
        "response", lambda response: fonts.append(response) if "/fonts/" in response.url else None
    )
    page.goto(f"{served.base_url}/simulator")

    assert page.evaluate(
        "document.fonts.ready.then(() => document.fonts.check('16px Sarabun', 'สวัสดี'))"
    )
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    label = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "label[for=persona]"})
    drawn = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": label["nodeId"]})["fonts"]
    assert [(font["familyName"], font["isCustomFont"]) for font in drawn] == [("Sarabun", True)]
    assert {(font.status, font.headers["content-type"]) for font in fonts} == {(200, "font/woff2")}
    assert f"{served.base_url}/fonts/sarabun-thai-400-normal.woff2" in {f.url for f in fonts}


def test_issue10_newest_reply_and_its_buttons_are_above_the_message_box(
    served: Served, browser: Browser
) -> None:
    """In a window too short for the conversation, the newest reply's buttons are not hidden."""
    page = _open(browser, served, height=600)
    for _ in range(3):
        _say(page, "สวัสดี")
    _say(page, served.invite_code)  # the consent question, with its buttons
    last_button = page.locator("#log > li.bot").last.get_by_role("button").last
    page.wait_for_function(
        """button => button.getBoundingClientRect().bottom
            <= document.getElementById("composer").getBoundingClientRect().top""",
        arg=last_button.element_handle(),
    )
    button = last_button.bounding_box()
    composer = page.locator("#composer").bounding_box()
    header = page.locator("header.bar").bounding_box()
    assert button is not None and composer is not None and header is not None
    assert button["y"] + button["height"] <= composer["y"]
    assert button["y"] >= header["y"] + header["height"]


def test_issue10_language_menu_follows_the_lang_command(served: Served, browser: Browser) -> None:
    """After `/lang en` the page's language menu and its own words switch to English."""
    page = _open(browser, served)
    expect(page.locator("#language")).to_have_value("th")
    _say(page, "/lang en")
    expect(page.locator("#log > li.bot").last).to_contain_text("Language set to English.")
    expect(page.locator("#language")).to_have_value("en")
    expect(page.locator("label[for=language]")).to_have_text("Language")
    expect(page.locator("html")).to_have_attribute("lang", "en")
