"""`citybot line …`: the LINE channel's operator tools (rich menus).

The SDK and the database are reached inside the commands, so the rest of the CLI starts without
loading them.
"""

from __future__ import annotations

import asyncio

import typer

from bot.cli_support import CommandError, database_errors, load_cli_settings

line_cli = typer.Typer(help="The LINE channel: rich menus.", no_args_is_help=True)


@line_cli.command("richmenu")
def richmenu() -> None:
    """Create or update the rich menus, set the default and link members' menus by role."""
    from bot.app import App
    from bot.channels.line import LineChannel
    from bot.channels.line.api import LineApiError, LineUnavailable
    from bot.channels.line.richmenu import (
        RichMenuError,
        SyncReport,
        load_menus,
        sync_rich_menus,
    )
    from bot.core.texts import Texts
    from db.enums import Channel
    from db.repositories.profiles import reachable_accounts

    settings = load_cli_settings()
    if not settings.line_enabled:
        raise CommandError("LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN are not set")
    try:
        menus = load_menus(settings.content_dir, Texts.load(settings.content_dir))
    except RichMenuError as error:
        raise CommandError(str(error)) from None

    async def run() -> SyncReport:
        app = App.create(settings)
        try:
            async with app.sessions() as session:
                accounts = await reachable_accounts(session=session, channel=Channel.LINE)
            line = app.adapters[Channel.LINE]
            assert isinstance(line, LineChannel)
            await line.start()
            return await sync_rich_menus(api=line.api, menus=menus, accounts=accounts)
        finally:
            await app.close()

    try:
        with database_errors(settings):
            report = asyncio.run(run())
    except (LineApiError, LineUnavailable) as error:
        raise CommandError(f"LINE refused or did not answer: {error}") from None
    for line in report.lines():
        typer.echo(line)
