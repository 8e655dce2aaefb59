"""Counting and cutting text the way LINE measures it, without breaking Thai syllables.

LINE counts message text in UTF-16 code units but action labels, display texts and rich menu
names in grapheme clusters. A cut must never separate a Thai consonant from its vowel or tone
marks (the mark would render on a dotted circle), nor leave a leading vowel (เ แ โ ใ ไ) at the
end of a label without the consonant it is written before.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterator

ELLIPSIS = "…"
_ZWJ = "\u200d"
_SARA_AM = "\u0e33"  # a spacing vowel that Unicode still counts as part of the syllable
_THAI_LEADING_VOWELS = frozenset("\u0e40\u0e41\u0e42\u0e43\u0e44")
_LAO_LEADING_VOWELS = frozenset("\u0ec0\u0ec1\u0ec2\u0ec3\u0ec4")
_LEADING = _THAI_LEADING_VOWELS | _LAO_LEADING_VOWELS
_EMOJI_MODIFIERS = range(0x1F3FB, 0x1F400)
_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)


def _extends(char: str) -> bool:
    """Whether `char` belongs to the cluster before it (marks, SARA AM, skin tones)."""
    if char == _SARA_AM or ord(char) in _EMOJI_MODIFIERS:
        return True
    return unicodedata.category(char) in {"Mn", "Mc", "Me"}


def clusters(text: str) -> Iterator[str]:
    """`text` as user-perceived characters (extended grapheme clusters, as LINE counts them).

    Covers what our texts contain: combining marks, Thai/Lao spacing vowels, emoji ZWJ sequences,
    skin tones, variation selectors and flags. Leading vowels stay clusters of their own, as in
    Unicode, so counts match LINE's; `cut` keeps them with the next letter.
    """
    current = ""
    for char in text:
        if not current:
            current = char
            continue
        previous = current[-1]
        flag_pair = (
            ord(char) in _REGIONAL_INDICATORS
            and ord(previous) in _REGIONAL_INDICATORS
            and sum(ord(c) in _REGIONAL_INDICATORS for c in current) % 2 == 1
        )
        if _extends(char) or char == _ZWJ or previous == _ZWJ or flag_pair:
            current += char
        else:
            yield current
            current = char
    if current:
        yield current


def count(text: str) -> int:
    """How many characters LINE counts in a label-like property."""
    return sum(1 for _ in clusters(text))


def utf16_length(text: str) -> int:
    """How many characters LINE counts in a message text (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


@functools.lru_cache(maxsize=4096)
def cut(text: str, limit: int) -> str:
    """`text` within `limit` grapheme clusters, ending in "…" when something was cut.

    Remembered: the same menus and buttons are cut for every person who asks for them.

    Prefers a word boundary (a space) in the last third, so "ภาษา / Language" becomes
    "ภาษา /…" rather than a half word; Thai without spaces is cut between syllable clusters.
    """
    if limit < 1:
        raise ValueError("a label needs room for at least one character")
    parts = list(clusters(text.strip()))
    if len(parts) <= limit:
        return "".join(parts)
    kept = parts[: limit - 1]
    spaces = [i for i, part in enumerate(kept) if part.isspace()]
    if spaces and spaces[-1] >= (2 * len(kept)) // 3:
        kept = kept[: spaces[-1]]
    while kept and (kept[-1] in _LEADING or kept[-1].isspace()):
        kept.pop()  # a leading vowel belongs to the consonant that was cut away
    return "".join(kept) + ELLIPSIS


def prefix_utf16(text: str, limit: int) -> str:
    """The longest start of `text` within `limit` UTF-16 units that ends between clusters."""
    kept: list[str] = []
    used = 0
    for part in clusters(text):
        size = utf16_length(part)
        if used + size > limit:
            break
        kept.append(part)
        used += size
    return "".join(kept)


def split_utf16(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` UTF-16 units, split at a line, then a space.

    Never splits inside a grapheme cluster; a piece ends at the last line break in its second
    half if there is one, else at the last space there, else at a cluster boundary.
    """
    pieces: list[str] = []
    rest = text
    while utf16_length(rest) > limit:
        head = list(clusters(prefix_utf16(rest, limit)))
        if not head:  # one cluster longer than the limit: only possible with tiny limits
            raise ValueError(f"a single character is longer than {limit} units")
        end = _break_point(head)
        pieces.append("".join(head[:end]).rstrip())
        rest = rest[len("".join(head[:end])) :].lstrip("\n")
    pieces.append(rest)
    return [piece for piece in pieces if piece.strip()] or [text]


def _is_newline(part: str) -> bool:
    return part == "\n"


def _break_point(head: list[str]) -> int:
    """Where a piece of clusters `head` ends: after a newline, else a space, else at its end."""
    half = len(head) // 2
    for is_separator in (_is_newline, str.isspace):
        for index in range(len(head) - 1, half - 1, -1):
            if is_separator(head[index]):
                return index + 1
    return len(head)
