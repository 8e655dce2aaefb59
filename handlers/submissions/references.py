"""Receipt references people can read out: `SCP27-KKN-CN-01`.

Made from slugs, so nothing new is stored: the competition (initials of its words and the last
two digits of its year), the city (three letters, unique among the cities), the stage (initials
of its words, or a one-word slug's first two letters; unique in its competition) and the count
of the city's submissions to the stage. content/README.md explains it to content writers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from itertools import combinations

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Competition, Deadline, Organisation
from db.repositories.organisations import list_cities
from db.repositories.submissions import (
    count_submissions,
    reference_taken,
    stages_of,
)

CITY_LETTERS = 3
_WORD = re.compile(r"[a-z0-9]+")
_VOWELS = frozenset("aeiou")


def words_of(slug: str) -> list[str]:
    """The words of a slug: `smart-city-plan-2027` → smart, city, plan, 2027."""
    return _WORD.findall(slug.lower())


def competition_code(slug: str) -> str:
    """`smart-city-plan-2027` → `SCP27`: initials of the words, a year's last two digits."""
    words = words_of(slug)
    initials = "".join(word[0] for word in words if not word.isdigit())
    years = "".join(word[-2:] for word in words if word.isdigit())
    return (initials[:6] + years[-2:]).upper() or "C"


def stage_codes_of(slug: str) -> Iterator[str]:
    """A stage's codes, best first: `concept-note` → `CN`, `registration` → `RE`, then `RG`…

    The initials of its words, or a one-word slug's first two letters; for a clash, the first
    letter with each later one, then numbered.
    """
    words = words_of(slug) or ["s"]
    if len(words) > 1:
        yield "".join(word[0] for word in words)[:3].upper()
    head, rest = words[0][0], "".join(words)[1:]
    for letter in rest:
        yield f"{head}{letter}".upper()
    for number in range(2, 100):
        yield f"{head}{number}".upper()


def first_free(candidates: Iterator[str], used: set[str]) -> str:
    """The first candidate not used yet, now used."""
    code = next(code for code in candidates if code not in used)
    used.add(code)
    return code


def stage_codes(deadlines: Sequence[Deadline]) -> dict[int, str]:
    """Each stage's code by id, unique in its competition: an earlier stage keeps a clash."""
    used: set[str] = set()
    return {
        deadline.id: first_free(stage_codes_of(deadline.slug), used)
        for deadline in sorted(deadlines, key=lambda d: (d.position, d.id))
    }


def city_codes_of(slug: str) -> Iterator[str]:
    """A city's three-letter codes, best first: `khon-kaen` → `KKN`, then other letters.

    The initials of its words, then the last consonants after them (in reading order), so
    `bangkok` is `BKK` and `pattaya` `PTY`; other picks of its letters follow for a clash.
    """
    words = words_of(slug)
    initials = "".join(word[0] for word in words)[:CITY_LETTERS]
    rest = "".join(word[1:] for word in words)
    need = CITY_LETTERS - len(initials)
    consonants = [letter for letter in rest if letter not in _VOWELS]
    pool = consonants if len(consonants) >= need else list(rest.ljust(need, "x"))
    yield (initials + "".join(pool[len(pool) - need :])).upper()
    for letters in (consonants, list(rest)):
        for combo in combinations(letters, need):
            yield (initials + "".join(combo)).upper()
    for number in range(2, 100):
        yield f"{initials[:1]}{number:0>2}".upper()


def city_codes(cities: Sequence[Organisation]) -> dict[int, str]:
    """Each city's code by id; an older city keeps a clashing code, a newer one takes the next."""
    used: set[str] = set()
    return {
        city.id: first_free(city_codes_of(city.slug), used)
        for city in sorted(cities, key=lambda c: c.id)
    }


async def next_reference(
    *,
    session: AsyncSession,
    competition: Competition,
    deadline: Deadline,
    organisation: Organisation,
) -> str:
    """The reference of the city's next submission to the stage (never one already given)."""
    codes = city_codes(await list_cities(session=session))
    city = codes.get(organisation.id) or next(city_codes_of(organisation.slug))
    stages = stage_codes(await stages_of(session=session, competition_id=competition.id))
    prefix = f"{competition_code(competition.slug)}-{city}-{stages[deadline.id]}"
    count = await count_submissions(
        session=session, deadline_id=deadline.id, organisation_id=organisation.id
    )
    while True:
        count += 1
        reference = f"{prefix}-{count:02d}"
        if not await reference_taken(session=session, reference=reference):
            return reference
