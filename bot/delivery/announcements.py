"""Announcements leave here: audience → outbox rows, and how their delivery went.

Releasing resolves the audience and queues every message in the same transaction that marks the
announcement SENDING, so a crash leaves either nothing queued or everything. Telegram gets one
message per chat; LINE gets multicast batches of up to 500 user ids, each with a retry key stored
before the first attempt so LINE can drop a retried duplicate. The outbox worker does the sending.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.dates import BUDDHIST_ERA_OFFSET
from bot.core.replies import Text
from bot.core.settling import reply_payload
from bot.core.texts import Texts
from bot.settings import Settings
from db.enums import AnnouncementStatus, Channel, Language, OutboxStatus
from db.models import Announcement
from db.repositories import announcements as announcement_repo
from db.repositories import audit
from db.repositories.audiences import (
    AudienceError,
    Recipient,
    Resolution,
    parse_audience,
    resolve_audience,
)
from db.repositories.outbox import Draft, enqueue_many

log = logging.getLogger(__name__)

PUSH_CHANNELS = (Channel.LINE, Channel.TELEGRAM)  # console and simulator cannot push
LINE_MULTICAST_LIMIT = 500  # user ids per LINE multicast request
MAX_TEXT_LENGTH = 4000  # leaves room for the header under Telegram's 4,096 characters


# `25/12/2569 09:00`, `25-12-2026 9.00 น.`: day first, as Thai people write dates.
_DAY_FIRST = re.compile(
    r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}),?\s+(\d{1,2})[:.](\d{2})(?:\s*น\.?)?"
)
_LAST_COMMON_ERA_YEAR = 2400  # a year past this is Buddhist Era (2569 BE = 2026 CE)


def parse_send_time(typed: str, zone: ZoneInfo) -> datetime | None:
    """When to send, as typed (`25/12/2569 09:00` or ISO 8601), in UTC; None if unreadable.

    Buddhist-Era years are accepted; a time without an offset is local to `zone`. A date alone
    is refused rather than read as midnight, which nobody means.
    """
    text = " ".join(typed.split())
    try:
        if match := _DAY_FIRST.fullmatch(text):
            day, month, year, hour, minute = (int(part) for part in match.groups())
            if year > _LAST_COMMON_ERA_YEAR:  # before building the date: 29/02/2567 is 2024's
                year -= BUDDHIST_ERA_OFFSET
            moment = datetime(year, month, day, hour, minute)
        elif ":" in text:
            moment = datetime.fromisoformat(text)
            if moment.year > _LAST_COMMON_ERA_YEAR:
                moment = moment.replace(year=moment.year - BUDDHIST_ERA_OFFSET)
        else:
            return None
    except ValueError:
        return None
    local = moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
    return local.astimezone(UTC)


def push_channels(settings: Settings) -> tuple[Channel, ...]:
    """The channels this deployment can push on: LINE and Telegram, when configured."""
    enabled = {Channel.LINE: settings.line_enabled, Channel.TELEGRAM: settings.telegram_enabled}
    return tuple(channel for channel in PUSH_CHANNELS if enabled[channel])


def announcement_text(texts: Texts, language: Language, text: str) -> str:
    """The announcement as its recipients read it: a short header, then the author's text."""
    return f"{texts.get(language, 'announce.header')}\n\n{text}"


@dataclass(frozen=True, slots=True)
class ReleaseReport:
    """What a release queued, and whom it could not reach."""

    announcement_id: int
    released: bool  # False when it was released (or cancelled) by someone else first
    queued: int = 0  # outbox rows stored now
    people: dict[Channel, int] = field(default_factory=dict)
    blocked: dict[Channel, int] = field(default_factory=dict)
    unreachable: int = 0

    @property
    def people_total(self) -> int:
        """How many people the queued messages address."""
        return sum(self.people.values())


def plan_deliveries(
    announcement_id: int, text: str, resolution: Resolution, texts: Texts
) -> list[Draft]:
    """The outbox rows for a resolution: one language per row, deterministic keys."""
    payloads = {
        language: reply_payload(
            [Text(text=announcement_text(texts, language, text))],
            {"announcement_id": announcement_id},
        )
        for language in Language
    }
    by_line_language: dict[Language, list[Recipient]] = defaultdict(list)
    deliveries: list[Draft] = []
    for recipient in resolution.recipients:
        if recipient.channel is Channel.LINE:
            by_line_language[recipient.language].append(recipient)
            continue
        deliveries.append(
            Draft(
                channel=recipient.channel,
                recipients=[recipient.external_id],
                payload=payloads[recipient.language],
                idempotency_key=(
                    f"ann:{announcement_id}:{recipient.channel.value}:{recipient.external_id}"
                ),
                identity_id=recipient.identity_id,
            )
        )
    batch = 0
    for language in Language:
        group = by_line_language[language]
        for start in range(0, len(group), LINE_MULTICAST_LIMIT):
            chunk = group[start : start + LINE_MULTICAST_LIMIT]
            deliveries.append(
                Draft(
                    channel=Channel.LINE,
                    recipients=[recipient.external_id for recipient in chunk],
                    payload=payloads[language],
                    idempotency_key=f"ann:{announcement_id}:line:{batch}",
                    identity_id=chunk[0].identity_id if len(chunk) == 1 else None,
                    retry_key=str(uuid.uuid4()),
                )
            )
            batch += 1
    return deliveries


async def release(
    *,
    session: AsyncSession,
    announcement: Announcement,
    now: datetime,
    texts: Texts,
    channels: Collection[Channel],
) -> ReleaseReport:
    """Queue an approved or scheduled announcement for its audience, now; the caller commits.

    AudienceError (before anything changes) when the audience names something that is gone.
    Releasing twice queues nothing new: the second claim fails, and the keys are stable anyway.
    """
    resolution = await resolve_audience(
        session=session, audience=parse_audience(announcement.audience), channels=channels
    )
    if not await announcement_repo.claim_for_release(
        session=session, announcement=announcement, now=now
    ):
        return ReleaseReport(announcement.id, released=False)
    deliveries = plan_deliveries(announcement.id, announcement.text, resolution, texts)
    queued = await enqueue_many(
        session=session, drafts=deliveries, now=now, announcement_id=announcement.id
    )
    report = ReleaseReport(
        announcement.id,
        released=True,
        queued=queued,
        people=resolution.people_by_channel(),
        blocked=resolution.blocked,
        unreachable=resolution.unreachable,
    )
    await audit.record(
        session=session,
        action=announcement_repo.RELEASE_ACTION,
        now=now,
        target=f"announcement:{announcement.id}",
        details={
            "audience": announcement.audience,
            "messages": len(deliveries),
            "people": {channel.value: count for channel, count in report.people.items()},
            "blocked": {channel.value: count for channel, count in report.blocked.items()},
            "unreachable": report.unreachable,
        },
    )
    if not deliveries:  # nobody to send to: delivered, trivially
        await announcement_repo.mark_sent(session=session, announcement=announcement, sent_at=now)
    return report


@dataclass(frozen=True, slots=True)
class ChannelStats:
    """One channel's share of an announcement; the states add up to `recipients`."""

    channel: Channel | None  # None for the total over channels
    recipients: int = 0  # people addressed, including those skipped as blocked
    sent: int = 0
    failed: int = 0
    blocked: int = 0  # blocked the bot: found at release, or reported by the platform
    pending: int = 0  # waiting or being sent
    dead: int = 0  # retries exhausted
    cancelled: int = 0


_COUNTED = {
    OutboxStatus.SENT: "sent",
    OutboxStatus.FAILED: "failed",
    OutboxStatus.BLOCKED: "blocked",
    OutboxStatus.PENDING: "pending",
    OutboxStatus.SENDING: "pending",
    OutboxStatus.DEAD: "dead",
    OutboxStatus.CANCELLED: "cancelled",
}


@dataclass(frozen=True, slots=True)
class AnnouncementStats:
    """How an announcement's delivery went, per channel, and how long it took."""

    announcement_id: int
    status: AnnouncementStatus
    channels: tuple[ChannelStats, ...]
    unreachable: int
    released_at: datetime | None
    last_sent_at: datetime | None

    @property
    def total(self) -> ChannelStats:
        """The channels added together."""
        names = ("recipients", "sent", "failed", "blocked", "pending", "dead", "cancelled")
        return ChannelStats(
            None, *(sum(getattr(stats, name) for stats in self.channels) for name in names)
        )

    @property
    def time_to_deliver(self) -> timedelta | None:
        """From release to the last message sent (so far, while some are pending)."""
        if self.released_at is None or self.last_sent_at is None:
            return None
        return self.last_sent_at - self.released_at


async def stats(*, session: AsyncSession, announcement_id: int) -> AnnouncementStats | None:
    """The delivery counts of an announcement (None if there is none with that id).

    When nothing of a SENDING announcement is waiting any more, it becomes SENT here, with the
    time its last message went out; the caller commits.
    """
    announcement = await announcement_repo.get_announcement(
        session=session, announcement_id=announcement_id
    )
    if announcement is None:
        return None
    counts = await announcement_repo.delivery_counts(
        session=session, announcement_id=announcement_id
    )
    record = await announcement_repo.release_record(
        session=session, announcement_id=announcement_id
    )
    found = record.details if record is not None else {}
    tallies: dict[Channel, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for channel_name, count in dict(found.get("blocked", {})).items():
        tallies[Channel(channel_name)]["blocked"] += int(count)
        tallies[Channel(channel_name)]["recipients"] += int(count)
    for count in counts:
        tallies[count.channel][_COUNTED[count.status]] += count.people
        tallies[count.channel]["recipients"] += count.people
    released_at = record.created_at if record is not None else None
    last_sent_at = max((c.last_sent_at for c in counts if c.last_sent_at), default=None)
    if announcement.status is AnnouncementStatus.SENDING and not any(
        count.status in announcement_repo.IN_FLIGHT for count in counts
    ):
        await announcement_repo.mark_sent(
            session=session,
            announcement=announcement,
            sent_at=last_sent_at or released_at or announcement.updated_at,
        )
    channels = tuple(
        ChannelStats(channel, **tallies[channel]) for channel in Channel if channel in tallies
    )
    return AnnouncementStats(
        announcement_id=announcement.id,
        status=announcement.status,
        channels=channels,
        unreachable=int(found.get("unreachable", 0)),
        released_at=released_at,
        last_sent_at=last_sent_at,
    )


async def release_due(
    *,
    session: AsyncSession,
    now: datetime,
    texts: Texts,
    channels: Collection[Channel],
    limit: int = 20,
) -> list[ReleaseReport]:
    """Release scheduled announcements whose time has come, and close finished ones.

    Safe from several processes at once: each release claims its announcement with a
    conditional UPDATE, so a second scheduler finds it taken and queues nothing. One whose
    audience no longer exists (an organisation removed since) is cancelled and audited rather
    than retried forever. The caller commits.
    """
    reports: list[ReleaseReport] = []
    for announcement in await announcement_repo.due_for_release(
        session=session, now=now, limit=limit
    ):
        try:
            report = await release(
                session=session, announcement=announcement, now=now, texts=texts, channels=channels
            )
        except AudienceError as error:
            log.warning("announcement %d cancelled at release: %s", announcement.id, error)
            if await announcement_repo.cancel(session=session, announcement=announcement, now=now):
                await audit.record(
                    session=session,
                    action="announce.cancel",
                    now=now,
                    target=f"announcement:{announcement.id}",
                    details={"via": "scheduler", "reason": str(error)},
                )
            continue
        if report.released:
            reports.append(report)
    for finished in await announcement_repo.finished_sending(session=session):
        await stats(session=session, announcement_id=finished.id)
    return reports
