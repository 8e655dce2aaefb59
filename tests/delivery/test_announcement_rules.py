"""Announcements beyond release: the two-person rule, notices in each language, send times."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.core.replies import Choice, Choices, Reply, reply_from_data
from bot.core.texts import Texts, Translator
from bot.delivery.announcements import (
    parse_send_time,
)
from bot.delivery.notices import notify_members
from db.enums import AnnouncementStatus, Channel, Language, Role
from db.models import OutboundMessage
from db.repositories import announcements as announcement_repo
from tests.conftest import START, Database
from tests.delivery.test_audiences import add_member, line, telegram

PUSH = (Channel.LINE, Channel.TELEGRAM)


async def test_two_person_rule(seeded_database: Database) -> None:
    """Only an admin other than the author approves; a CLI operator is the second person."""
    async with seeded_database.sessions() as session, session.begin():
        author = await add_member(session, "depa", Role.ADMIN, [])
        other = await add_member(session, "depa", Role.ADMIN, [])
        coordinator = await add_member(session, "depa", Role.COORDINATOR, [])
        pending = await announcement_repo.create_announcement(
            session=session,
            author_member_id=author.id,
            text="ทดสอบ",
            audience="all",
            status=AnnouncementStatus.PENDING_APPROVAL,
            now=START,
            scheduled_at=START + timedelta(days=1),
        )
        for reviewer, reason in ((author, "own"), (coordinator, "not_admin")):
            with pytest.raises(announcement_repo.ApprovalRefused) as refused:
                await announcement_repo.approve(
                    session=session, announcement=pending, approver=reviewer, now=START
                )
            assert refused.value.reason == reason
        status = await announcement_repo.approve(
            session=session, announcement=pending, approver=other, now=START
        )
        assert status is AnnouncementStatus.SCHEDULED  # its time is still ahead
        assert pending.approved_by_member_id == other.id
        with pytest.raises(announcement_repo.ApprovalRefused, match="not_pending"):
            await announcement_repo.approve(
                session=session, announcement=pending, approver=None, now=START
            )
        overdue = await announcement_repo.create_announcement(
            session=session,
            author_member_id=coordinator.id,
            text="ทดสอบ",
            audience="all",
            status=AnnouncementStatus.PENDING_APPROVAL,
            now=START,
            scheduled_at=START - timedelta(minutes=1),
        )
        assert (
            await announcement_repo.approve(
                session=session, announcement=overdue, approver=None, now=START
            )
            is AnnouncementStatus.APPROVED
        )


async def test_notify_members_in_their_language_once(
    seeded_database: Database, texts: Texts
) -> None:
    """Each member gets one message in their language on one account; the same tag sends once."""
    async with seeded_database.sessions() as session, session.begin():
        thai = await add_member(session, "depa", Role.ADMIN, [line("1"), telegram("1")])
        english = await add_member(
            session, "depa", Role.ADMIN, [telegram("2")], language=Language.EN
        )
        console_only = await add_member(session, "depa", Role.ADMIN, [])
        ids = [thai.id, english.id, console_only.id]

        def compose(t: Translator) -> list[Reply]:
            return [
                Choices(
                    text=t("announce.errors.refused.own"),
                    options=(Choice(label=t("announce.approve"), payload="ann:approve:1"),),
                )
            ]

        for _ in range(2):
            queued = await notify_members(
                session=session,
                member_ids=ids,
                texts=texts,
                compose=compose,
                now=START,
                channels=PUSH,
                tag="ann:1:review",
            )
        assert queued == 0  # the second time: already queued
        rows = list(await session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))
    assert [(row.channel, row.recipients) for row in rows] == [
        (Channel.LINE, [f"U{'1':0>32}"]),
        (Channel.TELEGRAM, ["2"]),
    ]
    questions = [reply_from_data(row.payload["replies"][0]) for row in rows]
    assert [q.options[0].label for q in questions if isinstance(q, Choices)] == [
        "อนุมัติ",
        "Approve",
    ]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("25/12/2569 09:00", "2026-12-25T02:00:00+00:00"),
        ("25-12-2026 9.00 น.", "2026-12-25T02:00:00+00:00"),
        ("29/02/2567 10:00", "2024-02-29T03:00:00+00:00"),
        ("2026-12-25T09:00", "2026-12-25T02:00:00+00:00"),
        ("2026-12-25 09:00+00:00", "2026-12-25T09:00:00+00:00"),
        ("25/12/2569", None),
        ("31/02/2569 09:00", None),
        ("พรุ่งนี้", None),
    ],
)
def test_send_times_as_people_type_them(typed: str, expected: str | None) -> None:
    """Day-first dates with Buddhist-Era years, or ISO; Bangkok time unless an offset is given."""
    found = parse_send_time(typed, ZoneInfo("Asia/Bangkok"))
    assert (found.isoformat() if found else None) == expected
