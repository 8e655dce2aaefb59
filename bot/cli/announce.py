"""`citybot announce …`: queue, approve and cancel announcements, and read how delivery went.

Thin: every step is `handlers.announce.service`'s, the same chat's `/announce` takes; this
module parses options, prints, and words the service's refusals for an operator. These commands
only write to the database; `citybot serve`'s outbox worker does the sending. An operator at
the command line is trusted like an admin: `send --yes` needs no second approval, and `approve`
is the second person for a coordinator's announcement.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.support import CommandError, in_session, load_cli_settings, local_minute
from bot.core.texts import Texts
from bot.delivery.announcements import (
    MAX_TEXT_LENGTH,
    AnnouncementStats,
    announcement_text,
    parse_send_time,
    push_channels,
)
from bot.settings import Settings
from db.base import utcnow
from db.enums import Channel, Language
from db.models import Announcement
from db.repositories.audiences import SPEC_HELP
from handlers.announce import service
from handlers.announce.views import duration, tell_author

app = typer.Typer(
    help="Announcements to members on LINE and Telegram (the running bot delivers them).",
    no_args_is_help=True,
)

_COLUMNS = ("recipients", "sent", "failed", "blocked", "pending", "dead", "cancelled")
_HEADINGS = ("PEOPLE", "SENT", "FAILED", "BLOCKED", "WAITING", "DEAD", "CANCELLED")


def _refusal(problem: service.AnnounceError, settings: Settings) -> CommandError:
    """The service's refusal, worded for an operator (flags and variables by name)."""
    params = problem.params
    status = getattr(params.get("status"), "value", params.get("status"))
    match problem.reason:
        case "no_channel":
            text = (
                "neither LINE (LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN) nor Telegram "
                "(TELEGRAM_BOT_TOKEN) is configured, and announcements go out only there"
            )
        case "empty":
            text = "--text is empty"
        case "too_long":
            text = (
                f"--text is {params['length']:,} characters long; announcements take at most "
                f"{params['limit']:,}"
            )
        case "past_time":
            text = f"--at {local_minute(params['at'], settings)} is in the past"
        case "unknown_audience":
            text = f"--audience: {params['detail']}"
        case "not_found":
            text = f"no announcement #{params['id']}"
        case "too_late":
            text = (
                f"announcement #{params['id']} is {status}; only one not yet released can be "
                "cancelled"
            )
        case reason if reason.startswith("refused."):
            text = f"announcement #{params['id']} is {status}, not awaiting approval"
        case _:
            text = f"{problem.reason}: {params}"
    return CommandError(text)


def _reach(people: dict[Channel, int], blocked: dict[Channel, int], unreachable: int) -> str:
    """`line 1,200, telegram 3; skipped: 2 blocked the bot, 5 not on LINE or Telegram`."""
    shown = ", ".join(f"{channel.value} {people.get(channel, 0):,}" for channel in people)
    return (
        f"{shown or 'nobody'}; skipped: {sum(blocked.values()):,} blocked the bot, "
        f"{unreachable:,} not on LINE or Telegram"
    )


def _send_time(at: str | None, settings: Settings) -> datetime | None:
    if at is None:
        return None
    when = parse_send_time(at, settings.timezone)
    if when is None:
        raise CommandError(
            f"--at {at!r} is not a date and time; use ISO 8601 such as 2026-12-25T09:00 "
            f"({settings.citybot_timezone} unless an offset is given)"
        )
    return when


@app.command("send")
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
    settings = load_cli_settings()
    channels = push_channels(settings)
    when = _send_time(at, settings)
    texts = Texts.load(settings.content_dir)
    now = utcnow()
    try:
        if not yes:
            service.require_channels(channels)
            body = service.check_text(text)
            service.check_time(when, now)

            async def look(session: AsyncSession) -> service.Target:
                return await service.target_of(session=session, spec=audience, channels=channels)

            target = in_session(settings, look)
            assert target.resolution is not None
            typer.echo(announcement_text(texts, Language.TH, body))
            typer.echo("")
            typer.echo(f"to {target.audience.spec}: {target.people:,} people now")
            resolution = target.resolution
            typer.echo(
                _reach(resolution.people_by_channel(), resolution.blocked, resolution.unreachable)
            )
            if when is not None:
                typer.echo(f"at {local_minute(when, settings)} ({settings.citybot_timezone})")
            if not typer.confirm("Queue this announcement?", default=False):
                typer.echo("nothing queued")
                raise typer.Exit(1)

        async def queue(session: AsyncSession) -> service.Sent:
            return await service.send(
                session=session,
                text=text,
                spec=audience,
                at=when,
                author=None,
                via="cli",
                texts=texts,
                channels=channels,
                now=now,
            )

        sent = in_session(settings, queue)
    except service.AnnounceError as problem:
        raise _refusal(problem, settings) from None
    announcement, report = sent.announcement, sent.report
    spec = sent.target.audience.spec
    if report is None:
        assert when is not None
        typer.echo(
            f"announcement #{announcement.id} to {spec} scheduled for "
            f"{local_minute(when, settings)} ({settings.citybot_timezone}), "
            f"{sent.target.people:,} people now; `citybot announce cancel {announcement.id}` "
            "withdraws it"
        )
        return
    typer.echo(
        f"announcement #{announcement.id} to {spec}: "
        f"{_reach(report.people, report.blocked, report.unreachable)}"
    )
    if report.people_total == 0:
        typer.echo("nobody was reached: nothing was queued")
        return
    typer.echo(
        f"queued {report.queued:,} messages for {report.people_total:,} people; "
        "the running bot delivers them"
    )


def _print_stats(
    found: AnnouncementStats, announcement: Announcement, settings: Settings, texts: Texts
) -> None:
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
    elif not found.total.sent:
        typer.echo("nobody was reached")
    elif found.time_to_deliver is not None:
        took = duration(texts.bind(Language.EN), found.time_to_deliver)
        typer.echo(f"time to deliver {took}")


@app.command("status")
def status(
    announcement_id: Annotated[
        int, typer.Argument(metavar="ID", help="The announcement's number.")
    ],
) -> None:
    """Recipients, sent, failed, blocked and waiting per channel, and the time to deliver."""
    settings = load_cli_settings()

    async def read(session: AsyncSession) -> tuple[Announcement, AnnouncementStats]:
        return await service.delivery(session=session, typed_id=str(announcement_id))

    try:
        announcement, found = in_session(settings, read)
    except service.AnnounceError as problem:
        raise _refusal(problem, settings) from None
    _print_stats(found, announcement, settings, Texts.load(settings.content_dir))


@app.command("list")
def list_announcements(
    limit: Annotated[int, typer.Option("--limit", help="How many, newest first.")] = 20,
) -> None:
    """The newest announcements with their status and audience."""
    settings = load_cli_settings()

    async def read(session: AsyncSession) -> list[Announcement]:
        return await service.recent(session=session, limit=limit)

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


@app.command("cancel")
def cancel(
    announcement_id: Annotated[
        int, typer.Argument(metavar="ID", help="The announcement's number.")
    ],
) -> None:
    """Withdraw an announcement that has not gone out yet (pending, approved or scheduled)."""
    settings = load_cli_settings()

    async def withdraw(session: AsyncSession) -> Announcement:
        return await service.cancel(
            session=session, typed_id=str(announcement_id), actor=None, via="cli", now=utcnow()
        )

    try:
        in_session(settings, withdraw)
    except service.AnnounceError as problem:
        raise _refusal(problem, settings) from None
    typer.echo(f"announcement #{announcement_id} cancelled; nothing of it will be sent")


@app.command("approve")
def approve(
    announcement_id: Annotated[
        int, typer.Argument(metavar="ID", help="The announcement's number.")
    ],
) -> None:
    """Approve a coordinator's announcement as the second person: out now, or at its time."""
    settings = load_cli_settings()
    texts = Texts.load(settings.content_dir)

    async def decide(session: AsyncSession) -> service.Decision:
        return await service.decide(
            session=session,
            typed_id=str(announcement_id),
            approve=True,
            decider=None,
            via="cli",
            texts=texts,
            channels=push_channels(settings),
            now=utcnow(),
            tell_author=tell_author,
        )

    try:
        decision = in_session(settings, decide)
    except service.AnnounceError as problem:
        raise _refusal(problem, settings) from None
    report = decision.report
    if report is None:
        scheduled_at = decision.announcement.scheduled_at
        assert scheduled_at is not None
        typer.echo(
            f"announcement #{announcement_id} approved; it goes out at "
            f"{local_minute(scheduled_at, settings)} ({settings.citybot_timezone})"
        )
        return
    typer.echo(
        f"announcement #{announcement_id} approved; queued {report.queued:,} messages for "
        f"{report.people_total:,} people; the running bot delivers them"
    )
