"""`python -m bot` is the `citybot` command."""

from bot.cli import main

main()
