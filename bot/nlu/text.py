"""Normalising chat text, and splitting it into words with PyThaiNLP's newmm.

People write ๖๐, 60 %, หกสิบเปอร์เซ็นต์, ค่าาาา and 555 for the same things as everyone else;
these steps bring such spellings to one form, so the lexicons need to list each word only once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PERCENT = "%"
PERCENT_WORDS = frozenset(
    {"เปอร์เซ็นต์", "เปอร์เซ็น", "เปอร์เซนต์", "เปอร์เซน", "เปอร์", "percent", "pct", "percents"}
)
_LAUGH = re.compile(r"(?<!\d)5{3,}\+*(?!\d)")
_REPEATED = re.compile(r"([^\d\s])\1{2,}")  # ค่าาาา → ค่า, hiii → hi (digits are left alone)
_IGNORED = str.maketrans({"ๆ": " ", "ฯ": "", "\u200b": "", "\u00a0": " "})
_SPACES = re.compile(r"\s+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
# Punctuation that only separates words; `% . - ' ?` carry meaning (60%, 2.5, e-service, ?).
_SEPARATORS = re.compile(r"[!\"#$&()*+,/:;<=>@\[\\\]^_`{|}~“”‘’…。、]")
_THAI_NUMBER = re.compile(r"^(?:ศูนย์|หนึ่ง|เอ็ด|สอง|ยี่|สาม|สี่|ห้า|หก|เจ็ด|แปด|เก้า|สิบ|ร้อย)+$")
_EN_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_EN_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip


def normalise(text: str) -> str:
    """One spelling: NFC, lower case, Arabic digits, no laughter, no stretched letters."""
    # PyThaiNLP is imported with the understander's first message, not at start-up.
    from pythainlp.util import thai_digit_to_arabic_digit

    text = unicodedata.normalize("NFC", text).casefold()
    text = thai_digit_to_arabic_digit(text).translate(_IGNORED)
    text = _LAUGH.sub(" ", text)
    text = _REPEATED.sub(r"\1", text)
    text = _THOUSANDS.sub("", text)  # 1,200 is one number, not 1 and 200
    text = _SEPARATORS.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def compact(text: str) -> str:
    """A normalised phrase without spaces: how lexicon words and messages are compared."""
    return normalise(text).replace(" ", "")


def thai_number(word: str) -> int | None:
    """หกสิบห้า → 65; None for a word that is not a Thai number."""
    if not _THAI_NUMBER.match(word):
        return None
    from pythainlp.util import thaiword_to_num

    try:
        return int(thaiword_to_num(word))
    except (ValueError, KeyError, IndexError):
        return None


def numbers_as_digits(words: Sequence[str]) -> list[str]:
    """Words with number words (Thai, or English up to ninety-nine) written as digits."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            value = thai_number("".join(run))
            out.extend([str(value)] if value is not None else run)
            run.clear()

    for word in words:
        if _THAI_NUMBER.match(word):
            run.append(word)
            continue
        flush()
        english = _english_number(word)
        if english is not None and out and out[-1].isdigit() and _tens_then_unit(out[-1], english):
            out[-1] = str(int(out[-1]) + english)
        elif english is not None:
            out.append(str(english))
        else:
            out.append(word)
    flush()
    return out


def _english_number(word: str) -> int | None:
    """sixty → 60, sixty-five → 65."""
    if word in _EN_UNITS:
        return _EN_UNITS[word]
    if word in _EN_TENS:
        return _EN_TENS[word]
    tens, dash, unit = word.partition("-")
    if dash and tens in _EN_TENS and unit in _EN_UNITS and _EN_UNITS[unit] < 10:
        return _EN_TENS[tens] + _EN_UNITS[unit]
    return None


def _tens_then_unit(previous: str, value: int) -> bool:
    """Whether "sixty" then "five" make 65."""
    return int(previous) in _EN_TENS.values() and 0 < value < 10


@dataclass(frozen=True, slots=True)
class Words:
    """A message as words, and the same words joined without spaces with their boundaries."""

    words: tuple[str, ...]
    joined: str
    boundaries: frozenset[int]  # offsets in `joined` where a word starts or ends

    @classmethod
    def of(cls, words: Iterable[str]) -> Words:
        """Words (spaces dropped, percent words as %) with their joined form."""
        kept = [PERCENT if w in PERCENT_WORDS else w for w in words if w.strip()]
        kept = numbers_as_digits(kept)
        offsets = {0}
        position = 0
        for word in kept:
            position += len(word)
            offsets.add(position)
        return cls(tuple(kept), "".join(kept), frozenset(offsets))
