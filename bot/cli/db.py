"""`citybot db …`: the database schema."""

from __future__ import annotations

import typer

from bot.cli.support import database_errors, load_cli_settings, shown_url

app = typer.Typer(help="The database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Apply every migration the database lacks."""
    from db.migrate import upgrade as apply_migrations

    settings = load_cli_settings()
    with database_errors(settings):
        apply_migrations(settings.database_url)
    typer.echo(f"database {shown_url(settings)} is at the latest schema")
