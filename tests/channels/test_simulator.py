"""The browser simulator's HTTP side: the page, its JSON API, rendering, validation, switches."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.channels.simulator import MAX_BODY_BYTES, MAX_TEXT_CHARS, SimulatorChannel
from bot.core import replies as replies_module
from bot.core.clock import FrozenClock
from bot.core.replies import Reply, Text
from bot.seeding import run_seed
from bot.settings import DEFAULT_CONTENT_DIR, Settings, load_settings
from db.enums import Channel, Role
from db.models import Identity, Member
from tests.channels.sample_replies import EVERY_REPLY
from tests.chatdriver import ChatDriver
from tests.conftest import MATERIALS_BASE_URL, Database, InviteFactory
from tests.serving import web_client

Register = Callable[..., Awaitable[ChatDriver]]
Rendered = list[dict[str, Any]]

MESSAGES = "/simulator/api/messages"

pytestmark = pytest.mark.usefixtures("isolated_settings")


@pytest.fixture
async def client(seeded_database_url: str, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    """The web app on the seeded database, simulator on (PostgreSQL needs it said explicitly)."""
    settings = Settings(_env_file=None, database_url=seeded_database_url, citybot_simulator=True)
    async with web_client(settings, clock) as served:
        yield served


async def say(client: httpx.AsyncClient, user: str, **content: str) -> Rendered:
    """Post one message as the page does; the rendered replies."""
    response = await client.post(MESSAGES, json={"user": user, **content})
    assert response.status_code == 200, response.text
    replies: Rendered = response.json()["replies"]
    return replies


def words(value: object) -> str:
    """Every string in the rendered replies (texts, labels, titles, URLs), one per line."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(words(item) for item in value.values())
    if isinstance(value, list):
        return "\n".join(words(item) for item in value)
    return ""


def option(replies: Rendered, label: str) -> str:
    """The payload of the button labelled `label` under the bot's choices."""
    payloads: dict[str, str] = {
        o["label"]: o["payload"] for r in replies if r["type"] == "choices" for o in r["options"]
    }
    assert label in payloads, f"no button {label!r} among {list(payloads)}"
    return payloads[label]


def link_code(text: str) -> str:
    """The six-digit code /link shows."""
    found = re.search(r"(?<!\d)\d{6}(?!\d)", text)
    assert found, text
    return found.group()


async def _member(database: Database, user: str) -> Member | None:
    async with database.sessions() as session:
        identity = await session.scalar(
            select(Identity).where(
                Identity.channel == Channel.SIMULATOR, Identity.external_id == user
            )
        )
        if identity is None or identity.member_id is None:
            return None
        return await session.get(Member, identity.member_id)


# --- the page ------------------------------------------------------------------------------------


async def test_page_and_its_files_are_served_with_nothing_from_elsewhere(
    client: httpx.AsyncClient,
) -> None:
    """`GET /simulator` is a Thai page whose script and style are ours and fetch nothing else."""
    page = await client.get("/simulator")
    script = await client.get("/simulator/static/app.js")
    style = await client.get("/simulator/static/style.css")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="th">' in page.text
    assert 'src="/simulator/static/app.js"' in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert script.headers["content-type"].startswith("text/javascript")
    assert style.headers["content-type"].startswith("text/css")
    for served in (page, script, style):
        assert "https://" not in served.text and "http://" not in served.text
    assert re.findall(r"url\(([^)]*)\)", style.text) == ['"/fonts/sarabun-thai-400-normal.woff2"']
    assert "@import" not in style.text
    assert 'aria-live="polite"' in page.text and '<label for="message"' in page.text


@pytest.mark.parametrize("name", ["index.html", "missing.js", "..%2F__init__.py"])
async def test_only_the_pages_own_files_are_static(client: httpx.AsyncClient, name: str) -> None:
    """`/simulator/static/…` serves app.js and style.css only: no listing, no way out."""
    response = await client.get(f"/simulator/static/{name}")
    assert response.status_code == 404


# --- chatting through the API --------------------------------------------------------------------


async def test_onboarding_through_the_api(
    client: httpx.AsyncClient, make_invite: InviteFactory, seeded_database: Database
) -> None:
    """A new visitor greets, types an invite code, consents and is a member with a menu."""
    user, name = "web-0a1b2c", "นิดา ทดสอบ"  # the page sends the display name every time
    greeting = await say(client, user, text="สวัสดีครับ", display_name=name)
    assert "รหัสเชิญ" in words(greeting)

    code = await make_invite("khon-kaen", Role.OFFICER)
    question = await say(client, user, text=code, display_name=name)
    assert [o["label"] for o in question[-1]["options"]] == ["ยินยอม", "ไม่ยินยอม"]

    welcome = await say(client, user, payload=option(question, "ยินยอม"), display_name=name)
    assert "ลงทะเบียนเรียบร้อย" in words(welcome) and "ขอนแก่น" in words(welcome)
    materials = await say(client, user, payload=option(welcome, "เอกสาร"), display_name=name)
    assert any(r["type"] in {"choices", "cards"} for r in materials), materials

    member = await _member(seeded_database, user)
    assert member is not None
    assert member.role is Role.OFFICER and member.display_name == "นิดา ทดสอบ"


async def test_materials_arrive_as_cards_with_buttons_that_open_links(
    client: httpx.AsyncClient, make_invite: InviteFactory
) -> None:
    """A search answered with materials draws cards whose buttons open the material's URL."""
    user = "web-cards"
    await say(client, user, text=f"/start {await make_invite('phuket', Role.OFFICER)}")
    await say(client, user, payload="consent:yes")
    found = await say(client, user, text="เอกสาร ข้อมูล")

    cards = [r for r in found if r["type"] == "cards"]
    assert cards, found
    first = cards[0]["cards"][0]
    assert first["title"]
    assert first["buttons"] and first["buttons"][0]["url"].startswith(MATERIALS_BASE_URL)
    assert first["buttons"][0]["payload"] is None


async def test_english_hint_gets_english_replies(client: httpx.AsyncClient) -> None:
    """The page's language select is the platform's language hint for a newcomer."""
    replies = await say(client, "web-en", text="hello", language="en")
    assert "invite code" in words(replies)


# --- rendering -----------------------------------------------------------------------------------

EVERY_REPLY_RENDERED: Rendered = [
    {"type": "text", "text": "สวัสดีครับ ยินดีต้อนรับ"},
    {
        "type": "choices",
        "text": "ยินยอมให้เก็บข้อมูลหรือไม่",
        "options": [
            {"label": "ยินยอม", "payload": "consent:yes"},
            {"label": "ไม่", "payload": "consent:no"},
        ],
    },
    {
        "type": "cards",
        "text": "เอกสารจากเวิร์กช็อป",
        "cards": [
            {
                "title": "ชุดเครื่องมือแพลตฟอร์มข้อมูลเมือง",
                "subtitle": "Urban Innovation Vienna, 20 ธ.ค. 2561",
                "link": "https://materials.test/toolkit",
                "image_url": "https://materials.test/toolkit.png",
                "buttons": [
                    {
                        "label": "เปิดเอกสาร",
                        "url": "https://materials.test/toolkit",
                        "payload": None,
                    },
                    {"label": "ด้านการเดินทาง", "url": None, "payload": "mat:d:mobility"},
                ],
            }
        ],
    },
    {
        "type": "link",
        "text": "แบบฟอร์มรายงาน",
        "label": "เปิดแบบฟอร์ม",
        "url": "https://forms.test/report",
    },
    {
        "type": "document",
        "title": "แผนพัฒนาเมืองอัจฉริยะ",
        "url": "https://materials.test/plan.pdf",
        "caption": "ฉบับร่าง",
        "file_name": "plan.pdf",
    },
]


def test_every_reply_type_renders_to_the_pages_json() -> None:
    """Each reply type of bot.core.replies becomes the JSON the page draws, field for field."""
    declared = {
        kind
        for kind in vars(replies_module).values()
        if isinstance(kind, type) and issubclass(kind, Reply) and kind is not Reply
    }
    assert {type(r) for r in EVERY_REPLY} == declared  # a new reply type must join this test
    rendered = SimulatorChannel.render_replies(EVERY_REPLY)
    assert [r.model_dump(mode="json") for r in rendered] == EVERY_REPLY_RENDERED


def test_a_reply_type_the_page_cannot_draw_is_refused() -> None:
    """An unknown reply type raises instead of vanishing from the conversation."""

    class Sticker(Reply):
        """A reply type no adapter knows."""

    with pytest.raises(TypeError, match="Sticker"):
        SimulatorChannel.render_replies([Text(text="ok"), Sticker()])


# --- validation ----------------------------------------------------------------------------------

BAD_BODIES: list[tuple[str, bytes]] = [
    ("not JSON", b"hello"),
    ("a list", b"[]"),
    ("no user", json.dumps({"text": "hi"}).encode()),
    ("empty user", json.dumps({"user": "", "text": "hi"}).encode()),
    ("blank user", json.dumps({"user": "   ", "text": "hi"}).encode()),
    ("neither text nor payload", json.dumps({"user": "u1"}).encode()),
    ("both text and payload", json.dumps({"user": "u1", "text": "a", "payload": "b"}).encode()),
    ("empty text", json.dumps({"user": "u1", "text": ""}).encode()),
    ("text too long", json.dumps({"user": "u1", "text": "ก" * (MAX_TEXT_CHARS + 1)}).encode()),
    ("unknown language", json.dumps({"user": "u1", "text": "hi", "language": "fr"}).encode()),
    ("unknown field", json.dumps({"user": "u1", "text": "hi", "admin": True}).encode()),
    ("text not a string", json.dumps({"user": "u1", "text": 42}).encode()),
]


async def test_malformed_messages_get_422_and_change_nothing(
    client: httpx.AsyncClient, seeded_database: Database
) -> None:
    """Bad JSON, a missing or empty user, too long a text… are 422 with a reason, no traceback."""
    for case, body in BAD_BODIES:
        response = await client.post(
            MESSAGES, content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, (case, response.text)
        assert response.json()["detail"], case
        assert "Traceback" not in response.text and "ก" * 100 not in response.text, case
    async with seeded_database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Identity)) == 0


async def test_a_text_of_exactly_the_limit_is_answered(client: httpx.AsyncClient) -> None:
    """10,000 characters is still a message (the limit is inclusive)."""
    replies = await say(client, "web-long", text="ก" * MAX_TEXT_CHARS)
    assert replies


async def test_other_content_types_and_huge_bodies_are_refused(client: httpx.AsyncClient) -> None:
    """A form post is 415 (other sites cannot post one into a developer's bot); a huge body 413."""
    form = await client.post(MESSAGES, data={"user": "u1", "text": "hi"})
    huge = await client.post(
        MESSAGES,
        content=b'{"user": "u1", "text": "' + b"a" * MAX_BODY_BYTES + b'"}',
        headers={"content-type": "application/json"},
    )
    assert form.status_code == 415
    assert huge.status_code == 413


# --- demo personas -------------------------------------------------------------------------------


async def test_personas_are_the_demo_members_after_a_demo_seed(
    client: httpx.AsyncClient, seeded_database_url: str
) -> None:
    """Before `seed --demo` there is nobody to be; after it, each demo member with org and role."""
    before = await client.get("/simulator/api/personas")
    assert before.status_code == 200 and before.json() == {"personas": []}

    await run_seed(
        database_url=seeded_database_url,
        content_dir=DEFAULT_CONTENT_DIR,
        materials_base_url=MATERIALS_BASE_URL,
        demo=True,
    )
    personas = (await client.get("/simulator/api/personas")).json()["personas"]

    by_user = {p["user"]: p for p in personas}
    assert all(user.startswith("demo-") for user in by_user)
    assert by_user["demo-khon-kaen-officer"] == {
        "user": "demo-khon-kaen-officer",
        "display_name": "อรุณี ศรีสุข",
        "language": "th",
        "role": "officer",
        "role_label": {"th": "เจ้าหน้าที่เมือง", "en": "city officer"},
        "organisation": {
            "slug": "khon-kaen",
            "name": {"th": "จังหวัดขอนแก่น", "en": "Khon Kaen"},
        },
    }
    assert by_user["demo-depa-admin"]["role"] == "admin"
    whoami = await say(client, "demo-khon-kaen-officer", text="/whoami")
    assert "อรุณี ศรีสุข" in words(whoami) and "ขอนแก่น" in words(whoami)


# --- on and off ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "status"),
    [
        ({}, 200),
        ({"CITYBOT_SIMULATOR": "0"}, 404),
        ({"CITYBOT_ENV": "production"}, 404),
        ({"CITYBOT_ENV": "production", "CITYBOT_SIMULATOR": "1"}, 404),
    ],
)
async def test_simulator_is_on_by_default_on_sqlite_and_off_when_switched_off(
    monkeypatch: pytest.MonkeyPatch,
    clock: FrozenClock,
    tmp_path: Path,
    environment: dict[str, str],
    status: int,
) -> None:
    """CITYBOT_SIMULATOR=0 or production settings remove every simulator route; probes stay."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/citybot.db")
    async with web_client(settings, clock) as client:
        page = await client.get("/simulator")
        personas = await client.get("/simulator/api/personas")
        message = await client.post(MESSAGES, json={"user": "u1", "text": "hi"})
        health = await client.get("/healthz")
    assert page.status_code == status
    if status == 404:
        assert personas.status_code == 404 and message.status_code == 404
    assert health.status_code == 200


# --- one member, two channels --------------------------------------------------------------------


async def test_link_from_the_console_joins_the_simulator_account(
    client: httpx.AsyncClient, register: Register, seeded_database: Database
) -> None:
    """A /link code from the console, typed in the simulator, makes one member of both accounts."""
    console = await register("phitsanulok", Role.OFFICER, display_name="Somsak")
    await console.send("/link")
    code = link_code(console.text)

    linked = await say(client, "web-link", text=code)
    assert "เชื่อมบัญชีเรียบร้อย" in words(linked)
    whoami = words(await say(client, "web-link", text="/whoami"))
    assert "Somsak" in whoami and "คอนโซล" in whoami and "เครื่องจำลองบนเว็บ" in whoami

    simulator_member = await _member(seeded_database, "web-link")
    assert simulator_member is not None and simulator_member.display_name == "Somsak"


async def test_link_from_the_simulator_joins_a_console_account(
    client: httpx.AsyncClient,
    make_invite: InviteFactory,
    new_chat: Callable[..., ChatDriver],
) -> None:
    """The other way round: a code shown in the simulator, typed on the console."""
    user = "web-origin"
    await say(client, user, text=f"/start {await make_invite('yala', Role.EXECUTIVE)}")
    await say(client, user, payload="consent:yes")
    code = link_code(words(await say(client, user, text="/link")))

    console = new_chat("console-yala")
    await console.send(code)
    assert "เชื่อมบัญชีเรียบร้อย" in console.text
    await console.send("/whoami")
    assert "คอนโซล" in console.text and "เครื่องจำลองบนเว็บ" in console.text


async def test_issue10_answers_carry_the_accounts_language(client: httpx.AsyncClient) -> None:
    """Each answer says the language the account now speaks, so the page's menu can follow it."""
    first = await client.post(MESSAGES, json={"user": "u-lang", "text": "สวัสดี"})
    assert first.json()["language"] in {None, "th"}
    switched = await client.post(MESSAGES, json={"user": "u-lang", "text": "/lang en"})
    assert switched.json()["language"] == "en"
    page = await client.get("/simulator")
    assert "font-src 'self'" in page.headers["content-security-policy"]
