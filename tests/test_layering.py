"""The import rules: SDKs stay in their channel, features never see channels, floors never look up.

The floors, top down: entry points (`bot/cli`, `bot/web`, `bot/__main__`), the composition root
(`bot/app`), then features (`handlers`), the runtime (`bot/core`, `bot/delivery`, channels) and
`db`. A feature's `service.py` holds use cases only: no replies, no platform.

The checker reads the source with `ast` (nothing is imported), resolves relative imports, and also
catches `importlib.import_module("…")` / `__import__("…")` with a literal name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED_DIRS = ("bot", "handlers", "db", "content")
# A platform SDK may be imported only inside the channel package that speaks to that platform.
SDK_HOMES = {"linebot": "line", "telegram": "telegram"}
KNOWN_CHANNELS = frozenset({"line", "telegram", "console", "simulator"})
ENTRY_POINTS = ("bot.cli", "bot.web", "bot.__main__")
# Who may import the composition root: the entry points alone.
ROOT_IMPORTERS = ("bot/cli/", "bot/web/", "bot/__main__.py")
MAX_MODULE_LINES = 450


@dataclass(frozen=True)
class Violation:
    """One import that breaks a layering rule."""

    path: str
    line: int
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: imports {self.imported} — {self.rule}"


def _module_name(relative: Path) -> str:
    parts = list(relative.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str | None, level: int, current: str, is_package: bool) -> str:
    """The absolute name a (possibly relative) `from … import` refers to."""
    if level == 0:
        return module or ""
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join([*base, module] if module else base)


def imported_modules(source: str, relative: Path) -> Iterator[tuple[int, str]]:
    """Every module a file imports, absolute, with its line; `from a import b` yields a and a.b."""
    current = _module_name(relative)
    is_package = relative.name == "__init__.py"
    for node in ast.walk(ast.parse(source, filename=str(relative))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(node.module, node.level, current, is_package)
            yield node.lineno, target
            for alias in node.names:
                if alias.name != "*":
                    yield node.lineno, f"{target}.{alias.name}" if target else alias.name
        elif (
            isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _channel_of(relative: Path) -> str | None:
    """The channel package a file belongs to (bot/channels/<name>/…), if any."""
    parts = relative.parts
    if len(parts) >= 4 and parts[:2] == ("bot", "channels"):
        return parts[2]
    return None


def check_source(source: str, relative: Path, channels: frozenset[str]) -> list[Violation]:
    """The layering violations in one file at `relative` (a path from the repository root)."""
    top = relative.parts[0]
    own_channel = _channel_of(relative)
    found: list[Violation] = []
    seen: set[tuple[int, str]] = set()

    def flag(line: int, name: str, rule: str) -> None:
        if (line, rule) not in seen:  # `from a import b` yields a and a.b: report the line once
            seen.add((line, rule))
            found.append(Violation(relative.as_posix(), line, name, rule))

    for line, name in imported_modules(source, relative):
        for sdk, home in SDK_HOMES.items():
            if _within(name, sdk) and own_channel != home:
                flag(line, name, f"`{sdk}` belongs to bot/channels/{home}/ only")
        imported_channel = next((c for c in channels if _within(name, f"bot.channels.{c}")), None)
        if own_channel is not None:
            if imported_channel is not None and imported_channel != own_channel:
                flag(line, name, "a channel never imports another channel")
            if _within(name, "handlers"):
                flag(line, name, "a channel never imports handlers")
        if top == "handlers" and _within(name, "bot.channels"):
            flag(line, name, "handlers never import bot.channels")
        if top == "db" and (_within(name, "bot.channels") or _within(name, "handlers")):
            flag(line, name, "db never imports bot.channels or handlers")
        entry_point = relative.as_posix().startswith(ROOT_IMPORTERS)
        if not entry_point and any(_within(name, up) for up in ENTRY_POINTS):
            flag(line, name, "only an entry point imports the CLI or the web app")
        if not entry_point and relative.as_posix() != "bot/app.py" and _within(name, "bot.app"):
            flag(line, name, "only the entry points import the composition root (bot.app)")
        if (
            top == "handlers"
            and relative.name == "service.py"
            and _within(name, "bot.core.replies")
        ):
            flag(line, name, "a feature's service has use cases only, no replies")
    return found


def _channels_in(root: Path) -> frozenset[str]:
    base = root / "bot" / "channels"
    present = {p.name for p in base.iterdir() if p.is_dir()} if base.is_dir() else set()
    return KNOWN_CHANNELS | present


def check_tree(root: Path) -> list[Violation]:
    """Every layering violation in the checked directories under `root`."""
    channels = _channels_in(root)
    found: list[Violation] = []
    for directory in CHECKED_DIRS:
        for path in sorted((root / directory).rglob("*.py")):
            relative = path.relative_to(root)
            found.extend(check_source(path.read_text(encoding="utf-8"), relative, channels))
    return found


def test_repository_keeps_the_layering_rules() -> None:
    """bot/, handlers/, db/ and content/ import only across the boundaries the design allows."""
    violations = check_tree(ROOT)

    assert not violations, "\n".join(str(v) for v in violations)


def test_modules_stay_small() -> None:
    """No module of ours (migrations aside) grows past MAX_MODULE_LINES lines."""
    too_long = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for directory in (*CHECKED_DIRS, "bench", "tests")
        for path in sorted((ROOT / directory).rglob("*.py"))
        if "migrations" not in path.parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert not too_long, "\n".join(too_long)


def test_content_holds_no_python() -> None:
    """content/ is words and seed data only, so translators and editors never touch code."""
    assert sorted(str(p.relative_to(ROOT)) for p in (ROOT / "content").rglob("*.py")) == []


def _write(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")


def test_checker_flags_every_kind_of_offence(tmp_path: Path) -> None:
    """A synthetic tree breaking each rule once is caught at each offending import."""
    _write(tmp_path, "bot/channels/line/__init__.py", "import linebot.v3\n")
    _write(
        tmp_path,
        "bot/channels/line/adapter.py",
        "from linebot.v3.messaging import AsyncMessagingApi\n"
        "from ..telegram import render\n"
        "import handlers.progress\n",
    )
    _write(tmp_path, "bot/channels/console/__init__.py", "from bot.channels import line\n")
    _write(tmp_path, "bot/channels/telegram/__init__.py", "from telegram import Update\n")
    _write(tmp_path, "bot/core/dispatcher.py", "from telegram.ext import Application\n")
    _write(
        tmp_path,
        "handlers/progress.py",
        "import importlib\n"
        "from bot.channels.telegram import TelegramChannel\n"
        "sdk = importlib.import_module('linebot')\n",
    )
    _write(tmp_path, "db/repositories/members.py", "from handlers import ROUTERS\n")
    _write(tmp_path, "bot/channels/simulator/web.py", "from bot.app import App\n")
    _write(tmp_path, "bot/core/inbox.py", "from bot.cli.support import in_session\n")
    _write(tmp_path, "handlers/announce/service.py", "from bot.core.replies import Text\n")

    found = {(v.path, v.line, v.imported) for v in check_tree(tmp_path)}

    assert found == {
        ("bot/channels/line/adapter.py", 2, "bot.channels.telegram"),
        ("bot/channels/line/adapter.py", 3, "handlers.progress"),
        ("bot/channels/console/__init__.py", 1, "bot.channels.line"),
        ("bot/core/dispatcher.py", 1, "telegram.ext"),
        ("handlers/progress.py", 2, "bot.channels.telegram"),
        ("handlers/progress.py", 3, "linebot"),
        ("db/repositories/members.py", 1, "handlers"),
        ("bot/channels/simulator/web.py", 1, "bot.app"),
        ("bot/core/inbox.py", 1, "bot.cli.support"),
        ("handlers/announce/service.py", 1, "bot.core.replies"),
    }


@pytest.mark.parametrize(
    ("relative", "source"),
    [
        ("bot/channels/line/adapter.py", "from linebot.v3 import WebhookParser\n"),
        ("bot/channels/telegram/adapter.py", "from telegram.ext import Application\n"),
        ("bot/channels/line/render.py", "from bot.core.replies import Text\nfrom . import api\n"),
        ("bot/app.py", "from bot.channels.line import LineChannel\nimport handlers\n"),
        ("bot/cli/line.py", "from bot.app import App\nfrom bot.channels.line import api\n"),
        ("bot/web/app.py", "from bot.app import App\n"),
        ("handlers/announce/views.py", "from bot.core.replies import Text\n"),
        ("handlers/help.py", "from bot.core.replies import Text\nfrom db.models import Member\n"),
        ("db/repositories/inbox.py", "from db.models import InboundEvent\n"),
    ],
)
def test_checker_allows_what_the_design_allows(relative: str, source: str) -> None:
    """SDKs in their own channel, core imports, and the composition root are not flagged."""
    assert check_source(source, Path(relative), KNOWN_CHANNELS) == []
