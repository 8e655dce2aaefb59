"""Issue 16: signing in to the dashboard with a one-time link from chat, and keeping it safe."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from bot.cli import cli
from bot.core.clock import FrozenClock
from bot.web import create_web_app
from db.enums import Role
from db.models import AuditLog, DashboardLink, Member
from handlers.dashboard.service import digest
from tests.chatdriver import ChatDriver
from tests.conftest import AppFactory, Database
from tests.factories import add_member, in_database, one_line_error
from tests.handlers.progress_kit import Register, add_partner_firm

LINK = re.compile(r"http://127\.0\.0\.1:8080(/dashboard/login/[A-Za-z0-9_-]+)")
runner = CliRunner()


@pytest.fixture
async def client(make_app: AppFactory, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    """The web app on the chats' database and clock."""
    web = create_web_app(await make_app(clock=clock))
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://citybot.test") as client:
        yield client


async def link_of(member: ChatDriver) -> str:
    """The path of the sign-in link `/dashboard` sends (no PUBLIC_BASE_URL: in the text)."""
    await member.send("/dashboard")
    found = LINK.search(member.text)
    assert found is not None, member.text
    return found.group(1)


async def signed_in(client: httpx.AsyncClient, member: ChatDriver) -> httpx.Response:
    """Open the member's link: the redirect that sets the session cookie."""
    response = await client.get(await link_of(member))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard"
    return response


async def test_a_coordinator_signs_in_from_chat_and_sees_every_city(
    client: httpx.AsyncClient, register: Register, seeded_database: Database
) -> None:
    """/dashboard → link → cookie (HttpOnly, Lax, /dashboard) → the heatmap of 14 cities."""
    coordinator = await register("depa", Role.COORDINATOR, display_name="Nok")
    response = await signed_in(client, coordinator)
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/dashboard" in cookie
    assert "Secure" not in cookie  # plain http in the test; behind https it is set

    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.text.count('<th scope="row">') == 14  # one heatmap row per city
    assert "ขอนแก่น" in page.text
    assert "/dashboard/cities/khon-kaen" in page.text
    city = await client.get("/dashboard/cities/yala")
    assert city.status_code == 200
    assert "ยะลา" in city.text
    async with seeded_database.sessions() as session:
        actions = list(await session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert "dashboard.link" in actions
    assert "dashboard.signin" in actions


async def test_links_are_single_use_short_lived_and_unguessable(
    client: httpx.AsyncClient, register: Register, clock: FrozenClock
) -> None:
    """A reused link, an expired one and a made-up one each get a clear page, and no cookie."""
    admin = await register("depa", Role.ADMIN)
    path = await link_of(admin)
    assert (await client.get(path)).status_code == 303
    client.cookies.clear()
    reused = await client.get(path)
    assert reused.status_code == 410
    assert "ถูกใช้ไปแล้ว" in reused.text
    assert "set-cookie" not in reused.headers

    late = await link_of(admin)
    clock.advance(timedelta(minutes=10, seconds=1))
    expired = await client.get(late)
    assert expired.status_code == 410
    assert "หมดอายุ" in expired.text

    made_up = await client.get("/dashboard/login/not-a-real-token")
    assert made_up.status_code == 404
    assert "set-cookie" not in made_up.headers


async def test_without_a_session_the_pages_explain_how_to_sign_in(
    client: httpx.AsyncClient,
) -> None:
    """No cookie, or a forged one: every page leads to the explanation."""
    for path in ("/dashboard", "/dashboard/cities/khon-kaen", "/dashboard/logout"):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard/signin"
    client.cookies.set("citybot_dashboard", "forged.0123456789abcdef", path="/dashboard")
    assert (await client.get("/dashboard")).status_code == 303
    explanation = await client.get("/dashboard/signin")
    assert explanation.status_code == 200
    assert "/dashboard" in explanation.text
    english = await client.get("/dashboard/signin", params={"lang": "en"})
    assert "Sign in from the chat" in english.text


async def test_an_executive_sees_their_own_city_only(
    client: httpx.AsyncClient, register: Register
) -> None:
    """The overview leads an executive to their city; another city is 403."""
    executive = await register("khon-kaen", Role.EXECUTIVE)
    await signed_in(client, executive)
    overview = await client.get("/dashboard")
    assert overview.status_code == 303
    assert overview.headers["location"] == "/dashboard/cities/khon-kaen"
    own = await client.get("/dashboard/cities/khon-kaen")
    assert own.status_code == 200
    other = await client.get("/dashboard/cities/phuket")
    assert other.status_code == 403
    assert "ไม่ใช่เมืองของคุณ" in other.text
    assert (await client.get("/dashboard/cities/atlantis")).status_code == 404


async def test_an_officer_gets_no_link(register: Register) -> None:
    """Officers are told who may sign in; no link is made."""
    officer = await register("khon-kaen", Role.OFFICER)
    await officer.send("/dashboard")
    assert "/dashboard/login/" not in officer.text
    assert "ผู้บริหารเมือง" in officer.text


async def test_a_partner_gets_no_link(register: Register, seeded_database: Database) -> None:
    """Partners are told who may sign in."""
    await add_partner_firm(seeded_database)
    partner = await register("test-firm", Role.PARTNER)
    await partner.send("/dashboard")
    assert "/dashboard/login/" not in partner.text


async def test_a_new_role_or_erasure_ends_the_session_at_once(
    client: httpx.AsyncClient, register: Register, seeded_database: Database
) -> None:
    """The session is only as good as the member's role: demoted or erased, it is over."""
    coordinator = await register("depa", Role.COORDINATOR, display_name="Demoted")
    await signed_in(client, coordinator)
    assert (await client.get("/dashboard")).status_code == 200
    async with seeded_database.sessions() as session, session.begin():
        await session.execute(
            update(Member).where(Member.display_name == "Demoted").values(role=Role.ADMIN)
        )
    assert (await client.get("/dashboard")).status_code == 303

    executive = await register("yala", Role.EXECUTIVE, display_name="Erased")
    await signed_in(client, executive)
    assert (await client.get("/dashboard/cities/yala")).status_code == 200
    await executive.send("/forget")
    await executive.choose("ลบข้อมูลของฉัน")
    assert (await client.get("/dashboard/cities/yala")).status_code == 303


async def test_sessions_idle_out_after_eight_hours(
    client: httpx.AsyncClient, register: Register, clock: FrozenClock
) -> None:
    """Used, a session lives on; left alone eight hours, it is over."""
    admin = await register("depa", Role.ADMIN)
    await signed_in(client, admin)
    clock.advance(timedelta(hours=7))
    assert (await client.get("/dashboard")).status_code == 200
    clock.advance(timedelta(hours=7))
    assert (await client.get("/dashboard")).status_code == 200
    clock.advance(timedelta(hours=8, seconds=1))
    assert (await client.get("/dashboard")).status_code == 303


async def test_signing_out_needs_the_csrf_token(
    client: httpx.AsyncClient, register: Register
) -> None:
    """A form without the session's token is 403; with it, the session ends and the cookie goes."""
    admin = await register("depa", Role.ADMIN)
    await signed_in(client, admin)
    page = await client.get("/dashboard/logout")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    assert (await client.post("/dashboard/logout", data={})).status_code == 403
    wrong = await client.post("/dashboard/logout", data={"csrf_token": "guess"})
    assert wrong.status_code == 403
    assert (await client.get("/dashboard")).status_code == 200  # still signed in
    out = await client.post("/dashboard/logout", data={"csrf_token": token.group(1)})
    assert out.status_code == 303
    assert out.headers["location"] == "/dashboard/signin?out=1"
    assert (await client.get("/dashboard")).status_code == 303


async def test_names_are_escaped(client: httpx.AsyncClient, register: Register) -> None:
    """Member-written text never becomes markup."""
    admin = await register("depa", Role.ADMIN, display_name="<script>alert(1)</script>")
    await signed_in(client, admin)
    page = await client.get("/dashboard")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text


async def test_the_dashboard_can_be_switched_off(make_app: AppFactory) -> None:
    """CITYBOT_DASHBOARD=0: no dashboard routes at all."""
    web = create_web_app(await make_app(citybot_dashboard=False))
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://citybot.test") as client:
        assert (await client.get("/dashboard")).status_code == 404
        assert (await client.get("/dashboard/signin")).status_code == 404


@pytest.mark.usefixtures("isolated_settings")
def test_the_cli_prints_a_link_for_an_operator(seeded_database_url: str) -> None:
    """`citybot dashboard link --member ID`: the URL is the last line; refusals are one line."""

    async def people(session: AsyncSession) -> tuple[int, int]:
        coordinator = await add_member(session, "depa", Role.COORDINATOR)
        officer = await add_member(session, "khon-kaen", Role.OFFICER)
        return coordinator.id, officer.id

    coordinator, officer = in_database(seeded_database_url, people)
    env = {"DATABASE_URL": seeded_database_url}
    result = runner.invoke(cli, ["dashboard", "link", "--member", str(coordinator)], env=env)
    assert result.exit_code == 0, result.output
    url = result.stdout.strip().splitlines()[-1]
    assert url.startswith("http://127.0.0.1:8080/dashboard/login/")
    token = url.rsplit("/", 1)[-1]

    async def link_of(session: AsyncSession) -> DashboardLink | None:
        return await session.scalar(
            select(DashboardLink).where(DashboardLink.token_hash == digest(token))
        )

    stored = in_database(seeded_database_url, link_of)
    assert stored is not None
    assert stored.member_id == coordinator
    assert stored.expires_at - stored.created_at == timedelta(minutes=10)

    missing = runner.invoke(cli, ["dashboard", "link", "--member", "999999"], env=env)
    one_line_error(missing, "no member with id 999999")
    refused = runner.invoke(cli, ["dashboard", "link", "--member", str(officer)], env=env)
    one_line_error(refused, "may not use the dashboard")
