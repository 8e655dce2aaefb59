"""The `citybot` command: one Typer app, one module per command group.

Commands stay thin: they read settings, call a feature's service (or a channel's set-up
function) in one unit of work, and print. Anything an operator can get wrong ends as one
`error: …` line and exit code 2, never a traceback; a traceback means a bug.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from bot.app import DatabaseUnavailable
from bot.cli import (
    announce,
    checkin,
    console,
    dashboard,
    db,
    deadlines,
    inbox,
    invite,
    line,
    nlu,
    partners,
    progress,
    reminders,
    seed,
    serve,
    submissions,
    telegram,
    tickets,
)
from bot.cli.support import CommandError
from bot.core.texts import TextsError
from bot.settings import SettingsError

USAGE_ERROR = 2


class OperatorErrors(TyperGroup):
    """The root group: turns operator mistakes from any command into `error: …` and exit 2."""

    def invoke(self, ctx: Any) -> Any:
        """Run the command; report operator mistakes on one line instead of a traceback."""
        try:
            return super().invoke(ctx)
        except (CommandError, SettingsError, DatabaseUnavailable, TextsError) as error:
            # One line even when a message (a YAML error, say) spans several.
            typer.echo(f"error: {' '.join(str(error).split())}", err=True)
            raise typer.Exit(USAGE_ERROR) from None


cli = typer.Typer(
    cls=OperatorErrors,
    name="citybot",
    help="Smart City Connect: the LINE and Telegram bot of Thailand's smart-city programme.",
    no_args_is_help=True,
    add_completion=False,
    # Plain click help: typer's rich panels label every flag `<bool>`, as if it took a value.
    rich_markup_mode=None,
    # Settings hold tokens; a crash report must not print local variables.
    pretty_exceptions_show_locals=False,
)
serve.register(cli)
console.register(cli)
seed.register(cli)
nlu.register(cli)
cli.add_typer(db.app, name="db")
cli.add_typer(dashboard.app, name="dashboard")
cli.add_typer(invite.app, name="invite")
cli.add_typer(announce.app, name="announce")
cli.add_typer(checkin.app, name="checkin")
cli.add_typer(inbox.app, name="inbox")
cli.add_typer(progress.app, name="progress")
cli.add_typer(reminders.app, name="reminders")
cli.add_typer(deadlines.app, name="deadlines")
cli.add_typer(submissions.app, name="submissions")
cli.add_typer(partners.app, name="partners")
cli.add_typer(tickets.app, name="tickets")
cli.add_typer(telegram.app, name="telegram")
cli.add_typer(line.app, name="line")


def main() -> None:
    """Entry point of the `citybot` console script and of `python -m bot`."""
    cli(prog_name="citybot")
