"""Releasing announcements: outbox rows per channel, idempotent, scheduled, cancelled, counted."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.replies import Text, reply_from_data
from bot.core.texts import Texts
from bot.delivery.announcements import (
    release,
    release_due,
    stats,
)
from db.enums import AnnouncementStatus, Channel, Language, MemberStatus, OutboxStatus, Role
from db.models import Announcement, AuditLog, Identity, Member, Organisation, OutboundMessage
from db.repositories import announcements as announcement_repo
from db.repositories.outbox import settle
from tests.conftest import START, Database
from tests.delivery.test_audiences import add_member, line, telegram

PUSH = (Channel.LINE, Channel.TELEGRAM)


async def add_line_crowd(
    session: AsyncSession, org: str, count: int, language: Language, prefix: str
) -> None:
    """Many LINE-only officers at once (a broadcast needs more than one multicast batch)."""
    organisation_id = await session.scalar(select(Organisation.id).where(Organisation.slug == org))
    assert organisation_id is not None
    members = [
        Member(
            organisation_id=organisation_id,
            role=Role.OFFICER,
            language=language,
            status=MemberStatus.ACTIVE,
            last_channel=Channel.LINE,
        )
        for _ in range(count)
    ]
    session.add_all(members)
    await session.flush()
    session.add_all(
        Identity(channel=Channel.LINE, external_id=f"U{prefix}{index:06d}", member_id=member.id)
        for index, member in enumerate(members)
    )
    await session.flush()


async def create(
    session: AsyncSession,
    *,
    audience: str = "all",
    status: AnnouncementStatus = AnnouncementStatus.APPROVED,
    scheduled_at: datetime | None = None,
    text: str = "ประชุมเมืองอัจฉริยะวันศุกร์นี้ 10:00 น.",
) -> Announcement:
    """An announcement as the CLI or an admin stores it."""
    return await announcement_repo.create_announcement(
        session=session,
        author_member_id=None,
        text=text,
        audience=audience,
        status=status,
        now=START,
        scheduled_at=scheduled_at,
    )


async def rows_of(db: Database, announcement_id: int) -> list[OutboundMessage]:
    """The outbox rows of an announcement, in insertion order."""
    async with db.sessions() as session:
        return list(
            await session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.announcement_id == announcement_id)
                .order_by(OutboundMessage.id)
            )
        )


async def test_release_queues_telegram_chats_and_line_batches(
    seeded_database: Database, texts: Texts
) -> None:
    """One row per Telegram chat; LINE in batches of ≤500 per language, each with a retry key."""
    async with seeded_database.sessions() as session, session.begin():
        await add_line_crowd(session, "khon-kaen", 1050, Language.TH, "th")
        await add_line_crowd(session, "phuket", 3, Language.EN, "en")
        for chat in ("111", "222"):
            await add_member(session, "yala", Role.EXECUTIVE, [telegram(chat)])
        await add_member(session, "depa", Role.ADMIN, [telegram("333")], language=Language.EN)
        announcement = await create(session)
        report = await release(
            session=session, announcement=announcement, now=START, texts=texts, channels=PUSH
        )
        assert announcement.status is AnnouncementStatus.SENDING
    assert report.released
    assert report.people == {Channel.LINE: 1053, Channel.TELEGRAM: 3}
    rows = await rows_of(seeded_database, announcement.id)
    assert report.queued == len(rows) == 3 + 4
    line_rows = [row for row in rows if row.channel is Channel.LINE]
    assert [len(row.recipients) for row in line_rows] == [500, 500, 50, 3]
    assert [row.idempotency_key for row in line_rows] == [
        f"ann:{announcement.id}:line:{batch}" for batch in range(4)
    ]
    assert all(uuid.UUID(row.retry_key or "") for row in line_rows)
    assert len({row.retry_key for row in line_rows}) == 4
    every_line_id = [user for row in line_rows for user in row.recipients]
    assert len(every_line_id) == len(set(every_line_id)) == 1053
    telegram_rows = [row for row in rows if row.channel is Channel.TELEGRAM]
    assert sorted(row.idempotency_key for row in telegram_rows) == [
        f"ann:{announcement.id}:telegram:{chat}" for chat in ("111", "222", "333")
    ]
    assert all(row.retry_key is None and row.identity_id for row in telegram_rows)
    shown = {row.recipients[0]: (reply_from_data(row.payload["replies"][0])) for row in rows}
    assert shown["111"] == Text(text="📢 ประกาศจาก depa\n\nประชุมเมืองอัจฉริยะวันศุกร์นี้ 10:00 น.")
    assert shown["333"] == Text(text="📢 Announcement from depa\n\nประชุมเมืองอัจฉริยะวันศุกร์นี้ 10:00 น.")
    assert shown["Uen000000"] == shown["333"]  # the English LINE batch
    assert all(row.payload["context"] == {"announcement_id": announcement.id} for row in rows)


async def test_releasing_twice_queues_nothing_new(seeded_database: Database, texts: Texts) -> None:
    """A second release is refused by its claim; even forced, the stable keys add no row."""
    async with seeded_database.sessions() as session, session.begin():
        await add_member(session, "krabi", Role.OFFICER, [line("1")])
        await add_member(session, "krabi", Role.OFFICER, [telegram("2")])
        announcement = await create(session)
        first = await release(
            session=session, announcement=announcement, now=START, texts=texts, channels=PUSH
        )
        again = await release(
            session=session, announcement=announcement, now=START, texts=texts, channels=PUSH
        )
        announcement.status = AnnouncementStatus.APPROVED  # as if the claim were lost
        await session.flush()
        forced = await release(
            session=session, announcement=announcement, now=START, texts=texts, channels=PUSH
        )
    assert (first.released, first.queued) == (True, 2)
    assert (again.released, again.queued) == (False, 0)
    assert (forced.released, forced.queued) == (True, 0)
    assert len(await rows_of(seeded_database, announcement.id)) == 2


async def test_scheduled_release_waits_for_its_time(
    seeded_database: Database, texts: Texts
) -> None:
    """release_due before the time does nothing; after it, releases once."""
    async with seeded_database.sessions() as session, session.begin():
        await add_member(session, "yala", Role.OFFICER, [telegram("5")])
        announcement = await create(
            session, status=AnnouncementStatus.SCHEDULED, scheduled_at=START + timedelta(hours=2)
        )
    for now, expected in ((START + timedelta(hours=1), []), (START + timedelta(hours=2), [1])):
        async with seeded_database.sessions() as session, session.begin():
            reports = await release_due(session=session, now=now, texts=texts, channels=PUSH)
        assert [report.people_total for report in reports] == expected
    async with seeded_database.sessions() as session, session.begin():
        assert (
            await release_due(
                session=session, now=START + timedelta(hours=3), texts=texts, channels=PUSH
            )
            == []
        )
    assert len(await rows_of(seeded_database, announcement.id)) == 1


@pytest.mark.parametrize("seeded_database_url", ["postgres"], indirect=True)
async def test_two_schedulers_release_once(seeded_database: Database, texts: Texts) -> None:
    """Two processes' release_due at the same moment: the conditional claim lets one win."""
    async with seeded_database.sessions() as session, session.begin():
        for chat in range(20):
            await add_member(session, "songkhla", Role.OFFICER, [telegram(f"9{chat}")])
        announcement = await create(
            session, status=AnnouncementStatus.SCHEDULED, scheduled_at=START
        )

    async def scheduler() -> int:
        async with seeded_database.sessions() as session, session.begin():
            reports = await release_due(session=session, now=START, texts=texts, channels=PUSH)
            return sum(report.queued for report in reports)

    assert sorted(await asyncio.gather(scheduler(), scheduler())) == [0, 20]
    assert len(await rows_of(seeded_database, announcement.id)) == 20


async def test_cancel_before_release_sends_nothing(
    seeded_database: Database, texts: Texts
) -> None:
    """A cancelled scheduled announcement is never released; a released one cannot be cancelled."""
    async with seeded_database.sessions() as session, session.begin():
        await add_member(session, "krabi", Role.OFFICER, [line("7")])
        scheduled = await create(
            session, status=AnnouncementStatus.SCHEDULED, scheduled_at=START + timedelta(hours=1)
        )
        assert await announcement_repo.cancel(session=session, announcement=scheduled, now=START)
        assert scheduled.status is AnnouncementStatus.CANCELLED
        assert scheduled.cancelled_at == START
        sent = await create(session)
        await release(session=session, announcement=sent, now=START, texts=texts, channels=PUSH)
        assert not await announcement_repo.cancel(session=session, announcement=sent, now=START)
    async with seeded_database.sessions() as session, session.begin():
        later = START + timedelta(hours=2)
        assert await release_due(session=session, now=later, texts=texts, channels=PUSH) == []
    assert await rows_of(seeded_database, scheduled.id) == []
    assert len(await rows_of(seeded_database, sent.id)) == 1


async def test_cancel_withdraws_rows_still_waiting(
    seeded_database: Database, texts: Texts
) -> None:
    """Rows of a cancelled announcement that slipped into the outbox are marked cancelled."""
    async with seeded_database.sessions() as session, session.begin():
        await add_member(session, "krabi", Role.OFFICER, [telegram("8")])
        announcement = await create(session)
        await release(
            session=session, announcement=announcement, now=START, texts=texts, channels=PUSH
        )
        announcement.status = AnnouncementStatus.SCHEDULED  # a release racing a cancel
        await session.flush()
        assert await announcement_repo.cancel(
            session=session, announcement=announcement, now=START
        )
    assert [row.status for row in await rows_of(seeded_database, announcement.id)] == [
        OutboxStatus.CANCELLED
    ]


async def test_stats_count_each_channel_and_close_the_announcement(
    seeded_database: Database, texts: Texts
) -> None:
    """Sent/failed/blocked per channel (blocked at release included); settled → SENT, timed."""
    async with seeded_database.sessions() as session, session.begin():
        for chat in ("1", "2", "3"):
            await add_member(session, "yala", Role.OFFICER, [telegram(chat)])
        await add_member(session, "yala", Role.OFFICER, [telegram("4", blocked=True)])
        for user in ("5", "6"):
            await add_member(session, "yala", Role.EXECUTIVE, [line(user)])
        await add_member(session, "yala", Role.EXECUTIVE, [])
        announcement = await create(session, audience="org:yala")
        await release(
            session=session, announcement=announcement, now=START, texts=texts, channels=PUSH
        )
    rows = {row.recipients[0]: row for row in await rows_of(seeded_database, announcement.id)}
    async with seeded_database.sessions() as session, session.begin():
        outcomes = {"1": OutboxStatus.SENT, "2": OutboxStatus.FAILED, "3": OutboxStatus.BLOCKED}
        for chat, outcome in outcomes.items():
            await settle(
                session=session,
                message_id=rows[chat].id,
                status=outcome,
                now=START + timedelta(seconds=30),
            )
        halfway = await stats(session=session, announcement_id=announcement.id)
    assert halfway is not None
    assert halfway.status is AnnouncementStatus.SENDING
    by_channel = {row.channel: row for row in halfway.channels}
    assert by_channel[Channel.TELEGRAM].recipients == 4
    assert (by_channel[Channel.TELEGRAM].sent, by_channel[Channel.TELEGRAM].failed) == (1, 1)
    assert by_channel[Channel.TELEGRAM].blocked == 2  # one at release, one reported
    assert (by_channel[Channel.LINE].recipients, by_channel[Channel.LINE].pending) == (2, 2)
    assert halfway.unreachable == 1
    line_row = next(row for row in rows.values() if row.channel is Channel.LINE)
    async with seeded_database.sessions() as session, session.begin():
        await settle(
            session=session,
            message_id=line_row.id,
            status=OutboxStatus.SENT,
            now=START + timedelta(minutes=2, seconds=5),
        )
        done = await stats(session=session, announcement_id=announcement.id)
    assert done is not None
    assert done.status is AnnouncementStatus.SENT
    assert done.total.recipients == 6
    assert (done.total.sent, done.total.failed, done.total.blocked, done.total.pending) == (
        3,
        1,
        2,
        0,
    )
    assert done.released_at == START
    assert done.time_to_deliver == timedelta(minutes=2, seconds=5)
    async with seeded_database.sessions() as session:
        stored = await session.get_one(Announcement, announcement.id)
    assert stored.status is AnnouncementStatus.SENT
    assert stored.sent_at == START + timedelta(minutes=2, seconds=5)


async def test_release_due_closes_finished_announcements(
    seeded_database: Database, texts: Texts
) -> None:
    """The scheduler's tick marks SENT what has nothing left in the outbox."""
    async with seeded_database.sessions() as session, session.begin():
        await add_member(session, "krabi", Role.OFFICER, [telegram("9")])
        announcement = await create(session)
        await release(
            session=session, announcement=announcement, now=START, texts=texts, channels=PUSH
        )
    (row,) = await rows_of(seeded_database, announcement.id)
    later = START + timedelta(seconds=3)
    async with seeded_database.sessions() as session, session.begin():
        await settle(session=session, message_id=row.id, status=OutboxStatus.SENT, now=later)
        await release_due(session=session, now=later, texts=texts, channels=PUSH)
    async with seeded_database.sessions() as session:
        stored = await session.get_one(Announcement, announcement.id)
    assert (stored.status, stored.sent_at) == (AnnouncementStatus.SENT, later)


async def test_nobody_to_reach_is_sent_at_once(seeded_database: Database, texts: Texts) -> None:
    """An audience with nobody on LINE or Telegram is delivered, trivially, at release."""
    async with seeded_database.sessions() as session, session.begin():
        await add_member(session, "krabi", Role.OFFICER, [])
        announcement = await create(session, audience="org:krabi")
        report = await release(
            session=session, announcement=announcement, now=START, texts=texts, channels=PUSH
        )
        assert (report.queued, report.unreachable) == (0, 1)
        assert announcement.status is AnnouncementStatus.SENT
        found = await stats(session=session, announcement_id=announcement.id)
    assert found is not None
    assert (found.unreachable, found.released_at, found.channels) == (1, START, ())


async def test_scheduled_audience_gone_is_cancelled_and_audited(
    seeded_database: Database, texts: Texts
) -> None:
    """A due announcement whose audience names nothing any more is cancelled, not retried."""
    async with seeded_database.sessions() as session, session.begin():
        announcement = await create(
            session,
            audience="org:no-such-city",
            status=AnnouncementStatus.SCHEDULED,
            scheduled_at=START,
        )
        assert await release_due(session=session, now=START, texts=texts, channels=PUSH) == []
        assert announcement.status is AnnouncementStatus.CANCELLED
        reasons = list(
            await session.scalars(
                select(AuditLog.details).where(AuditLog.action == "announce.cancel")
            )
        )
    assert "unknown organisation 'no-such-city'" in reasons[0]["reason"]
