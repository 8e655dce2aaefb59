"""A small ranked search over weighted text fields, in Thai and English.

Workshop materials and FAQ entries number in the hundreds at most, so an in-memory inverted index
rebuilt when the rows change is faster and simpler than a database full-text engine that would
differ between SQLite and PostgreSQL and knows no Thai word boundaries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from math import log
from typing import Generic, TypeVar

from bot.core.nlu import tokens, warm_up

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Field:
    """A piece of a document's text and how much a match in it counts."""

    text: str
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class Hit(Generic[K]):
    """A document that matched, with its score."""

    key: K
    score: float


class SearchIndex(Generic[K]):
    """Tokens → documents, scored by field weight and how rare the token is."""

    def __init__(self, documents: Iterable[tuple[K, Sequence[Field]]]) -> None:
        self._postings: dict[str, dict[K, float]] = defaultdict(dict)
        count = 0
        for key, fields in documents:
            count += 1
            for field in fields:
                for token in set(tokens(field.text)):
                    current = self._postings[token].get(key, 0.0)
                    self._postings[token][key] = max(current, field.weight)
        self._size = max(count, 1)

    def _matches(self, token: str) -> dict[K, float]:
        exact = self._postings.get(token)
        if exact is not None:
            return exact
        # A query word that is part of an indexed word (or contains one) still counts, a little
        # less: "platform" finds "แพลตฟอร์ม" only through tags, but "data" finds "dataset".
        partial: dict[K, float] = {}
        if len(token) < 3:
            return partial
        for word, postings in self._postings.items():
            if token in word or (len(word) >= 3 and word in token):
                for key, weight in postings.items():
                    partial[key] = max(partial.get(key, 0.0), weight * 0.5)
        return partial

    def search(self, query: str, *, limit: int = 10) -> list[Hit[K]]:
        """Documents matching any query word, best first; documents matching more words win."""
        scores: dict[K, float] = defaultdict(float)
        for token in dict.fromkeys(tokens(query)):
            postings = self._matches(token)
            if not postings:
                continue
            rarity = 1.0 + log(self._size / len(postings))
            for key, weight in postings.items():
                scores[key] += weight * rarity
        ranked = sorted(scores.items(), key=lambda item: (-item[1], str(item[0])))
        return [Hit(key, score) for key, score in ranked[:limit]]


# The documents of an index, read when it must be (re)built.
Documents = Callable[[], Awaitable[Iterable[tuple[K, Sequence[Field]]]]]


class CachedIndex(Generic[K]):
    """An index kept between messages and rebuilt only when its rows' version changes.

    The version is whatever the caller reads cheaply from the database (a count and the latest
    change), so a seed or an edit is seen at the next search without re-reading every row.
    """

    def __init__(self) -> None:
        self._version: str | None = None
        self._index: SearchIndex[K] | None = None

    async def get(self, version: str, documents: Documents[K]) -> SearchIndex[K]:
        """The index of `version`, built from `documents` if the kept one is of another."""
        await warm_up()  # the first search loads the Thai tokenizer off the event loop
        if self._index is None or self._version != version:
            self._index = SearchIndex(await documents())
            self._version = version
        return self._index
