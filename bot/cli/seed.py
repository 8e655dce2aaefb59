"""`citybot seed`: load content/ (and, for development, the demo) into the database."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from bot.cli.support import CommandError, database_errors, load_cli_settings


def seed(
    demo: Annotated[
        bool,
        typer.Option("--demo", help="Also add demo members, invites and progress."),
    ] = False,
) -> None:
    """Load organisations, domains, workshops, materials and the rest of content/ (idempotent)."""
    from bot.seeding import ContentError, run_seed

    settings = load_cli_settings()
    if demo and settings.citybot_env == "production":
        # Demo invite codes are public and long-lived: they must never open a production bot.
        raise CommandError("--demo is refused when CITYBOT_ENV=production")
    try:
        with database_errors(settings):
            report = asyncio.run(
                run_seed(
                    database_url=settings.database_url,
                    content_dir=settings.content_dir,
                    materials_base_url=settings.citybot_materials_base_url,
                    demo=demo,
                )
            )
    except ContentError as error:
        raise CommandError(f"content is not valid, nothing was seeded: {error}") from None
    typer.echo(report.summary())


def register(cli: typer.Typer) -> None:
    """Add `seed` to the root command."""
    cli.command()(seed)
