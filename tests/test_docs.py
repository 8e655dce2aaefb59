"""The README and `.env.example` name every setting and every CLI option (they had drifted)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

from bot.cli import cli
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ENV_EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")


def _section(title: str) -> str:
    """The README's `## title` section, up to the next `## ` heading."""
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _commands(group: TyperGroup, path: str = "") -> Iterator[tuple[str, TyperCommand]]:
    """Every runnable command under `group`, with its path (`invite list`)."""
    for name, command in group.commands.items():
        if isinstance(command, TyperGroup):
            yield from _commands(command, f"{path}{name} ")
        else:
            assert isinstance(command, TyperCommand)
            yield f"{path}{name}", command


def _documented_commands(root: TyperGroup) -> dict[str, str]:
    """From each row of the README's command table: the command each usage names, and its usage.

    A row's first cell holds usages in backticks; after the first, a usage may leave out its
    group (`delete-webhook` after `citybot telegram set-webhook`).
    """
    usages: dict[str, str] = {}
    for row in _section("Commands").splitlines():
        if not row.startswith("| `citybot "):
            continue
        group = ""
        for usage in re.findall(r"`([^`]+)`", row.split("|")[1]):
            words = usage.removeprefix("citybot ").split()
            if isinstance(root.commands.get(words[0]), TyperGroup):
                group, words = words[0], words[1:]
            elif words[0] in root.commands:
                group = ""
            usages[" ".join([group, words[0]] if group else [words[0]])] = " ".join(words[1:])
    return usages


def test_issue10_every_setting_is_in_the_readme_and_the_env_example() -> None:
    """Each field of `Settings` has a row in the README's table and a line in `.env.example`."""
    names = [field.upper() for field in Settings.model_fields]
    table = _section("Configuration")
    assert [name for name in names if f"`{name}`" not in table] == []
    assert [name for name in names if f"# {name}=" not in ENV_EXAMPLE] == []


def test_issue10_every_command_and_option_is_in_the_readme() -> None:
    """Each `citybot` command has a usage in the README's table naming all of its options."""
    root = typer.main.get_command(cli)
    assert isinstance(root, TyperGroup)
    documented = _documented_commands(root)
    missing: list[str] = []
    for name, command in _commands(root):
        usage = documented.get(name)
        if usage is None:
            missing.append(name)
            continue
        named = set(re.findall(r"--[a-z-]+", usage))
        options = (o for p in command.params if isinstance(p, TyperOption) for o in p.opts)
        missing += [f"{name} {o}" for o in options if o != "--help" and o not in named]
    assert missing == []
