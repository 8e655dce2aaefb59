"""`citybot inbox …`: the incoming messages set aside as dead, and trying one again."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.support import CommandError, in_session, load_cli_settings, local_minute
from bot.core.dead_letters import NotDead, retry_dead_letter
from db.base import utcnow
from db.models import InboundEvent
from db.repositories import stored_events

app = typer.Typer(help="Incoming messages that could not be handled.", no_args_is_help=True)

# How much of a reason fits a table row; `--format json` has it whole.
REASON_WIDTH = 60


class Format(StrEnum):
    """How `inbox dead` prints: a table for people, JSON for scripts."""

    TABLE = "table"
    JSON = "json"


@app.command("dead")
def dead(
    output: Annotated[
        Format, typer.Option("--format", help="table (default) or json (a list on stdout).")
    ] = Format.TABLE,
) -> None:
    """List the incoming messages set aside after their last try failed, oldest first."""
    settings = load_cli_settings()
    found: list[InboundEvent] = in_session(
        settings, lambda session: stored_events.dead_events(session=session)
    )
    if output is Format.JSON:
        typer.echo(json.dumps([_as_json(row) for row in found], ensure_ascii=False, indent=2))
        return
    if not found:
        typer.echo("no dead events")
        return
    received = f"RECEIVED ({settings.citybot_timezone})"
    typer.echo(f"{'ID':<8}{'CHANNEL':<11}{'EVENT KEY':<34}{'TRIES':<7}{received:<28}REASON")
    for row in found:
        reason = " ".join((row.last_error or "").split())
        typer.echo(
            f"{row.id:<8}{row.channel.value:<11}{row.event_key[:32]:<34}{row.attempts:<7}"
            f"{local_minute(row.received_at, settings):<28}{reason[:REASON_WIDTH]}"
        )


def _as_json(row: InboundEvent) -> dict[str, Any]:
    return {
        "id": row.id,
        "channel": row.channel.value,
        "event_key": row.event_key,
        "attempts": row.attempts,
        "reason": row.last_error,
        "received_at": row.received_at.isoformat(),
    }


@app.command("retry")
def retry(
    event_id: Annotated[int, typer.Argument(help="The id `citybot inbox dead` shows.")],
) -> None:
    """Put a dead event back in the queue with fresh tries; the running bot answers it."""
    settings = load_cli_settings()

    async def revive(session: AsyncSession) -> None:
        try:
            await retry_dead_letter(session=session, event_id=event_id, now=utcnow())
        except NotDead as error:
            raise CommandError(str(error)) from None

    in_session(settings, revive)
    typer.echo(f"inbox event {event_id} is queued again")
