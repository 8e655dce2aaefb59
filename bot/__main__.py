"""`python -m bot`, and the `citybot` command (pyproject's script entry)."""

from bot.imports import collector_paused


def run() -> None:
    """Import the CLI with the collector paused (start-up time), then run it."""
    with collector_paused():
        from bot.cli import main
    main()


if __name__ == "__main__":
    run()
