"""milestones.yaml: the three plans every city draws up, with their milestone template."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.seeding.entry import Entry
from bot.seeding.organisations import DomainSpec, optional_domain
from bot.seeding.texts import Bilingual
from db.enums import PlanKind


@dataclass(frozen=True)
class MilestoneSpec:
    """A milestone of the template every city's plan gets."""

    key: str
    plan_kind: PlanKind
    title: Bilingual[str]
    domain: str | None
    due_at: datetime | None
    position: int


@dataclass(frozen=True)
class PlanSpec:
    """One of the three plans every city draws up, with its milestone template."""

    kind: PlanKind
    title: Bilingual[str]
    milestones: tuple[MilestoneSpec, ...]


def load_plans(content_dir: Path, domains: Mapping[str, DomainSpec]) -> tuple[PlanSpec, ...]:
    """Each plan kind once, with milestone keys unique across all plans."""
    file = Entry.top(content_dir, "milestones.yaml")
    kinds: dict[str, str] = {}
    keys: dict[str, str] = {}
    plans: list[PlanSpec] = []
    for plan in file.entries("plans", key_field="kind"):
        kind = plan.choice("kind", PlanKind)
        plan.unique("kind", kind.value, kinds)
        milestones: list[MilestoneSpec] = []
        for position, entry in enumerate(plan.entries("milestones", key_field="key")):
            key = entry.slug("key")
            entry.unique("key", key, keys, f"the {kind.value} plan")
            domain = optional_domain(entry, domains)
            milestones.append(
                MilestoneSpec(
                    key=key,
                    plan_kind=kind,
                    title=entry.bilingual("title"),
                    domain=domain,
                    due_at=entry.optional_moment("due"),
                    position=position,
                )
            )
        plans.append(
            PlanSpec(kind=kind, title=plan.bilingual("title"), milestones=tuple(milestones))
        )
    file.done()
    return tuple(plans)
