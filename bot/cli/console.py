"""`citybot console`: chat with the bot in the terminal (the text backend)."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer

from bot.app import App
from bot.cli.support import (
    database_errors,
    find_organisation,
    load_cli_settings,
    parse_role,
    require_fit,
)
from db.enums import Channel, Role


def console(
    user: Annotated[
        str, typer.Option("--user", help="Your chat account's name on the console channel.")
    ] = "console",
    as_member: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="ORG:ROLE",
            help="Start as a registered member, e.g. khon-kaen:officer (for development).",
        ),
    ] = None,
) -> None:
    """Chat with the bot in this terminal: one message per line (pipes work); numbers pick."""
    from bot.channels.console import ConsoleChannel
    from handlers.onboarding.service import register_as

    settings = load_cli_settings()
    wanted: tuple[str, Role] | None = None
    if as_member is not None:
        org_slug, _, role_name = as_member.partition(":")
        wanted = (org_slug, parse_role(role_name))

    async def chat() -> None:
        app = App.create(settings)
        try:
            if wanted is not None:
                async with app.sessions() as session, session.begin():
                    organisation = await find_organisation(session, wanted[0])
                    require_fit(organisation, wanted[1])
                    await register_as(
                        session=session,
                        channel=Channel.CONSOLE,
                        external_id=user,
                        organisation=organisation,
                        role=wanted[1],
                        now=app.dispatcher.services.clock.now(),
                    )
            channel = app.answer_in_person(ConsoleChannel)
            interactive = sys.stdin.isatty()
            while True:
                if interactive:
                    typer.echo("> ", nl=False)
                line = await asyncio.to_thread(sys.stdin.readline)
                if not line:
                    break
                if not line.strip():  # Enter on an empty line says nothing to the bot
                    continue
                typer.echo(await channel.say(line.rstrip("\n"), user_id=user, display_name=user))
                typer.echo("")
        finally:
            await app.close()

    with database_errors(settings):
        asyncio.run(chat())


def register(cli: typer.Typer) -> None:
    """Add `console` to the root command."""
    cli.command()(console)
