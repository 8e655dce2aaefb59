"""Announcements from draft to delivered: the two-person rule, schedules, cancellation, counts.

State changes are conditional UPDATEs (`… WHERE status = …`), so two admins pressing approve,
or two schedulers releasing, cannot both act: exactly one sees its row change.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AnnouncementStatus, Channel, MemberStatus, OutboxStatus, Role
from db.models import Announcement, AuditLog, Member, OutboundMessage

# Until released an announcement can still be stopped; after that its messages are queued.
UNRELEASED = frozenset(
    {
        AnnouncementStatus.DRAFT,
        AnnouncementStatus.PENDING_APPROVAL,
        AnnouncementStatus.APPROVED,
        AnnouncementStatus.SCHEDULED,
    }
)
RELEASABLE = frozenset({AnnouncementStatus.APPROVED, AnnouncementStatus.SCHEDULED})
IN_FLIGHT = (OutboxStatus.PENDING, OutboxStatus.SENDING)
RELEASE_ACTION = "announce.release"
# Rows per INSERT: well under PostgreSQL's 32,767 bind parameters and SQLite's 32,766.
_INSERT_CHUNK = 500


class ApprovalRefused(Exception):
    """Why an approval or rejection cannot happen; `reason` names a message text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def create_announcement(
    *,
    session: AsyncSession,
    author_member_id: int | None,
    text: str,
    audience: str,
    status: AnnouncementStatus,
    now: datetime,
    approved_by_member_id: int | None = None,
    scheduled_at: datetime | None = None,
) -> Announcement:
    """Store a new announcement; approved and scheduled ones carry their approval time."""
    announcement = Announcement(
        author_member_id=author_member_id,
        text=text,
        audience=audience,
        status=status,
        approved_by_member_id=approved_by_member_id,
        approved_at=now if status in RELEASABLE else None,
        scheduled_at=scheduled_at,
        created_at=now,
        updated_at=now,
    )
    session.add(announcement)
    await session.flush()
    return announcement


async def get_announcement(*, session: AsyncSession, announcement_id: int) -> Announcement | None:
    """The announcement with `announcement_id`, or None."""
    return await session.get(Announcement, announcement_id)


async def latest_announcement(*, session: AsyncSession) -> Announcement | None:
    """The most recently created announcement, or None."""
    return await session.scalar(select(Announcement).order_by(Announcement.id.desc()).limit(1))


async def list_recent(*, session: AsyncSession, limit: int = 20) -> list[Announcement]:
    """The newest announcements, newest first."""
    return list(
        await session.scalars(select(Announcement).order_by(Announcement.id.desc()).limit(limit))
    )


async def list_pending(*, session: AsyncSession, limit: int = 10) -> list[Announcement]:
    """Announcements awaiting an admin's approval, oldest first."""
    return list(
        await session.scalars(
            select(Announcement)
            .where(Announcement.status == AnnouncementStatus.PENDING_APPROVAL)
            .order_by(Announcement.id)
            .limit(limit)
        )
    )


async def approver_ids(*, session: AsyncSession, author_member_id: int | None) -> list[int]:
    """Members who may approve an announcement by this author: active admins but the author."""
    query = select(Member.id).where(
        Member.role == Role.ADMIN, Member.status == MemberStatus.ACTIVE
    )
    if author_member_id is not None:
        query = query.where(Member.id != author_member_id)
    return list(await session.scalars(query.order_by(Member.id)))


async def _transition(
    session: AsyncSession,
    announcement: Announcement,
    allowed_from: Collection[AnnouncementStatus],
    values: dict[str, Any],
) -> bool:
    """Change `announcement` only if it is still in one of `allowed_from`; True when it was."""
    result = await session.execute(
        update(Announcement)
        .where(Announcement.id == announcement.id, Announcement.status.in_(list(allowed_from)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    changed = bool(getattr(result, "rowcount", 0))
    if changed:
        await session.refresh(announcement)
    return changed


async def approve(
    *, session: AsyncSession, announcement: Announcement, approver: Member | None, now: datetime
) -> AnnouncementStatus:
    """Approve a pending announcement; its new status: SCHEDULED for a future time, else APPROVED.

    The two-person rule: the approver is an admin other than the author. `approver` None is an
    operator's approval from the command line, which is itself the second person.
    """
    _check_reviewer(announcement, approver)
    due_later = announcement.scheduled_at is not None and announcement.scheduled_at > now
    status = AnnouncementStatus.SCHEDULED if due_later else AnnouncementStatus.APPROVED
    values = {
        "status": status,
        "approved_by_member_id": approver.id if approver is not None else None,
        "approved_at": now,
        "updated_at": now,
    }
    if not await _transition(session, announcement, {AnnouncementStatus.PENDING_APPROVAL}, values):
        raise ApprovalRefused("not_pending")
    return status


async def reject(
    *, session: AsyncSession, announcement: Announcement, reviewer: Member | None, now: datetime
) -> None:
    """Turn down a pending announcement (same reviewers as `approve`)."""
    _check_reviewer(announcement, reviewer)
    values = {"status": AnnouncementStatus.REJECTED, "updated_at": now}
    if not await _transition(session, announcement, {AnnouncementStatus.PENDING_APPROVAL}, values):
        raise ApprovalRefused("not_pending")


def _check_reviewer(announcement: Announcement, reviewer: Member | None) -> None:
    if reviewer is None:
        return
    if reviewer.role is not Role.ADMIN or reviewer.status is not MemberStatus.ACTIVE:
        raise ApprovalRefused("not_admin")
    if reviewer.id == announcement.author_member_id:
        raise ApprovalRefused("own")


async def cancel(*, session: AsyncSession, announcement: Announcement, now: datetime) -> bool:
    """Withdraw an announcement not yet released; False when it is too late (or done already).

    Any message of it still waiting in the outbox is withdrawn too, in case a release slipped
    in between.
    """
    values = {"status": AnnouncementStatus.CANCELLED, "cancelled_at": now, "updated_at": now}
    if not await _transition(session, announcement, UNRELEASED, values):
        return False
    await session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.announcement_id == announcement.id,
            OutboundMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.CANCELLED)
    )
    return True


async def claim_for_release(
    *, session: AsyncSession, announcement: Announcement, now: datetime
) -> bool:
    """Mark an approved or scheduled announcement SENDING; False when someone else did first."""
    values = {"status": AnnouncementStatus.SENDING, "updated_at": now}
    return await _transition(session, announcement, RELEASABLE, values)


async def mark_sent(
    *, session: AsyncSession, announcement: Announcement, sent_at: datetime
) -> bool:
    """Record that nothing of a SENDING announcement waits in the outbox any more."""
    values = {"status": AnnouncementStatus.SENT, "sent_at": sent_at, "updated_at": sent_at}
    return await _transition(session, announcement, {AnnouncementStatus.SENDING}, values)


async def due_for_release(
    *, session: AsyncSession, now: datetime, limit: int = 20
) -> list[Announcement]:
    """Scheduled announcements whose time has come, earliest first."""
    return list(
        await session.scalars(
            select(Announcement)
            .where(
                Announcement.status == AnnouncementStatus.SCHEDULED,
                Announcement.scheduled_at <= now,
            )
            .order_by(Announcement.scheduled_at, Announcement.id)
            .limit(limit)
        )
    )


async def finished_sending(*, session: AsyncSession, limit: int = 100) -> list[Announcement]:
    """SENDING announcements none of whose messages waits in the outbox any more."""
    waiting = exists().where(
        OutboundMessage.announcement_id == Announcement.id,
        OutboundMessage.status.in_(IN_FLIGHT),
    )
    return list(
        await session.scalars(
            select(Announcement)
            .where(Announcement.status == AnnouncementStatus.SENDING, ~waiting)
            .order_by(Announcement.id)
            .limit(limit)
        )
    )


@dataclass(frozen=True, slots=True)
class DeliveryCount:
    """An announcement's outbox rows of one channel in one state."""

    channel: Channel
    status: OutboxStatus
    messages: int
    people: int
    last_sent_at: datetime | None


async def delivery_counts(*, session: AsyncSession, announcement_id: int) -> list[DeliveryCount]:
    """Rows and people per channel and state, in one grouped query."""
    length = (
        func.jsonb_array_length
        if session.get_bind().dialect.name == "postgresql"
        else func.json_array_length
    )
    rows = await session.execute(
        select(
            OutboundMessage.channel,
            OutboundMessage.status,
            func.count(),
            func.coalesce(func.sum(length(OutboundMessage.recipients)), 0),
            func.max(OutboundMessage.sent_at),
        )
        .where(OutboundMessage.announcement_id == announcement_id)
        .group_by(OutboundMessage.channel, OutboundMessage.status)
    )
    return [
        DeliveryCount(channel, status, int(messages), int(people), last)
        for channel, status, messages, people, last in rows
    ]


async def release_record(*, session: AsyncSession, announcement_id: int) -> AuditLog | None:
    """The audit entry of the release: when, and whom it found (None before release)."""
    return await session.scalar(
        select(AuditLog)
        .where(
            AuditLog.action == RELEASE_ACTION,
            AuditLog.target == f"announcement:{announcement_id}",
        )
        .order_by(AuditLog.id.desc())
        .limit(1)
    )
