"""Issue 16: depa's working pages — announcements, partnerships, questions — driven over HTTP
through the real app, signed in with links sent in chat, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.types import ASGIApp

from bot.core.clock import FrozenClock
from bot.core.context import Services
from bot.core.dispatcher import Dispatcher
from bot.core.texts import Texts
from bot.settings import Settings
from bot.web import create_web_app
from db.enums import (
    AnnouncementStatus,
    Channel,
    InterestStatus,
    OfferStatus,
    OutboxStatus,
    Role,
    TicketStatus,
)
from db.models import (
    Announcement,
    Member,
    OutboundMessage,
    PartnershipInterest,
    PartnershipOffer,
    Ticket,
)
from db.repositories.outbox import settle
from handlers import ROUTERS
from tests.chatdriver import ChatDriver
from tests.conftest import AppFactory, Database
from tests.handlers.offers_kit import FIRM, add_firm, add_interest, add_offer, said_in
from tests.test_dashboard_signin import signed_in

Register = Callable[..., Awaitable[ChatDriver]]
Client = httpx.AsyncClient
# The platforms are on, but nothing is delivered in these tests: the outbox is read instead.
PUSHING: dict[str, Any] = {
    "line_channel_secret": "line-secret",
    "line_channel_access_token": "line-token",
    "line_api_base_url": "http://127.0.0.1:9",
    "telegram_bot_token": "123456:telegram-token",
    "telegram_api_base_url": "http://127.0.0.1:9/bot",
    "telegram_webhook_secret": "telegram-secret-for-tests",
}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def dispatcher(seeded_database: Database, texts: Texts, clock: FrozenClock) -> Dispatcher:
    """The chats' dispatcher, in a deployment where LINE and Telegram push."""
    settings = Settings(_env_file=None, database_url=seeded_database.url, **PUSHING)  # type: ignore[call-arg]
    services = Services(settings=settings, texts=texts, clock=clock)
    return Dispatcher(sessions=seeded_database.sessions, routers=ROUTERS, services=services)


@pytest.fixture
async def web(make_app: AppFactory, clock: FrozenClock) -> ASGIApp:
    """The web app on the chats' database and clock, LINE and Telegram on."""
    return create_web_app(await make_app(clock=clock, **PUSHING))


def browser(web: ASGIApp) -> Client:
    """A browser of the web app, with a cookie jar of its own."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://citybot.test"
    )


@pytest.fixture
async def client(web: ASGIApp) -> AsyncIterator[Client]:
    """One browser."""
    async with browser(web) as opened:
        yield opened


@pytest.fixture
async def other(web: ASGIApp) -> AsyncIterator[Client]:
    """A second browser, signed in as someone else."""
    async with browser(web) as opened:
        yield opened


async def token_of(client: Client, path: str) -> str:
    """The CSRF token the page's forms carry."""
    page = await client.get(path)
    assert page.status_code == 200, page.text
    found = TOKEN.search(page.text)
    assert found is not None
    return found.group(1)


async def outbox(db: Database) -> list[OutboundMessage]:
    """Every message queued for LINE or Telegram, oldest first."""
    async with db.sessions() as session:
        query = select(OutboundMessage).where(OutboundMessage.channel != Channel.CONSOLE)
        return list(await session.scalars(query.order_by(OutboundMessage.id)))


async def keyed(db: Database, key: str) -> list[OutboundMessage]:
    """The queued messages with idempotency key `key`."""
    return [row for row in await outbox(db) if row.idempotency_key == key]


async def member_id(db: Database, name: str) -> int:
    """The id of the member with that display name."""
    async with db.sessions() as session:
        found = await session.scalar(select(Member.id).where(Member.display_name == name))
    assert found is not None, name
    return found


async def stored(db: Database, model: Any, number: int) -> Any:
    """One row as stored now."""
    async with db.sessions() as session:
        return await session.get_one(model, number)


def channel_row(html: str, channel: str) -> list[int]:
    """The numbers in the first table row of `channel` on the page."""
    found = re.search(rf'<tr data-channel="{channel}">(.*?)</tr>', html, re.S)
    assert found is not None, channel
    return [int(n.replace(",", "")) for n in re.findall(r'class="num">([\d,]+)<', found.group(1))]


async def test_a_coordinators_announcement_previewed_then_approved_by_an_admin_elsewhere(
    client: Client,
    other: Client,
    register: Register,
    seeded_database: Database,
    clock: FrozenClock,
) -> None:
    """Compose → preview with counts per channel (nothing stored) → pending, admins asked in
    chat → the author cannot approve it → an admin in another browser does → queued, stats."""
    await register("depa", Role.ADMIN, channel=Channel.LINE, display_name="Admin L")
    coordinator = await register(
        "depa", Role.COORDINATOR, channel=Channel.TELEGRAM, display_name="Nida"
    )
    await register("khon-kaen", Role.OFFICER, channel=Channel.LINE)
    await register("khon-kaen", Role.EXECUTIVE, channel=Channel.TELEGRAM)
    await register("yala", Role.OFFICER)  # console only: unreachable
    await signed_in(client, coordinator)
    csrf = await token_of(client, "/dashboard/announcements")
    form = {"csrf_token": csrf, "text": "ประชุมออนไลน์วันศุกร์ 10:00 น.", "audience": "all"}

    preview = await client.post("/dashboard/announcements", data={**form, "act": "preview"})
    assert preview.status_code == 200
    assert "ส่งถึง: สมาชิกทุกคน — ขณะนี้ 4 คน" in preview.text
    assert channel_row(preview.text, "line") == [2, 0]
    assert channel_row(preview.text, "telegram") == [2, 0]
    assert "ยังไม่ได้ใช้ LINE หรือ Telegram: 1" in preview.text
    assert "ประชุมออนไลน์วันศุกร์ 10:00 น.</textarea>" in preview.text  # the draft is kept
    async with seeded_database.sessions() as session:
        assert list(await session.scalars(select(Announcement))) == []

    sent = await client.post("/dashboard/announcements", data={**form, "act": "send"})
    assert sent.status_code == 303
    assert sent.headers["location"] == "/dashboard/announcements?done=submitted&id=1"
    assert (await stored(seeded_database, Announcement, 1)).status is (
        AnnouncementStatus.PENDING_APPROVAL
    )
    admin_id = await member_id(seeded_database, "Admin L")
    assert len(await keyed(seeded_database, f"ann:1:review:m{admin_id}")) == 1
    page = await client.get(sent.headers["location"])
    assert "ประกาศ #1 รอผู้ดูแลระบบอนุมัติ" in page.text
    assert 'id="pending-1"' in page.text
    assert "/dashboard/announcements/1/approve" not in page.text  # no button for the author
    own = await client.post("/dashboard/announcements/1/approve", data={"csrf_token": csrf})
    assert own.status_code == 409
    assert "ผู้ดูแลระบบ" in own.text
    assert (await stored(seeded_database, Announcement, 1)).status is (
        AnnouncementStatus.PENDING_APPROVAL
    )

    admin = await register("depa", Role.ADMIN, channel=Channel.TELEGRAM, display_name="Admin T")
    await signed_in(other, admin)
    admin_csrf = await token_of(other, "/dashboard/announcements")
    assert admin_csrf != csrf  # two sessions
    approved = await other.post(
        "/dashboard/announcements/1/approve", data={"csrf_token": admin_csrf}
    )
    assert approved.status_code == 303
    assert approved.headers["location"].endswith("done=approved&id=1")
    assert (await stored(seeded_database, Announcement, 1)).status is AnnouncementStatus.SENDING
    rows = [row for row in await outbox(seeded_database) if row.announcement_id == 1]
    assert sorted(r for row in rows for r in row.recipients).count(coordinator.user_id) == 1
    assert sum(len(row.recipients) for row in rows) == 5  # the second admin joined meanwhile
    author = await member_id(seeded_database, "Nida")
    assert len(await keyed(seeded_database, f"ann:1:decided:m{author}")) == 1

    sending = await other.get("/dashboard/announcements")
    assert sending.headers["refresh"] == "10"  # reloads itself while it goes out
    assert 'data-status="sending"' in sending.text
    assert channel_row(sending.text.split('id="delivery"')[1], "telegram")[-1] == 3
    async with seeded_database.sessions() as session, session.begin():
        for row in rows:
            await settle(
                session=session,
                message_id=row.id,
                status=OutboxStatus.SENT,
                now=clock.now() + timedelta(seconds=5),
            )
    delivered = await other.get("/dashboard/announcements")
    assert "refresh" not in delivered.headers
    assert 'data-status="sent"' in delivered.text
    assert channel_row(delivered.text.split('id="delivery"')[1], "telegram") == [3, 3, 0, 0, 0]


async def test_an_admin_schedules_in_bangkok_time_then_cancels(
    client: Client, register: Register, seeded_database: Database
) -> None:
    """An admin's own needs nobody else: scheduled for Bangkok 09:00, then cancelled unsent;
    refused drafts say why and keep what was typed."""
    admin = await register("depa", Role.ADMIN)
    await register("krabi", Role.OFFICER, channel=Channel.LINE)
    await signed_in(client, admin)
    csrf = await token_of(client, "/dashboard/announcements")
    form = {"csrf_token": csrf, "audience": "org:krabi", "act": "send"}
    too_long = await client.post("/dashboard/announcements", data={**form, "text": "ก" * 4001})
    assert too_long.status_code == 400
    assert "ข้อความยาว 4,001 ตัวอักษร" in too_long.text
    unknown = await client.post(
        "/dashboard/announcements", data={**form, "text": "x", "audience": "org:atlantis"}
    )
    assert unknown.status_code == 400
    past = await client.post(
        "/dashboard/announcements", data={**form, "text": "x", "at": "2026-01-01T09:00"}
    )
    assert past.status_code == 400
    assert "ผ่านไปแล้ว" in past.text

    later = await client.post(
        "/dashboard/announcements", data={**form, "text": "ปิดรับสมัคร", "at": "2026-12-25T09:00"}
    )
    assert later.headers["location"] == "/dashboard/announcements?done=scheduled&id=1"
    scheduled = await stored(seeded_database, Announcement, 1)
    assert scheduled.status is AnnouncementStatus.SCHEDULED
    assert scheduled.scheduled_at.isoformat() == "2026-12-25T02:00:00+00:00"
    page = await client.get("/dashboard/announcements")
    assert "กำหนดส่ง 25 ธ.ค. 2569 09:00 น." in page.text
    cancelled = await client.post("/dashboard/announcements/1/cancel", data={"csrf_token": csrf})
    assert cancelled.headers["location"].endswith("done=cancelled&id=1")
    assert (await stored(seeded_database, Announcement, 1)).status is AnnouncementStatus.CANCELLED
    again = await client.post("/dashboard/announcements/1/cancel", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert await outbox(seeded_database) == []


async def test_offers_approved_and_rejected_and_an_introduction_asked_from_the_page(
    client: Client, register: Register, seeded_database: Database
) -> None:
    """Approve: open, the firm told, the named city's card queued; reject needs a reason and
    tells the firm; Introduce on an interest asks both sides."""
    async with seeded_database.sessions() as session, session.begin():
        firm = await add_firm(session)
        await add_offer(session, firm, "Smart meters", targets=("khon-kaen",))
        await add_offer(session, firm, "Vague idea")
    partner = await register(FIRM, Role.PARTNER, channel=Channel.LINE, display_name="Firm P")
    await register("khon-kaen", Role.OFFICER, channel=Channel.TELEGRAM, display_name="KK")
    coordinator = await register("depa", Role.COORDINATOR)
    await signed_in(client, coordinator)
    csrf = await token_of(client, "/dashboard/partners")
    page = await client.get("/dashboard/partners")
    assert 'id="offer-1"' in page.text and 'id="offer-2"' in page.text

    approved = await client.post("/dashboard/partners/offers/1/approve", data={"csrf_token": csrf})
    assert approved.headers["location"] == "/dashboard/partners?done=approved&id=1"
    assert (await stored(seeded_database, PartnershipOffer, 1)).status is OfferStatus.OPEN
    firm_id = await member_id(seeded_database, "Firm P")
    city_id = await member_id(seeded_database, "KK")
    (told,) = await keyed(seeded_database, f"offer:1:approved:m{firm_id}")
    assert told.recipients == [partner.user_id]
    (card,) = await keyed(seeded_database, f"offer:1:published:m{city_id}")
    assert "Smart meters" in said_in(card)

    blank = await client.post(
        "/dashboard/partners/offers/2/reject", data={"csrf_token": csrf, "reason": "  "}
    )
    assert blank.status_code == 400
    assert (await stored(seeded_database, PartnershipOffer, 2)).status is OfferStatus.PENDING
    rejected = await client.post(
        "/dashboard/partners/offers/2/reject",
        data={"csrf_token": csrf, "reason": "ยังไม่ระบุงบประมาณ"},
    )
    assert rejected.headers["location"].endswith("done=rejected&id=2")
    offer = await stored(seeded_database, PartnershipOffer, 2)
    assert offer.status is OfferStatus.REJECTED
    assert offer.review_reason == "ยังไม่ระบุงบประมาณ"
    (why,) = await keyed(seeded_database, f"offer:2:rejected:m{firm_id}")
    assert "ยังไม่ระบุงบประมาณ" in said_in(why)

    async with seeded_database.sessions() as session, session.begin():
        await add_interest(
            session,
            await session.get_one(PartnershipOffer, 1),
            "khon-kaen",
            InterestStatus.EXPRESSED,
        )
    page = await client.get("/dashboard/partners")
    assert 'id="interest-1"' in page.text
    assert "/dashboard/partners/interests/1/introduce" in page.text
    introduced = await client.post(
        "/dashboard/partners/interests/1/introduce", data={"csrf_token": csrf}
    )
    assert introduced.headers["location"].endswith("done=introduced&id=1")
    interest = await stored(seeded_database, PartnershipInterest, 1)
    assert interest.status is InterestStatus.INTRODUCING
    assert len(await keyed(seeded_database, f"partners.intro:1:firm:m{firm_id}")) == 1
    after = await client.get("/dashboard/partners")
    assert "/dashboard/partners/interests/1/introduce" not in after.text
    under_way = after.text.split('id="introductions"')[1]
    assert "#1 Smart meters" in under_way
    assert 'data-status="introducing">ถามทั้งสองฝ่ายแล้ว' in under_way
    twice = await client.post(
        "/dashboard/partners/interests/1/introduce", data={"csrf_token": csrf}
    )
    assert twice.status_code == 409


async def test_a_ticket_answered_from_the_page_reaches_the_askers_chat(
    client: Client, register: Register, seeded_database: Database
) -> None:
    """The question's markup is shown as text; the reply is queued to the asker's LINE account
    as /reply queues it; Close closes and tells the asker."""
    asker = await register(
        "songkhla", Role.OFFICER, channel=Channel.LINE, display_name="<b>Somchai</b>"
    )
    for question in ("<script>alert(1)</script> ขอเบอร์ผู้ประสานงาน", "ขอเอกสารประกอบการอบรม"):
        await asker.send(f"/ask {question}")
        await asker.choose("ส่ง")
    coordinator = await register("depa", Role.COORDINATOR, display_name="Nok")
    await signed_in(client, coordinator)
    page = await client.get("/dashboard/questions")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; ขอเบอร์ผู้ประสานงาน" in page.text
    assert "<b>Somchai</b>" not in page.text
    assert "&lt;b&gt;Somchai&lt;/b&gt;" in page.text
    assert 'id="ticket-1"' in page.text and 'id="ticket-2"' in page.text
    csrf = TOKEN.search(page.text).group(1)  # type: ignore[union-attr]

    empty = await client.post(
        "/dashboard/questions/1/reply", data={"csrf_token": csrf, "text": ""}
    )
    assert empty.status_code == 400
    replied = await client.post(
        "/dashboard/questions/1/reply", data={"csrf_token": csrf, "text": "โทร 02-141-7100 ครับ"}
    )
    assert replied.headers["location"] == "/dashboard/questions?done=replied&id=1"
    ticket = await stored(seeded_database, Ticket, 1)
    assert ticket.status is TicketStatus.ANSWERED
    assert ticket.first_reply_at is not None
    answers = [
        row
        for row in await outbox(seeded_database)
        if row.idempotency_key.startswith("ticket:1:m")
    ]
    (answer,) = answers
    assert answer.channel is Channel.LINE
    assert answer.recipients == [asker.user_id]
    assert "โทร 02-141-7100 ครับ" in said_in(answer)
    thread = await client.get("/dashboard/questions")
    assert "โทร 02-141-7100 ครับ" in thread.text
    assert 'data-status="answered"' in thread.text

    closed = await client.post("/dashboard/questions/2/close", data={"csrf_token": csrf})
    assert closed.headers["location"].endswith("done=closed&id=2")
    ticket = await stored(seeded_database, Ticket, 2)
    assert ticket.status is TicketStatus.CLOSED
    asker_id = await member_id(seeded_database, "<b>Somchai</b>")
    assert len(await keyed(seeded_database, f"ticket:2:closed:m{asker_id}")) == 1
    assert 'id="ticket-2"' not in (await client.get("/dashboard/questions")).text


FORMS = (
    "/dashboard/announcements",
    "/dashboard/announcements/1/approve",
    "/dashboard/announcements/1/reject",
    "/dashboard/announcements/1/cancel",
    "/dashboard/partners/offers/1/approve",
    "/dashboard/partners/offers/1/reject",
    "/dashboard/partners/interests/1/introduce",
    "/dashboard/questions/1/reply",
    "/dashboard/questions/1/close",
)


async def test_every_form_needs_the_csrf_token(
    client: Client, register: Register, seeded_database: Database
) -> None:
    """Each form posted without the session's token, or with a wrong one, is 403 and does
    nothing."""
    admin = await register("depa", Role.ADMIN)
    await signed_in(client, admin)
    for path in FORMS:
        data = {"text": "x", "audience": "all", "act": "send", "reason": "x"}
        assert (await client.post(path, data=data)).status_code == 403, path
        wrong = await client.post(path, data={**data, "csrf_token": "guess"})
        assert wrong.status_code == 403, path
    async with seeded_database.sessions() as session:
        assert list(await session.scalars(select(Announcement))) == []


PAGES = ("/dashboard/announcements", "/dashboard/partners", "/dashboard/questions")


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN, Role.EXECUTIVE])
async def test_the_pages_are_depas_only(client: Client, register: Register, role: Role) -> None:
    """Coordinators and admins see the three pages in the menu; an executive gets 403, even
    with a good token."""
    member = await register("depa" if role is not Role.EXECUTIVE else "yala", role)
    await signed_in(client, member)
    for path in PAGES:
        page = await client.get(path)
        if role is Role.EXECUTIVE:
            assert page.status_code == 403, path
            assert "สำหรับ depa เท่านั้น" in page.text
        else:
            assert page.status_code == 200, path
            assert all(f'href="{other}"' in page.text for other in PAGES)
    if role is Role.EXECUTIVE:
        csrf = await token_of(client, "/dashboard/cities/yala")
        for path in FORMS:
            refused = await client.post(path, data={"csrf_token": csrf, "text": "x"})
            assert refused.status_code == 403, path
        menu = (await client.get("/dashboard/cities/yala")).text
        assert "/dashboard/announcements" not in menu
