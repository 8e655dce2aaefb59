"""Announcements' use cases, for chat (`/announce`) and the CLI (`citybot announce`) alike.

Each step is written once here: checking the text, audience and time; storing and auditing;
releasing to the outbox or asking the admins; deciding, cancelling, reading delivery. The
callers only translate: chat turns `AnnounceError` into a message in the person's language, the
CLI into one `error:` line. An operator at the command line (`author=None`) is trusted like an
admin: what they send needs no second approval, and they may approve a coordinator's.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.texts import Texts
from bot.delivery.announcements import (
    MAX_TEXT_LENGTH,
    AnnouncementStats,
    ReleaseReport,
    release,
    stats,
)
from bot.delivery.notices import Compose, notify_members
from db.enums import AnnouncementStatus, Channel, Role
from db.models import Announcement, Competition, Domain, Member, Organisation
from db.repositories import announcements as announcement_repo
from db.repositories import audit
from db.repositories.audiences import (
    Audience,
    AudienceError,
    Resolution,
    audience_subject,
    parse_audience,
    resolve_audience,
)
from db.repositories.members import get_member

UNRELEASED = announcement_repo.UNRELEASED
Subject = Organisation | Domain | Competition


class AnnounceError(Exception):
    """A step that cannot be taken; `reason` names the message, `params` fill it."""

    def __init__(self, reason: str, **params: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


@dataclass(frozen=True, slots=True)
class Target:
    """An audience, what it names (for words) and whom it reaches now (for counts)."""

    audience: Audience
    subject: Subject | None
    resolution: Resolution | None = None

    @property
    def people(self) -> int:
        """How many people it reaches now (0 when not resolved)."""
        return len(self.resolution.recipients) if self.resolution else 0


def require_channels(channels: Collection[Channel]) -> None:
    """AnnounceError `no_channel` when neither LINE nor Telegram can push here."""
    if not channels:
        raise AnnounceError("no_channel")


def check_text(text: str) -> str:
    """The announcement's text, trimmed; AnnounceError `empty` or `too_long`."""
    body = text.strip()
    if not body:
        raise AnnounceError("empty")
    if len(body) > MAX_TEXT_LENGTH:
        raise AnnounceError("too_long", length=len(body), limit=MAX_TEXT_LENGTH)
    return body


def check_time(at: datetime | None, now: datetime) -> datetime | None:
    """A send time, which must be in the future; AnnounceError `past_time`."""
    if at is not None and at <= now:
        raise AnnounceError("past_time", at=at)
    return at


async def target_of(*, session: AsyncSession, spec: str, channels: Collection[Channel]) -> Target:
    """Whom an audience spec reaches now; AnnounceError `unknown_audience` if it names nothing."""
    try:
        audience = parse_audience(spec)
        resolution = await resolve_audience(session=session, audience=audience, channels=channels)
        subject = await audience_subject(session=session, audience=audience)
    except AudienceError as error:
        raise AnnounceError("unknown_audience", detail=str(error)) from None
    return Target(audience, subject, resolution)


async def describe(*, session: AsyncSession, spec: str) -> Target:
    """A stored announcement's target, for showing: what it names, unnamed if removed since."""
    audience = parse_audience(spec)  # stored specs were parsed before they were stored
    try:
        subject = await audience_subject(session=session, audience=audience)
    except AudienceError:
        subject = None
    return Target(audience, subject)


async def _record(
    session: AsyncSession,
    action: str,
    announcement: Announcement,
    actor: Member | None,
    via: str,
    now: datetime,
    **details: Any,
) -> None:
    """Audit what `actor` (None: the operator) did to `announcement`, and from where."""
    await audit.record(
        session=session,
        action=action,
        now=now,
        actor_member_id=actor.id if actor else None,
        target=f"announcement:{announcement.id}",
        details={"via": via, **details},
    )


async def _checked(
    session: AsyncSession,
    text: str,
    spec: str,
    at: datetime | None,
    channels: Collection[Channel],
    now: datetime,
) -> tuple[str, datetime | None, Target]:
    """Every check of a new announcement, before anything is stored: text, time, audience."""
    require_channels(channels)
    body = check_text(text)
    when = check_time(at, now)
    return body, when, await target_of(session=session, spec=spec, channels=channels)


@dataclass(frozen=True, slots=True)
class Sent:
    """An announcement sent (or scheduled) by an admin or the operator."""

    announcement: Announcement
    target: Target
    report: ReleaseReport | None  # None: scheduled for later


async def send(
    *,
    session: AsyncSession,
    text: str,
    spec: str,
    at: datetime | None,
    author: Member | None,
    via: str,
    texts: Texts,
    channels: Collection[Channel],
    now: datetime,
) -> Sent:
    """Store an announcement approved by its author (an admin, or the operator) and release it.

    It goes to the outbox now, or waits for `at`. Every check comes before anything is stored.
    """
    if author is not None and author.role is not Role.ADMIN:
        raise AnnounceError("not_admin")
    body, when, target = await _checked(session, text, spec, at, channels, now)
    announcement = await announcement_repo.create_announcement(
        session=session,
        author_member_id=author.id if author else None,
        text=body,
        audience=target.audience.spec,
        status=AnnouncementStatus.SCHEDULED if when else AnnouncementStatus.APPROVED,
        now=now,
        approved_by_member_id=author.id if author else None,
        scheduled_at=when,
    )
    scheduled = when.isoformat() if when else None
    await _record(
        session,
        "announce.send",
        announcement,
        author,
        via,
        now,
        audience=announcement.audience,
        scheduled_at=scheduled,
    )
    if when is not None:
        return Sent(announcement, target, None)
    report = await release(
        session=session, announcement=announcement, now=now, texts=texts, channels=channels
    )
    return Sent(announcement, target, report)


@dataclass(frozen=True, slots=True)
class Submitted:
    """A coordinator's announcement, waiting for an admin; how many admins were asked."""

    announcement: Announcement
    target: Target
    notified: int


async def submit(
    *,
    session: AsyncSession,
    text: str,
    spec: str,
    at: datetime | None,
    author: Member,
    via: str,
    texts: Texts,
    channels: Collection[Channel],
    now: datetime,
    request: Callable[[Announcement, Target], Compose],
) -> Submitted:
    """Store a coordinator's announcement to await approval, and ask every other admin."""
    body, when, target = await _checked(session, text, spec, at, channels, now)
    announcement = await announcement_repo.create_announcement(
        session=session,
        author_member_id=author.id,
        text=body,
        audience=target.audience.spec,
        status=AnnouncementStatus.PENDING_APPROVAL,
        now=now,
        scheduled_at=when,
    )
    await _record(
        session, "announce.submit", announcement, author, via, now, audience=announcement.audience
    )
    admins = await announcement_repo.approver_ids(session=session, author_member_id=author.id)
    notified = await notify_members(
        session=session,
        member_ids=admins,
        texts=texts,
        compose=request(announcement, target),
        now=now,
        channels=channels,
        tag=f"ann:{announcement.id}:review",
    )
    return Submitted(announcement, target, notified)


async def find(*, session: AsyncSession, typed: str) -> Announcement:
    """The announcement whose number was typed (`12` or `#12`); AnnounceError otherwise."""
    number = typed.strip().removeprefix("#").strip()
    if not number:
        raise AnnounceError("id_missing")
    if not number.isdigit():
        raise AnnounceError("id_not_number", typed=typed.strip()[:20])
    found = await announcement_repo.get_announcement(session=session, announcement_id=int(number))
    if found is None:
        raise AnnounceError("not_found", id=int(number))
    return found


@dataclass(frozen=True, slots=True)
class Decision:
    """An approval or rejection, and what it set going."""

    announcement: Announcement
    approved: bool
    report: ReleaseReport | None  # an approval released now; None when scheduled or rejected


async def decide(
    *,
    session: AsyncSession,
    typed_id: str,
    approve: bool,
    decider: Member | None,
    via: str,
    texts: Texts,
    channels: Collection[Channel],
    now: datetime,
    tell_author: Callable[[Announcement, bool], Compose],
) -> Decision:
    """An admin (or the operator) approves or rejects; the author hears either way.

    AnnounceError `refused.<reason>` when this person may not decide on it, or it is not
    pending; an approved one goes out now, or at its time.
    """
    announcement = await find(session=session, typed=typed_id)
    if approve:
        require_channels(channels)
    try:
        if approve:
            status = await announcement_repo.approve(
                session=session, announcement=announcement, approver=decider, now=now
            )
        else:
            await announcement_repo.reject(
                session=session, announcement=announcement, reviewer=decider, now=now
            )
    except announcement_repo.ApprovalRefused as refused:
        raise AnnounceError(
            f"refused.{refused.reason}", id=announcement.id, status=announcement.status
        ) from None
    action = "announce.approve" if approve else "announce.reject"
    await _record(session, action, announcement, decider, via, now)
    if announcement.author_member_id is not None:
        await notify_members(
            session=session,
            member_ids=[announcement.author_member_id],
            texts=texts,
            compose=tell_author(announcement, approve),
            now=now,
            channels=channels,
            tag=f"ann:{announcement.id}:decided",
        )
    if not approve or status is AnnouncementStatus.SCHEDULED:
        return Decision(announcement, approve, None)
    try:
        report = await release(
            session=session, announcement=announcement, now=now, texts=texts, channels=channels
        )
    except AudienceError as error:
        raise AnnounceError("unknown_audience", detail=str(error)) from None
    return Decision(announcement, approve, report)


async def cancel(
    *, session: AsyncSession, typed_id: str, actor: Member | None, via: str, now: datetime
) -> Announcement:
    """Withdraw one not yet released: authors their own, admins and the operator any."""
    announcement = await find(session=session, typed=typed_id)
    own = actor is None or actor.role is Role.ADMIN or announcement.author_member_id == actor.id
    if not own:
        raise AnnounceError("not_yours")
    if not await announcement_repo.cancel(session=session, announcement=announcement, now=now):
        raise AnnounceError("too_late", id=announcement.id, status=announcement.status)
    await _record(session, "announce.cancel", announcement, actor, via, now)
    return announcement


async def delivery(
    *, session: AsyncSession, typed_id: str
) -> tuple[Announcement, AnnouncementStats]:
    """One announcement's delivery so far (the latest when no number is given)."""
    if typed_id.strip():
        announcement = await find(session=session, typed=typed_id)
    else:
        latest = await announcement_repo.latest_announcement(session=session)
        if latest is None:
            raise AnnounceError("none_yet")
        announcement = latest
    found = await stats(session=session, announcement_id=announcement.id)
    assert found is not None  # the announcement exists: it was just read
    return announcement, found


async def recent(*, session: AsyncSession, limit: int) -> list[Announcement]:
    """The newest announcements, newest first."""
    return await announcement_repo.list_recent(session=session, limit=max(limit, 1))


async def pending(
    *, session: AsyncSession, limit: int
) -> list[tuple[Announcement, Member | None]]:
    """What awaits approval, oldest first, each with its author (None once erased or unknown)."""
    found = await announcement_repo.list_pending(session=session, limit=limit)
    return [
        (
            announcement,
            await get_member(session=session, member_id=announcement.author_member_id)
            if announcement.author_member_id is not None
            else None,
        )
        for announcement in found
    ]


@dataclass(frozen=True, slots=True)
class Duration:
    """A span split as people read it."""

    hours: int
    minutes: int
    seconds: int


def split_duration(span: timedelta) -> Duration:
    """`span` in whole hours, minutes and seconds (never negative)."""
    seconds = max(int(span.total_seconds()), 0)
    return Duration(seconds // 3600, seconds % 3600 // 60, seconds % 60)
