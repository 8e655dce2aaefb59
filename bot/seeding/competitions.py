"""competitions.yaml: competitions, their stages (deadlines) and when to remind of each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.seeding.entry import Entry
from bot.seeding.texts import Bilingual


@dataclass(frozen=True)
class StageSpec:
    """A competition stage: a deadline with reminders at `reminder_offsets` before it."""

    slug: str
    title: Bilingual[str]
    description: Bilingual[str]
    due_at: datetime
    reminder_offsets: tuple[timedelta, ...]
    position: int
    accepts_submissions: bool = True  # pitching and results take nothing from the cities


@dataclass(frozen=True)
class CompetitionSpec:
    """A competition with its stages."""

    slug: str
    title: Bilingual[str]
    description: Bilingual[str]
    rules_url: str | None
    stages: tuple[StageSpec, ...]


def load_competitions(content_dir: Path, base_url: str) -> tuple[CompetitionSpec, ...]:
    """Competitions with stages in due order; a stage without its own offsets takes the default."""
    file = Entry.top(content_dir, "competitions.yaml")
    slugs: dict[str, str] = {}
    competitions: list[CompetitionSpec] = []
    for entry in file.entries("competitions"):
        slug = entry.unique_slug(slugs)
        default_offsets = entry.offsets("remind_before") or ()
        stage_slugs: dict[str, str] = {}
        stages: list[StageSpec] = []
        for position, stage in enumerate(entry.entries("stages")):
            stage_slug = stage.unique_slug(stage_slugs, where=f"competition {slug}")
            own_offsets = stage.offsets("remind_before")
            stages.append(
                StageSpec(
                    slug=stage_slug,
                    title=stage.bilingual("title"),
                    description=stage.bilingual_or_empty("description", max_length=2000),
                    due_at=stage.moment("due"),
                    reminder_offsets=default_offsets if own_offsets is None else own_offsets,
                    position=position,
                    accepts_submissions=stage.flag("submissions", default=True),
                )
            )
        if [stage.due_at for stage in stages] != sorted(stage.due_at for stage in stages):
            entry.fail("stages", "stages must be listed in the order of their due times")
        competitions.append(
            CompetitionSpec(
                slug=slug,
                title=entry.bilingual("title"),
                description=entry.bilingual_or_empty("description", max_length=4000),
                rules_url=entry.optional_link("rules_link", base_url),
                stages=tuple(stages),
            )
        )
    file.done()
    return tuple(competitions)
