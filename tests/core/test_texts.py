"""Message texts: both languages complete, placeholders aligned, every key used exists."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.core.router import RouteKind
from bot.core.texts import Texts, TextsError, placeholders
from bot.settings import DEFAULT_CONTENT_DIR
from db.enums import Channel, Language, Role
from handlers import ROUTERS
from handlers.menu import MENU_COMMANDS

ROOT = Path(__file__).resolve().parents[2]
LITERAL_KEY = re.compile(
    r"""\bt\(\s*"([a-z_]+(?:\.[a-z_]+)+)"|texts\.get\([^,]+,\s*"([a-z_.]+)\""""
)


def test_every_literal_key_in_the_code_exists(texts: Texts) -> None:
    """Each `t("a.b")` in bot/ and handlers/ names a text that exists."""
    used: set[str] = set()
    for source in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py")]:
        for match in LITERAL_KEY.finditer(source.read_text(encoding="utf-8")):
            used.add(match.group(1) or match.group(2))
    assert used, "the pattern found no keys: the test would prove nothing"
    assert sorted(key for key in used if not texts.has(key)) == []


def test_every_key_built_at_run_time_exists(texts: Texts) -> None:
    """Keys made from roles, channels, languages and commands all exist."""
    commands = {name for names in MENU_COMMANDS.values() for name in names}
    routed = {
        name
        for router in ROUTERS
        for route in router.routes
        if route.kind is RouteKind.COMMAND
        for name in route.names
    }
    keys = [f"roles.{role.value}" for role in Role]
    keys += [f"channels.{channel.value}" for channel in Channel]
    keys += [f"lang.name_{lang.value}" for lang in Language]
    keys += [f"lang.switch_to_{lang.value}" for lang in Language]
    keys += [f"commands.{name}.{part}" for name in commands for part in ("label", "help")]
    keys += [f"onboarding.code_{r}" for r in ("unknown", "revoked", "expired", "used_up")]
    assert commands <= routed
    assert [key for key in keys if not texts.has(key)] == []


def test_languages_have_the_same_placeholders(texts: Texts) -> None:
    """Thai and English agree on every key's placeholders (load enforces it)."""
    th, en = texts.by_language[Language.TH], texts.by_language[Language.EN]
    assert th.keys() == en.keys()
    assert all(placeholders(th[k]) == placeholders(en[k]) for k in th)


def _content_with(tmp_path: Path, language: str, edit: Callable[[str], str]) -> Path:
    """A copy of the message files, with `edit` applied to one language's."""
    for lang in ("th", "en"):
        (tmp_path / lang).mkdir()
        text = (DEFAULT_CONTENT_DIR / lang / "messages.yaml").read_text(encoding="utf-8")
        (tmp_path / lang / "messages.yaml").write_text(edit(text) if lang == language else text)
    return tmp_path


def test_missing_translation_names_file_and_key(tmp_path: Path) -> None:
    """A key missing in English fails loading, naming the file and the key."""
    content = _content_with(
        tmp_path, "en", lambda text: text.replace('  sticker: "Thanks', '  stickerx: "Thanks')
    )
    with pytest.raises(TextsError, match=r"en/messages\.yaml: help\.sticker: missing"):
        Texts.load(content)


def test_placeholder_mismatch_names_file_and_key(tmp_path: Path) -> None:
    """A translation that drops a placeholder fails loading."""
    content = _content_with(
        tmp_path, "en", lambda text: text.replace("Results for “{query}”", "Results")
    )
    with pytest.raises(TextsError, match=r"materials\.hits: placeholders"):
        Texts.load(content)


def test_duplicate_key_names_file_and_key(tmp_path: Path) -> None:
    """A key written twice is an error, not a silent overwrite."""
    content = _content_with(tmp_path, "th", lambda text: text + '\nerrors:\n  internal: "x"\n')
    with pytest.raises(TextsError, match=r"th/messages\.yaml: errors: duplicate key"):
        Texts.load(content)


def test_get_fills_placeholders(texts: Texts) -> None:
    """Placeholders are filled in the chosen language."""
    assert (
        texts.get(Language.EN, "invite.unknown_organisation", slug="x")
        == "No organisation called x."
    )
