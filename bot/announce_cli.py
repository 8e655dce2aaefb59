"""`citybot announce …`: queue, approve and cancel announcements, and read how delivery went.

These commands only write to the database; `citybot serve`'s outbox worker does the sending. An
operator at the command line is trusted like an admin: `send --yes` needs no second approval,
and `approve` is the second person for a coordinator's announcement.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_support import CommandError, in_session, load_cli_settings, local_minute
from bot.core.texts import Texts
from bot.delivery.announcements import (
    MAX_TEXT_LENGTH,
    AnnouncementStats,
    ReleaseReport,
    announcement_text,
    parse_send_time,
    push_channels,
    release,
    stats,
)
from bot.settings import Settings
from db.base import utcnow
from db.enums import AnnouncementStatus, Channel, Language
from db.models import Announcement
from db.repositories import announcements as announcement_repo
from db.repositories import audit
from db.repositories.audiences import (
    SPEC_HELP,
    Audience,
    AudienceError,
    Resolution,
    parse_audience,
    resolve_audience,
)

announce_cli = typer.Typer(
    help="Announcements to members on LINE and Telegram (the running bot delivers them).",
    no_args_is_help=True,
)

_COLUMNS = ("recipients", "sent", "failed", "blocked", "pending", "dead", "cancelled")
_HEADINGS = ("PEOPLE", "SENT", "FAILED", "BLOCKED", "WAITING", "DEAD", "CANCELLED")


def _audience(spec: str) -> Audience:
    try:
        return parse_audience(spec)
    except AudienceError as error:
        raise CommandError(f"--audience: {error}") from None


def _text(text: str) -> str:
    body = text.strip()
    if not body:
        raise CommandError("--text is empty")
    if len(body) > MAX_TEXT_LENGTH:
        raise CommandError(
            f"--text is {len(body):,} characters long; announcements take at most "
            f"{MAX_TEXT_LENGTH:,}"
        )
    return body


def _send_time(at: str | None, settings: Settings, now: datetime) -> datetime | None:
    if at is None:
        return None
    when = parse_send_time(at, settings.timezone)
    if when is None:
        raise CommandError(
            f"--at {at!r} is not a date and time; use ISO 8601 such as 2026-12-25T09:00 "
            f"({settings.citybot_timezone} unless an offset is given)"
        )
    if when <= now:
        raise CommandError(f"--at {local_minute(when, settings)} is in the past")
    return when


def _channels(settings: Settings) -> tuple[Channel, ...]:
    channels = push_channels(settings)
    if not channels:
        raise CommandError(
            "neither LINE (LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN) nor Telegram "
            "(TELEGRAM_BOT_TOKEN) is configured, and announcements go out only there"
        )
    return channels


async def _resolve(
    session: AsyncSession, audience: Audience, channels: tuple[Channel, ...]
) -> Resolution:
    try:
        return await resolve_audience(session=session, audience=audience, channels=channels)
    except AudienceError as error:
        raise CommandError(f"--audience: {error}") from None


def _reach(people: dict[Channel, int], blocked: dict[Channel, int], unreachable: int) -> str:
    """`LINE 1,200, Telegram 3; skipped: 2 blocked the bot, 5 not on LINE or Telegram`."""
    shown = ", ".join(f"{channel.value} {people.get(channel, 0):,}" for channel in people)
    return (
        f"{shown or 'nobody'}; skipped: {sum(blocked.values()):,} blocked the bot, "
        f"{unreachable:,} not on LINE or Telegram"
    )


async def _get(session: AsyncSession, announcement_id: int) -> Announcement:
    found = await announcement_repo.get_announcement(
        session=session, announcement_id=announcement_id
    )
    if found is None:
        raise CommandError(f"no announcement #{announcement_id}")
    return found


@announce_cli.command("send")
def send(
    audience: Annotated[str, typer.Option("--audience", metavar="SPEC", help=SPEC_HELP + ".")],
    text: Annotated[
        str, typer.Option("--text", help=f"The announcement (at most {MAX_TEXT_LENGTH:,} chars).")
    ],
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="ISO-TIME",
            help="Send later, e.g. 2026-12-25T09:00 (CITYBOT_TIMEZONE unless an offset is given).",
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Queue without asking for confirmation.")
    ] = False,
) -> None:
    """Queue an announcement for SPEC now (or at --at); it is approved by running this."""
    wanted = _audience(audience)
    body = _text(text)
    settings = load_cli_settings()
    channels = _channels(settings)
    now = utcnow()
    when = _send_time(at, settings, now)
    texts = Texts.load(settings.content_dir)
    if not yes:
        resolution = in_session(settings, lambda session: _resolve(session, wanted, channels))
        typer.echo(announcement_text(texts, Language.TH, body))
        typer.echo("")
        typer.echo(f"to {wanted.spec}: {len(resolution.recipients):,} people now")
        typer.echo(
            _reach(resolution.people_by_channel(), resolution.blocked, resolution.unreachable)
        )
        if when is not None:
            typer.echo(f"at {local_minute(when, settings)} ({settings.citybot_timezone})")
        if not typer.confirm("Queue this announcement?", default=False):
            typer.echo("nothing queued")
            raise typer.Exit(1)

    async def queue(session: AsyncSession) -> tuple[Announcement, ReleaseReport | None, int]:
        resolution = await _resolve(session, wanted, channels)  # the audience may be gone now
        announcement = await announcement_repo.create_announcement(
            session=session,
            author_member_id=None,
            text=body,
            audience=wanted.spec,
            status=AnnouncementStatus.SCHEDULED if when else AnnouncementStatus.APPROVED,
            now=now,
            scheduled_at=when,
        )
        await audit.record(
            session=session,
            action="announce.send",
            now=now,
            target=f"announcement:{announcement.id}",
            details={
                "audience": wanted.spec,
                "via": "cli",
                "scheduled_at": when.isoformat() if when else None,
            },
        )
        if when is not None:
            return announcement, None, len(resolution.recipients)
        report = await release(
            session=session, announcement=announcement, now=now, texts=texts, channels=channels
        )
        return announcement, report, report.people_total

    announcement, report, people = in_session(settings, queue)
    if report is None:
        assert when is not None
        typer.echo(
            f"announcement #{announcement.id} to {wanted.spec} scheduled for "
            f"{local_minute(when, settings)} ({settings.citybot_timezone}), {people:,} people "
            f"now; `citybot announce cancel {announcement.id}` withdraws it"
        )
        return
    typer.echo(
        f"announcement #{announcement.id} to {wanted.spec}: "
        f"{_reach(report.people, report.blocked, report.unreachable)}"
    )
    typer.echo(
        f"queued {report.queued:,} messages for {people:,} people; the running bot delivers them"
    )


def _duration(span: timedelta) -> str:
    seconds = max(int(span.total_seconds()), 0)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _print_stats(found: AnnouncementStats, announcement: Announcement, settings: Settings) -> None:
    typer.echo(
        f"announcement #{found.announcement_id}: {found.status.value}, to {announcement.audience}"
    )
    if announcement.scheduled_at is not None and found.released_at is None:
        typer.echo(f"scheduled for {local_minute(announcement.scheduled_at, settings)}")
    typer.echo(f"{'CHANNEL':<10}" + "".join(f"{heading:>11}" for heading in _HEADINGS))
    for row in (*found.channels, found.total):
        name = row.channel.value if row.channel is not None else "total"
        typer.echo(f"{name:<10}" + "".join(f"{getattr(row, column):>11,}" for column in _COLUMNS))
    typer.echo(f"not on LINE or Telegram: {found.unreachable:,}")
    if found.released_at is None:
        typer.echo("not released yet")
        return
    typer.echo(
        f"released {local_minute(found.released_at, settings)} ({settings.citybot_timezone})"
    )
    if found.total.pending:
        typer.echo(f"still sending ({found.total.pending:,} waiting)")
    elif found.time_to_deliver is not None:
        typer.echo(f"time to deliver {_duration(found.time_to_deliver)}")


@announce_cli.command("status")
def status(
    announcement_id: Annotated[
        int, typer.Argument(metavar="ID", help="The announcement's number.")
    ],
) -> None:
    """Recipients, sent, failed, blocked and waiting per channel, and the time to deliver."""
    settings = load_cli_settings()

    async def read(session: AsyncSession) -> tuple[AnnouncementStats, Announcement]:
        announcement = await _get(session, announcement_id)
        found = await stats(session=session, announcement_id=announcement_id)
        assert found is not None
        return found, announcement

    found, announcement = in_session(settings, read)
    _print_stats(found, announcement, settings)


@announce_cli.command("list")
def list_announcements(
    limit: Annotated[int, typer.Option("--limit", help="How many, newest first.")] = 20,
) -> None:
    """The newest announcements with their status and audience."""
    settings = load_cli_settings()

    async def read(session: AsyncSession) -> list[Announcement]:
        return await announcement_repo.list_recent(session=session, limit=max(limit, 1))

    found = in_session(settings, read)
    if not found:
        typer.echo("no announcements")
        return
    typer.echo(f"{'ID':<6}{'STATUS':<18}{'AUDIENCE':<28}{'CREATED':<24}TEXT")
    for announcement in found:
        excerpt = " ".join(announcement.text.split())[:40]
        typer.echo(
            f"{announcement.id:<6}{announcement.status.value:<18}{announcement.audience:<28}"
            f"{local_minute(announcement.created_at, settings):<24}{excerpt}"
        )


@announce_cli.command("cancel")
def cancel(
    announcement_id: Annotated[
        int, typer.Argument(metavar="ID", help="The announcement's number.")
    ],
) -> None:
    """Withdraw an announcement that has not gone out yet (pending, approved or scheduled)."""
    settings = load_cli_settings()
    now = utcnow()

    async def withdraw(session: AsyncSession) -> None:
        announcement = await _get(session, announcement_id)
        if not await announcement_repo.cancel(session=session, announcement=announcement, now=now):
            raise CommandError(
                f"announcement #{announcement_id} is {announcement.status.value}; only one not "
                "yet released can be cancelled"
            )
        await audit.record(
            session=session,
            action="announce.cancel",
            now=now,
            target=f"announcement:{announcement_id}",
            details={"via": "cli"},
        )

    in_session(settings, withdraw)
    typer.echo(f"announcement #{announcement_id} cancelled; nothing of it will be sent")


@announce_cli.command("approve")
def approve(
    announcement_id: Annotated[
        int, typer.Argument(metavar="ID", help="The announcement's number.")
    ],
) -> None:
    """Approve a coordinator's announcement as the second person: out now, or at its time."""
    settings = load_cli_settings()
    channels = _channels(settings)
    texts = Texts.load(settings.content_dir)
    now = utcnow()

    async def decide(session: AsyncSession) -> tuple[Announcement, ReleaseReport | None]:
        announcement = await _get(session, announcement_id)
        try:
            new_status = await announcement_repo.approve(
                session=session, announcement=announcement, approver=None, now=now
            )
        except announcement_repo.ApprovalRefused:
            raise CommandError(
                f"announcement #{announcement_id} is {announcement.status.value}, not awaiting "
                "approval"
            ) from None
        await audit.record(
            session=session,
            action="announce.approve",
            now=now,
            target=f"announcement:{announcement_id}",
            details={"via": "cli"},
        )
        if new_status is AnnouncementStatus.SCHEDULED:
            return announcement, None
        try:
            report = await release(
                session=session, announcement=announcement, now=now, texts=texts, channels=channels
            )
        except AudienceError as error:
            raise CommandError(f"cannot release #{announcement_id}: {error}") from None
        return announcement, report

    announcement, report = in_session(settings, decide)
    if report is None:
        assert announcement.scheduled_at is not None
        typer.echo(
            f"announcement #{announcement_id} approved; it goes out at "
            f"{local_minute(announcement.scheduled_at, settings)} ({settings.citybot_timezone})"
        )
        return
    typer.echo(
        f"announcement #{announcement_id} approved; queued {report.queued:,} messages for "
        f"{report.people_total:,} people; the running bot delivers them"
    )
