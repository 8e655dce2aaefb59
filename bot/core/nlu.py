"""Thai-aware text understanding with PyThaiNLP's bundled newmm tokenizer and word lists.

Only what ships in the wheel is used (nothing is downloaded). The tokenizer and its dictionary
trie cost about a second and 75 MB, so they are made on first use, not at start-up; a search
awaits `warm_up` first, so that second passes in a worker thread while the bot goes on serving.
"""

from __future__ import annotations

import os
import unicodedata
from functools import partial

from bot.imports import OnFirstUse

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

# Latin and Thai punctuation and symbols that never carry meaning in a search.
_SEPARATOR_CATEGORIES = ("P", "S", "Z", "C")


class _Tokenizer:
    """PyThaiNLP's word splitter with its dictionary built, and the stop words."""

    def __init__(self) -> None:
        from pythainlp.corpus import thai_stopwords
        from pythainlp.tokenize import word_tokenize

        english = {"a", "an", "and", "the", "of", "for", "to", "in", "on", "with", "about", "is"}
        self.stop = frozenset(thai_stopwords()) | english
        self.split = partial(word_tokenize, engine="newmm", keep_whitespace=False)
        self.split("เมืองอัจฉริยะ smart city")  # builds the dictionary trie


_TOKENIZER = OnFirstUse(_Tokenizer)


def tokens(text: str) -> list[str]:
    """Meaningful lower-case words of Thai and English text, stop words and punctuation dropped."""
    tokenizer = _TOKENIZER.get()
    meaningful = []
    for word in tokenizer.split(unicodedata.normalize("NFC", text).casefold()):
        stripped = "".join(
            ch for ch in word if not unicodedata.category(ch).startswith(_SEPARATOR_CATEGORIES)
        )
        if stripped and stripped not in tokenizer.stop:
            meaningful.append(stripped)
    return meaningful


async def warm_up() -> None:
    """Make the tokenizer in a worker thread the first time (then `tokens` never waits for it)."""
    await _TOKENIZER.load()
