"""`citybot checkin run`: what the scheduler does for check-ins, once, now or at a chosen time.

The round of `CITYBOT_CHECKIN_CRON`'s latest time (if not run yet and at most a day old) and the
escalation steps due, through `handlers.progress.checkins.run_due`, the scheduler's own entry:
running it beside a serving bot, or twice, queues nothing twice. It only writes to the
database; the running bot's outbox worker does the sending.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.support import CommandError, in_session, load_cli_settings, local_minute
from bot.core.texts import Texts
from bot.delivery.announcements import push_channels
from db.base import utcnow
from handlers.progress.checkin_views import ChatCheckins
from handlers.progress.checkins import CheckinOutreach, Tally, in_quiet_hours, run_due

app = typer.Typer(
    help="Check-ins: city teams asked about milestones due soon, reminded while silent.",
    no_args_is_help=True,
)


def parse_as_of(typed: str, zone: ZoneInfo) -> datetime:
    """An ISO 8601 date and time, in UTC; one without an offset is local to `zone`."""
    try:
        moment = datetime.fromisoformat(typed.strip())
    except ValueError:
        raise CommandError(
            f"--as-of {typed!r} is not an ISO 8601 date and time; use e.g. 2027-01-04T09:00 "
            f"({zone.key} unless an offset is given)"
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)


@app.command("run")
def run(
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="ISO-DATETIME",
            help="Act as at this time, e.g. 2027-01-04T09:00 (CITYBOT_TIMEZONE unless an "
            "offset is given); now by default.",
        ),
    ] = None,
) -> None:
    """Run the check-in round due (if not run yet) and the escalation steps due; print counts."""
    settings = load_cli_settings()
    zone = settings.timezone
    now = parse_as_of(as_of, zone) if as_of is not None else utcnow()
    channels = push_channels(settings)
    if not channels:
        raise CommandError(
            "neither LINE (LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN) nor Telegram "
            "(TELEGRAM_BOT_TOKEN) is configured, and check-ins go out only there"
        )
    texts = Texts.load(settings.content_dir)
    outreach = CheckinOutreach(texts, channels, zone, ChatCheckins(zone))

    async def check_in(session: AsyncSession) -> Tally:
        return await run_due(
            session=session, cron=settings.citybot_checkin_cron, now=now, outreach=outreach
        )

    tally = in_session(settings, check_in)
    typer.echo(f"round: {tally.round}")
    typer.echo(f"officers: {tally.officers}")
    typer.echo(f"executive: {tally.executive}")
    typer.echo(f"silent: {tally.silent}")
    if in_quiet_hours(now, zone):
        typer.echo(
            f"{local_minute(now, settings)} is in the quiet hours (21:00-08:00): "
            "messages due wait until 08:00"
        )
