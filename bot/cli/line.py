"""`citybot line …`: the LINE channel's operator tools (rich menus).

Thin: the command calls `bot.channels.line.richmenu` and prints. The SDK and the database are
reached inside it, so the rest of the CLI starts without loading them.
"""

from __future__ import annotations

import asyncio

import typer

from bot.app import App
from bot.cli.support import CommandError, database_errors, load_cli_settings

app = typer.Typer(help="The LINE channel: rich menus.", no_args_is_help=True)


@app.command("richmenu")
def richmenu() -> None:
    """Create or update the rich menus, set the default and link members' menus by role."""
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
        bot = App.create(settings)
        try:
            async with bot.sessions() as session:
                accounts = await reachable_accounts(session=session, channel=Channel.LINE)
            line = bot.adapters[Channel.LINE]
            assert isinstance(line, LineChannel)
            await line.start()
            return await sync_rich_menus(api=line.api, menus=menus, accounts=accounts)
        finally:
            await bot.close()

    try:
        with database_errors(settings):
            report = asyncio.run(run())
    except (LineApiError, LineUnavailable) as error:
        raise CommandError(f"LINE refused or did not answer: {error}") from None
    for line in report.lines():
        typer.echo(line)
