"""Texts in content files: single-language and bilingual texts, slugs, lists and vocabularies."""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from bot.seeding.reader import Fields, kind_of
from db.enums import Language

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class Bilingual(Generic[T]):
    """One value in Thai and in English."""

    th: T
    en: T

    def get(self, language: Language) -> T:
        """The value in `language`."""
        return self.th if language is Language.TH else self.en

    def merged(self: Bilingual[tuple[str, ...]]) -> list[str]:
        """Thai then English items without repeats, as stored for searching in either language."""
        return list(dict.fromkeys((*self.th, *self.en)))


class TextFields(Fields):
    """A mapping whose fields are read as texts: every text is trimmed, bounded and typed."""

    def text(self, name: str, *, max_length: int = 300) -> str:
        """A required, non-empty, single-language text."""
        text = self.optional_text(name, max_length=max_length)
        if text is None:
            self.fail(name, self.required(name))
        return text

    def optional_text(self, name: str, *, max_length: int = 300) -> str | None:
        """A single-language text, or None when absent."""
        return _text(self, name, self.raw(name, required=False), max_length)

    def slug(self, name: str, *, max_length: int = 80) -> str:
        """A lower-case, dash-separated identifier."""
        value = self.text(name, max_length=max_length)
        if not _SLUG.match(value):
            self.fail(name, f"{value!r} is not a slug (lower-case letters, digits and dashes)")
        return value

    def optional_slug(self, name: str) -> str | None:
        """A slug, or None when absent."""
        if self.has(name):
            return self.slug(name)
        self.raw(name, required=False)
        return None

    def unique_slug(self, seen: dict[str, str], *, max_length: int = 80, where: str = "") -> str:
        """The entry's own `slug`, which no entry before it in `seen` may have."""
        slug = self.slug("slug", max_length=max_length)
        self.unique("slug", slug, seen, where)
        return slug

    def reference(
        self, name: str, known: Container[str], what: str, *, max_length: int = 80
    ) -> str:
        """A slug that must name one of `known`: the `what` it refers to."""
        slug = self.slug(name, max_length=max_length)
        if slug not in known:
            self.fail(name, f"unknown {what} {slug!r}")
        return slug

    def bilingual(self, name: str, *, max_length: int = 300) -> Bilingual[str]:
        """A required text in both Thai and English."""
        value = self.optional_bilingual(name, max_length=max_length)
        if value is None:
            self.fail(name, self.required(name, ": a Thai (th) and an English (en) text"))
        return value

    def optional_bilingual(self, name: str, *, max_length: int = 300) -> Bilingual[str] | None:
        """A text in both Thai and English, or None when absent."""
        value = self.raw(name, required=False)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.fail(name, "needs a Thai (th) and an English (en) text")
        languages = self.within(name, value)
        result = Bilingual(
            th=_required_language(languages, Language.TH, max_length),
            en=_required_language(languages, Language.EN, max_length),
        )
        languages.done()
        return result

    def bilingual_or_empty(self, name: str, *, max_length: int = 300) -> Bilingual[str]:
        """A text in Thai and English that may be left out, then empty in both (as stored)."""
        return self.optional_bilingual(name, max_length=max_length) or Bilingual("", "")

    def bilingual_tags(self, name: str) -> Bilingual[tuple[str, ...]]:
        """Search words in Thai and English (both lists may be empty, neither missing)."""
        value = self.raw(name, required=False)
        if value is None:
            return Bilingual(th=(), en=())
        languages = self.within(name, value)
        result = Bilingual(
            th=languages.strings(Language.TH.value, required=True),
            en=languages.strings(Language.EN.value, required=True),
        )
        languages.done()
        return result

    def strings(self, name: str, *, required: bool = False) -> tuple[str, ...]:
        """A list of non-empty texts."""
        value = self.raw(name, required=False)
        if value is None:
            if required:
                self.fail(name, _missing_language(name))
            return ()
        if not isinstance(value, list):
            self.fail(name, f"expected a list, found {kind_of(value)}")
        items: list[str] = []
        for index, item in enumerate(value):
            text = _text(self, f"{name}[{index}]", item, 100)
            if text is None:
                self.fail(f"{name}[{index}]", "is empty")
            items.append(text)
        return tuple(items)

    def choice(self, name: str, vocabulary: type[E]) -> E:
        """A value of a closed vocabulary (a StrEnum)."""
        value = self.text(name, max_length=40)
        try:
            return vocabulary(value)
        except ValueError:
            known = ", ".join(member.value for member in vocabulary)
            self.fail(name, f"unknown {name} {value!r} (one of: {known})")


def _missing_language(name: str) -> str:
    language = {"th": "Thai (th)", "en": "English (en)"}.get(name, name)
    return f"missing {language} text"


def _text(entry: Fields, name: str, value: object, max_length: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        entry.fail(name, f"expected text, found {kind_of(value)} (quote it)")
    text = value.strip()
    if not text:
        return None
    if len(text) > max_length:
        entry.fail(name, f"is {len(text)} characters long, more than {max_length}")
    return text


def _required_language(languages: TextFields, language: Language, max_length: int) -> str:
    text = languages.optional_text(language.value, max_length=max_length)
    if text is None:
        languages.fail(language.value, _missing_language(language.value))
    return text
