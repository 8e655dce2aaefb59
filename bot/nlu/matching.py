"""Finding lexicon phrases in a message's words: on word boundaries, longest first.

A short phrase must start and end where words do (so "ev" is not found in "every", nor "ขอ" in
"ขอบคุณ"); a longer Thai phrase may sit inside a word the tokeniser did not split the same way.
Where phrases overlap, the longest keeps its span ("ยังไม่เสร็จ" over "เสร็จ").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from bot.nlu.text import Words
from bot.nlu.vocabulary import Phrase

_THAI = re.compile(r"[\u0e00-\u0e7f]")
FREE_LENGTH = 4  # Thai phrases this long match inside a word too
KEY = 2  # phrases are indexed by their first characters


@dataclass(frozen=True, slots=True)
class Found:
    """A phrase found at [start, end) of the joined words."""

    phrase: Phrase
    start: int
    end: int

    def overlaps(self, other: Found) -> bool:
        """Whether the two spans share a character."""
        return self.start < other.end and other.start < self.end


class PhraseIndex:
    """Phrases by their first characters, so a message is read once, not once per phrase.

    `free` indexes let Thai phrases of any length sit inside a word (question particles ride
    on other words: "ถึงไหนแล้ว").
    """

    def __init__(self, phrases: Iterable[Phrase], *, free: bool = False) -> None:
        self._by_key: dict[str, list[Phrase]] = defaultdict(list)
        for phrase in phrases:
            self._by_key[phrase.text[:KEY]].append(phrase)
        self._free = free

    def _anywhere(self, phrase: Phrase) -> bool:
        thai = _THAI.search(phrase.text) is not None
        return thai and (self._free or len(phrase.text) >= FREE_LENGTH)

    def find_all(self, words: Words) -> list[Found]:
        """Every occurrence of every phrase that respects word boundaries."""
        text = words.joined
        found: list[Found] = []
        for start in range(len(text)):
            head = text[start : start + KEY]
            candidates = self._by_key.get(head, [])
            if len(head) == KEY:  # one-character phrases ("?") are indexed under themselves
                candidates = candidates + self._by_key.get(text[start], [])
            for phrase in candidates:
                if not text.startswith(phrase.text, start):
                    continue
                end = start + len(phrase.text)
                bounded = start in words.boundaries and end in words.boundaries
                if bounded or self._anywhere(phrase):
                    found.append(Found(phrase, start, end))
        return found


def longest_first(found: Iterable[Found], *, heaviest: bool = False) -> list[Found]:
    """The non-overlapping matches, longer ones winning (with `heaviest`, weightier ones
    first: a strong cue is not lost to a longer weak one), in text order."""
    kept: list[Found] = []

    def rank(f: Found) -> tuple[float, int, int]:
        return (-f.phrase.weight if heaviest else 0.0, -(f.end - f.start), f.start)

    for match in sorted(found, key=rank):
        if not any(match.overlaps(other) for other in kept):
            kept.append(match)
    return sorted(kept, key=lambda f: f.start)
