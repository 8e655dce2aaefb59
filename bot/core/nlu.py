"""Thai-aware text understanding with PyThaiNLP's bundled newmm tokenizer and word lists.

Only what ships in the wheel is used (nothing is downloaded); the dictionary trie is built on
first use, so `warm_up` lets the composition root pay that cost off the request path.
"""

from __future__ import annotations

import os
import unicodedata
from functools import lru_cache

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

# Latin and Thai punctuation and symbols that never carry meaning in a search.
_SEPARATOR_CATEGORIES = ("P", "S", "Z", "C")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from pythainlp.corpus import thai_stopwords

    english = {"a", "an", "and", "the", "of", "for", "to", "in", "on", "with", "about", "is"}
    return frozenset(thai_stopwords()) | english


def tokens(text: str) -> list[str]:
    """Meaningful lower-case words of Thai and English text, stop words and punctuation dropped."""
    from pythainlp.tokenize import word_tokenize

    normal = unicodedata.normalize("NFC", text).casefold()
    words = word_tokenize(normal, engine="newmm", keep_whitespace=False)
    stop = _stopwords()
    meaningful = []
    for word in words:
        stripped = "".join(
            ch for ch in word if not unicodedata.category(ch).startswith(_SEPARATOR_CATEGORIES)
        )
        if stripped and stripped not in stop:
            meaningful.append(stripped)
    return meaningful


def warm_up() -> None:
    """Build the tokenizer's dictionary now rather than on the first person's search."""
    tokens("เมืองอัจฉริยะ smart city")
