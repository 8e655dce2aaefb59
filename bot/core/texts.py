"""Message texts in Thai and English, loaded from `content/<lang>/messages.yaml`.

Both languages must have the same keys with the same placeholders: a missing translation is a
start-up error naming the file and key, never a blank message to a city executive.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.yamlfile import DuplicateKeyError, read_yaml
from db.enums import Language


class TextsError(ValueError):
    """Broken message texts; the message names the file and the key."""


def _flatten(tree: Mapping[str, Any], prefix: str, file: Path) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{full}.", file))
        elif isinstance(value, str):
            flat[full] = value.rstrip("\n")
        else:
            raise TextsError(
                f"{file}: {full}: a text must be a string, not {type(value).__name__}"
            )
    return flat


def placeholders(template: str) -> frozenset[str]:
    """The `{name}` fields a template expects."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _read(file: Path) -> dict[str, str]:
    try:
        tree = read_yaml(file)
    except DuplicateKeyError as error:
        raise TextsError(f"{file}: {error.key}: duplicate key (line {error.line})") from None
    except FileNotFoundError:
        raise TextsError(f"{file}: missing message file") from None
    if not isinstance(tree, Mapping):
        raise TextsError(f"{file}: expected a mapping of keys to texts")
    return _flatten(tree, "", file)


@dataclass(frozen=True)
class Texts:
    """All message texts, by language then dotted key."""

    by_language: Mapping[Language, Mapping[str, str]]

    @classmethod
    def load(cls, content_dir: Path) -> Texts:
        """Read and cross-check every language's messages."""
        loaded = {lang: _read(content_dir / lang.value / "messages.yaml") for lang in Language}
        reference = Language.TH
        for lang, texts in loaded.items():
            file = content_dir / lang.value / "messages.yaml"
            for key in loaded[reference].keys() - texts.keys():
                raise TextsError(f"{file}: {key}: missing (present in {reference.value})")
            for key in texts.keys() - loaded[reference].keys():
                raise TextsError(f"{file}: {key}: not in {reference.value}/messages.yaml")
            for key, template in texts.items():
                if placeholders(template) != placeholders(loaded[reference][key]):
                    raise TextsError(
                        f"{file}: {key}: placeholders {sorted(placeholders(template))} differ "
                        f"from {reference.value}'s {sorted(placeholders(loaded[reference][key]))}"
                    )
        return cls(loaded)

    def get(self, language: Language, key: str, /, **params: object) -> str:
        """The text for `key` in `language`, with placeholders filled."""
        try:
            template = self.by_language[language][key]
        except KeyError:
            raise TextsError(f"{language.value}/messages.yaml: {key}: no such text") from None
        return template.format(**params) if params or "{" in template else template

    def has(self, key: str) -> bool:
        """Whether `key` exists (in every language, as load guarantees)."""
        return key in self.by_language[Language.TH]

    def bind(self, language: Language) -> Translator:
        """A translator fixed to one language, for a handler's context."""
        return Translator(self, language)


@dataclass(frozen=True)
class Translator:
    """`t("key", name=...)` in one language."""

    texts: Texts
    language: Language

    def __call__(self, key: str, /, **params: object) -> str:
        return self.texts.get(self.language, key, **params)


def shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary within `limit` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip() + "…"
