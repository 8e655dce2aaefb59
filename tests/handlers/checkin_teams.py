"""City teams for the check-in and digest tests, their outreach, the outbox rows they get."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.texts import Texts
from db.enums import Channel, ChatKind, Language, MilestoneStatus, Role
from db.models import Chat, Milestone, OutboundMessage
from handlers.progress.checkin_views import ChatCheckins
from handlers.progress.checkins import CheckinOutreach
from handlers.progress.notices import ChatNotices
from handlers.progress.service import Outreach, city_of, milestone_of
from tests.factories import add_member, line, telegram

BANGKOK = ZoneInfo("Asia/Bangkok")
PUSH = (Channel.LINE, Channel.TELEGRAM)
# Monday 4 January 2027, 09:00 in Bangkok: the default schedule's time.
ROUND_AT = datetime(2027, 1, 4, 9, 0, tzinfo=BANGKOK).astimezone(UTC)
CRON = "0 9 * * MON"
GROUP_CHAT = "C" + "0" * 31 + "1"


def bangkok(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of January 2027 given in Bangkok time, as UTC."""
    return datetime(2027, 1, day, hour, minute, tzinfo=BANGKOK).astimezone(UTC)


def checkin_outreach(texts: Texts) -> CheckinOutreach:
    """Check-ins on LINE and Telegram, written by the chat views, in Bangkok time."""
    return CheckinOutreach(
        texts=texts, channels=PUSH, zone=BANGKOK, messages=ChatCheckins(BANGKOK)
    )


def report_outreach(texts: Texts) -> Outreach:
    """What `record_update` needs to tell the team."""
    return Outreach(texts=texts, channels=PUSH, notices=ChatNotices(BANGKOK))


@dataclass(frozen=True)
class Teams:
    """The people and milestones the tests look at (ids)."""

    kk_executive: int
    kk_officers: tuple[int, int]
    kk_chat: int
    yala_executive: int  # yala has no officer
    phuket_officer: int  # phuket has nothing due soon
    depa_coordinator: int
    depa_admin: int
    kk_pmc: int  # due 29 Jan 2027: within 30 days of the round
    kk_needs: int  # moved to 20 Dec 2026, in progress: overdue at the round
    kk_done: int  # overdue but done: never listed


async def set_milestone(session: AsyncSession, org: str, key: str, **values: Any) -> Milestone:
    """Change a seeded milestone of `org` (its due date, status, percent)."""
    city = await city_of(session=session, slug=org)
    milestone = await milestone_of(session=session, organisation_id=city.id, key=key)
    for name, value in values.items():
        setattr(milestone, name, value)
    await session.flush()
    return milestone


async def make_teams(session: AsyncSession) -> Teams:
    """Khon Kaen (executive, two officers, a LINE group), Yala (executive only), Phuket
    (an officer, its milestone due soon done), depa (a coordinator in English, an admin)."""
    kk_exec = await add_member(session, "khon-kaen", Role.EXECUTIVE, [line("1")])
    kk_officer = await add_member(
        session, "khon-kaen", Role.OFFICER, [telegram("2")], language=Language.EN
    )
    kk_officer2 = await add_member(session, "khon-kaen", Role.OFFICER, [line("3")])
    yala_exec = await add_member(session, "yala", Role.EXECUTIVE, [telegram("4")])
    phuket = await add_member(session, "phuket", Role.OFFICER, [line("5")])
    coordinator = await add_member(
        session, "depa", Role.COORDINATOR, [telegram("6")], language=Language.EN
    )
    admin = await add_member(session, "depa", Role.ADMIN, [line("7")])
    kk = await city_of(session=session, slug="khon-kaen")
    chat = Chat(
        channel=Channel.LINE, external_id=GROUP_CHAT, kind=ChatKind.GROUP, organisation_id=kk.id
    )
    session.add(chat)
    needs = await set_milestone(
        session,
        "khon-kaen",
        "community-needs-analysed",
        due_at=datetime(2026, 12, 20, 16, 59, tzinfo=UTC),
        status=MilestoneStatus.IN_PROGRESS,
        percent=50,
    )
    done = await set_milestone(
        session,
        "khon-kaen",
        "area-plan-drafted",
        due_at=datetime(2026, 12, 1, 16, 59, tzinfo=UTC),
        status=MilestoneStatus.DONE,
        percent=100,
    )
    await set_milestone(
        session, "phuket", "pmc-established", status=MilestoneStatus.DONE, percent=100
    )
    pmc = await milestone_of(session=session, organisation_id=kk.id, key="pmc-established")
    return Teams(
        kk_executive=kk_exec.id,
        kk_officers=(kk_officer.id, kk_officer2.id),
        kk_chat=chat.id,
        yala_executive=yala_exec.id,
        phuket_officer=phuket.id,
        depa_coordinator=coordinator.id,
        depa_admin=admin.id,
        kk_pmc=pmc.id,
        kk_needs=needs.id,
        kk_done=done.id,
    )


async def outbox(
    sessions: async_sessionmaker[AsyncSession], prefix: str
) -> dict[str, OutboundMessage]:
    """The queued messages whose idempotency key starts with `prefix`, by key."""
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboundMessage).where(OutboundMessage.idempotency_key.startswith(prefix))
        )
        return {row.idempotency_key: row for row in rows}


def reply(row: OutboundMessage) -> dict[str, Any]:
    """The one reply a queued message carries."""
    replies: list[dict[str, Any]] = row.payload["replies"]
    assert len(replies) == 1
    return replies[0]
