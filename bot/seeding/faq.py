"""faq.yaml: the frequently asked questions with their answers and search words."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.seeding.entry import Entry
from bot.seeding.texts import Bilingual


@dataclass(frozen=True)
class FaqSpec:
    """A question with its answer."""

    slug: str
    question: Bilingual[str]
    answer: Bilingual[str]
    tags: Bilingual[tuple[str, ...]]
    position: int


def load_faq(content_dir: Path) -> tuple[FaqSpec, ...]:
    """The questions in file order, each slug once."""
    file = Entry.top(content_dir, "faq.yaml")
    slugs: dict[str, str] = {}
    faq: list[FaqSpec] = []
    for position, entry in enumerate(file.entries("faq")):
        slug = entry.unique_slug(slugs, max_length=100)
        faq.append(
            FaqSpec(
                slug=slug,
                question=entry.bilingual("question", max_length=1000),
                answer=entry.bilingual("answer", max_length=4000),
                tags=entry.bilingual_tags("tags"),
                position=position,
            )
        )
    file.done()
    return tuple(faq)
