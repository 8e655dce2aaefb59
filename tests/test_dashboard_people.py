"""Issue 16: the dashboard's members and invites, audit log and community needs pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from bot.channels.console import ConsoleChannel
from bot.core.clock import FrozenClock
from bot.web import create_web_app
from db.enums import Role
from db.models import AuditLog, Invite, Member
from db.repositories import audit
from tests.chatdriver import ChatDriver
from tests.conftest import AppFactory, Database, InviteFactory
from tests.handlers.community_kit import MESSAGES, NOT_COUNTED, QUESTION, raise_needs
from tests.handlers.progress_kit import Register
from tests.test_dashboard_signin import signed_in

PAGES = ("/dashboard/members", "/dashboard/audit", "/dashboard/community")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
async def browser(make_app: AppFactory, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    """The web app with a Telegram bot name (for invite QR codes) reading console chats too."""
    app = await make_app(clock=clock, telegram_bot_username="@citybot_th_bot")
    app.answer_in_person(ConsoleChannel)  # the tests' chats are console accounts
    transport = httpx.ASGITransport(app=create_web_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://citybot.test") as client:
        yield client


async def csrf(browser: httpx.AsyncClient) -> str:
    """The session's CSRF token, as a form on the members page carries it."""
    found = CSRF.search((await browser.get("/dashboard/members")).text)
    assert found is not None
    return found.group(1)


async def member_id(db: Database, name: str) -> int:
    """The id of the member called `name`."""
    async with db.sessions() as session:
        found = await session.scalar(select(Member.id).where(Member.display_name == name))
    assert found is not None
    return found


async def invites(db: Database) -> list[Invite]:
    """Every invite, oldest first."""
    async with db.sessions() as session:
        return list(await session.scalars(select(Invite).order_by(Invite.id)))


async def actions(db: Database, prefix: str) -> list[AuditLog]:
    """Audit entries whose action starts with `prefix`, oldest first."""
    async with db.sessions() as session:
        query = select(AuditLog).where(AuditLog.action.startswith(prefix)).order_by(AuditLog.id)
        return list(await session.scalars(query))


async def test_members_by_organisation_and_an_erased_member_without_a_name(
    browser: httpx.AsyncClient, register: Register, seeded_database: Database
) -> None:
    """Names, roles, languages, chat accounts and status; erased members show no name."""
    coordinator = await register("depa", Role.COORDINATOR, display_name="Nok")
    await register("khon-kaen", Role.OFFICER, display_name="Somchai", language="en")
    leaving = await register("yala", Role.EXECUTIVE, display_name="Forgotten Person")
    await leaving.send("/forget")
    await leaving.choose("ลบข้อมูลของฉัน")
    async with seeded_database.sessions() as session:
        erased = await session.scalar(select(Member).where(Member.erased_at.is_not(None)))
    assert erased is not None

    await signed_in(browser, coordinator)
    page = await browser.get("/dashboard/members")
    assert page.status_code == 200
    table = page.text[page.text.index('id="members"') :]
    assert "Nok" in table and "Somchai" in table
    assert "Forgotten Person" not in page.text
    row = table[table.index(f'data-member="{erased.id}"') :].split("</tr>")[0]
    assert "(ลบข้อมูลแล้ว)" in row and "ลบข้อมูลแล้ว</td>" in row
    somchai = table[table.index(f'data-member="{await member_id(seeded_database, "Somchai")}"') :]
    assert "<td>en</td>" in somchai.split("</tr>")[0]
    assert "<td>คอนโซล</td>" in somchai.split("</tr>")[0]
    assert "ขอนแก่น" in somchai.split("</tr>")[0]


async def test_an_admin_creates_an_invite_with_its_qr_code_and_revokes_it(
    browser: httpx.AsyncClient,
    register: Register,
    new_chat: Callable[..., ChatDriver],
    seeded_database: Database,
) -> None:
    """Created (audited, the code large, a QR of the t.me link); revoked, chat refuses it."""
    admin = await register("depa", Role.ADMIN, display_name="Admin")
    await signed_in(browser, admin)
    token = await csrf(browser)
    before = len(await invites(seeded_database))
    form = {"csrf_token": token, "organisation": "depa", "role": "coordinator"}
    made = await browser.post(
        "/dashboard/members/invites", data={**form, "uses": "2", "days": "7"}
    )
    assert made.status_code == 303
    invite = (await invites(seeded_database))[-1]
    assert len(await invites(seeded_database)) == before + 1
    assert made.headers["location"] == f"/dashboard/members?created={invite.code}"
    assert (invite.role, invite.max_uses) == (Role.COORDINATOR, 2)
    assert invite.created_by_member_id == await member_id(seeded_database, "Admin")
    created = (await actions(seeded_database, "invite.create"))[-1]
    assert created.target == f"invite:{invite.code}"
    assert created.details["via"] == "dashboard"

    shown = await browser.get(made.headers["location"])
    card = shown.text[shown.text.index('id="created"') :].split('<div class="card">')[0]
    assert f'<p class="code">{invite.code}</p>' in card
    assert "<svg" in card and 'class="segno"' in card
    assert f"https://t.me/citybot_th_bot?start={invite.code}" in card

    revoked = await browser.post(
        f"/dashboard/members/invites/{invite.code}/revoke", data={"csrf_token": token}
    )
    assert revoked.status_code == 303
    assert (await invites(seeded_database))[-1].revoked_at is not None
    assert (await actions(seeded_database, "invite.revoke"))[-1].details["via"] == "dashboard"
    newcomer = new_chat("u-too-late")
    await newcomer.send(f"/start {invite.code}")
    assert "ถูกยกเลิกแล้ว" in newcomer.text


async def test_no_qr_code_without_a_telegram_bot_name(
    make_app: AppFactory, clock: FrozenClock, register: Register
) -> None:
    """Without TELEGRAM_BOT_USERNAME the code alone is shown."""
    transport = httpx.ASGITransport(app=create_web_app(await make_app(clock=clock)))
    async with httpx.AsyncClient(transport=transport, base_url="http://citybot.test") as client:
        await signed_in(client, await register("depa", Role.ADMIN))
        form = {"csrf_token": await csrf(client), "organisation": "yala", "role": "officer"}
        made = await client.post(
            "/dashboard/members/invites", data={**form, "uses": "1", "days": "3"}
        )
        shown = await client.get(made.headers["location"])
    assert '<p class="code">' in shown.text
    assert "<svg" not in shown.text and "t.me" not in shown.text


async def test_who_may_invite_whom_follows_the_chat_and_forms_need_the_csrf_token(
    browser: httpx.AsyncClient,
    register: Register,
    make_invite: InviteFactory,
    seeded_database: Database,
) -> None:
    """A coordinator may not invite an admin (403); a role the organisation lacks is 400; bad
    numbers are 400; a form without the token is 403; none of them writes a row. Nor may a
    coordinator revoke an admin's invite."""
    await signed_in(browser, await register("depa", Role.COORDINATOR))
    page = await browser.get("/dashboard/members")
    assert '<option value="admin">' not in page.text
    token = await csrf(browser)
    before = len(await invites(seeded_database))
    post = "/dashboard/members/invites"
    fields = {"uses": "1", "days": "14"}
    admin = await browser.post(
        post, data={"csrf_token": token, "organisation": "depa", "role": "admin", **fields}
    )
    assert admin.status_code == 403
    assert "คุณไม่มีสิทธิ์เชิญ" in admin.text
    mismatch = await browser.post(
        post, data={"csrf_token": token, "organisation": "depa", "role": "officer", **fields}
    )
    assert mismatch.status_code == 400
    too_many = await browser.post(
        post,
        data={
            "csrf_token": token,
            "organisation": "yala",
            "role": "officer",
            "uses": "501",
            "days": "14",
        },
    )
    assert too_many.status_code == 400
    forged = await browser.post(post, data={"organisation": "yala", "role": "officer", **fields})
    assert forged.status_code == 403
    assert len(await invites(seeded_database)) == before
    admins_code = await make_invite("depa", Role.ADMIN)
    path = f"/dashboard/members/invites/{admins_code}/revoke"
    assert (await browser.post(path, data={})).status_code == 403  # no token
    assert (await browser.post(path, data={"csrf_token": token})).status_code == 403  # not theirs
    assert all(invite.revoked_at is None for invite in await invites(seeded_database))


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN, Role.EXECUTIVE])
async def test_the_role_matrix(browser: httpx.AsyncClient, register: Register, role: Role) -> None:
    """depa's coordinators and admins open every page; a city executive gets 403 on each."""
    await signed_in(
        browser, await register("depa" if role is not Role.EXECUTIVE else "yala", role)
    )
    expected = 403 if role is Role.EXECUTIVE else 200
    for path in PAGES:
        assert (await browser.get(path)).status_code == expected, path
    nav = (await browser.get("/dashboard/cities/yala")).text
    assert ("/dashboard/audit" in nav) is (role is not Role.EXECUTIVE)
    if role is Role.EXECUTIVE:
        token = CSRF.search(nav)
        assert token is not None
        made = await browser.post(
            "/dashboard/members/invites",
            data={
                "csrf_token": token.group(1),
                "organisation": "yala",
                "role": "officer",
                "uses": "1",
                "days": "1",
            },
        )
        assert made.status_code == 403


async def test_the_audit_log_filters_pages_and_escapes(
    browser: httpx.AsyncClient, register: Register, seeded_database: Database
) -> None:
    """Newest first, 50 a page; by action prefix, actor and Bangkok dates; details escaped."""
    admin = await register("depa", Role.ADMIN, display_name="Auditor")
    await signed_in(browser, admin)
    late = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)  # 21 November, 01:30 in Bangkok
    async with seeded_database.sessions() as session, session.begin():
        for number in range(55):
            await audit.record(
                session=session, action="test.bulk", now=late, details={"n": number}
            )
        await audit.record(
            session=session, action="test.markup", now=late, details={"note": "<b>bold</b>"}
        )

    first = await browser.get("/dashboard/audit")
    assert first.text.count("data-entry=") == 50
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    assert first.text.index("dashboard.signin") < first.text.index("test.markup")  # newest first
    second = await browser.get("/dashboard/audit", params={"page": "2"})
    assert second.text.count("data-entry=") == (await count_all(seeded_database)) - 50

    markup = await browser.get("/dashboard/audit", params={"action": "test.markup"})
    assert markup.text.count("data-entry=") == 1
    assert "<b>bold</b>" not in markup.text and "&lt;b&gt;bold&lt;/b&gt;" in markup.text

    dashboard = await browser.get("/dashboard/audit", params={"action": "dashboard."})
    assert dashboard.text.count("data-entry=") == 2  # the link and the sign-in
    actor = str(await member_id(seeded_database, "Auditor"))
    own = await browser.get("/dashboard/audit", params={"actor": actor})
    assert own.text.count("data-entry=") == len(
        [e for e in await actions(seeded_database, "") if str(e.actor_member_id) == actor]
    )
    bangkok_day = {"action": "test.", "since": "2026-11-21", "until": "2026-11-21"}
    assert (await browser.get("/dashboard/audit", params=bangkok_day)).text.count(
        "data-entry="
    ) == 50  # the first page of the 56 entries of that Bangkok day
    utc_day = {"action": "test.", "since": "2026-11-20", "until": "2026-11-20"}
    assert (await browser.get("/dashboard/audit", params=utc_day)).text.count("data-entry=") == 0
    bad = await browser.get("/dashboard/audit", params={"since": "21/11/2026"})
    assert bad.status_code == 400


async def count_all(db: Database) -> int:
    """How many audit entries there are."""
    return len(await actions(db, ""))


async def test_community_needs_show_counts_and_never_a_text(
    browser: httpx.AsyncClient,
    register: Register,
    new_chat: Callable[..., ChatDriver],
    clock: FrozenClock,
) -> None:
    """The heat of domain × month and counts per domain; no question or message appears."""
    await raise_needs(register, new_chat, clock)
    await signed_in(browser, await register("depa", Role.COORDINATOR))
    page = await browser.get("/dashboard/community")
    assert page.status_code == 200
    assert '<svg id="heat"' in page.text
    assert "พ.ย. 2569" in page.text and "ธ.ค. 2569" in page.text  # Buddhist-Era months
    assert 'data-domain="environment" data-month="2026-11" data-count="2"' in page.text
    assert 'data-domain="environment" data-month="2026-12" data-count="1"' in page.text
    assert 'data-domain="mobility" data-month="2026-11" data-count="1"' in page.text
    row = page.text[page.text.index('<tr data-domain="environment">') :].split("</tr>")[0]
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["1", "2", "3"]
    assert "ขยะ (3)" in row
    for text in (QUESTION, *MESSAGES, *NOT_COUNTED):
        assert text not in page.text
