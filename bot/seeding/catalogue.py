"""The whole of `content/`, read and checked as one catalogue of frozen, typed records.

Each file family has its own module; this one reads them in the order they refer to each other
and checks that every slug referenced exists, so a fault is found before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.seeding.competitions import CompetitionSpec, load_competitions
from bot.seeding.demo import DemoSpec, Known, load_demo
from bot.seeding.faq import FaqSpec, load_faq
from bot.seeding.holidays import HolidaySpec, load_holidays
from bot.seeding.milestones import MilestoneSpec, PlanSpec, load_plans
from bot.seeding.organisations import (
    DomainSpec,
    OrganisationSpec,
    load_domains,
    load_organisations,
)
from bot.seeding.reader import ContentError
from bot.seeding.workshops import MaterialSpec, WorkshopSpec, load_workshops


@dataclass(frozen=True)
class Catalogue:
    """All seed content, checked: every slug referenced exists and every text is bilingual."""

    domains: tuple[DomainSpec, ...]
    organisations: tuple[OrganisationSpec, ...]
    workshops: tuple[WorkshopSpec, ...]
    plans: tuple[PlanSpec, ...]
    competitions: tuple[CompetitionSpec, ...]
    faq: tuple[FaqSpec, ...]
    holidays: tuple[HolidaySpec, ...] = ()
    demo: DemoSpec = field(default_factory=DemoSpec)

    @property
    def materials(self) -> tuple[MaterialSpec, ...]:
        """Every workshop's materials, in file order."""
        return tuple(material for workshop in self.workshops for material in workshop.materials)

    @property
    def milestones(self) -> tuple[MilestoneSpec, ...]:
        """The whole milestone template, plan by plan."""
        return tuple(milestone for plan in self.plans for milestone in plan.milestones)

    def domain(self, slug: str) -> DomainSpec:
        """The domain with `slug` (KeyError when there is none)."""
        return {domain.slug: domain for domain in self.domains}[slug]

    def organisation(self, slug: str) -> OrganisationSpec:
        """The content or demo organisation with `slug` (KeyError when there is none)."""
        every = (*self.organisations, *self.demo.partners)
        return {organisation.slug: organisation for organisation in every}[slug]


def load_catalogue(content_dir: Path, *, materials_base_url: str) -> Catalogue:
    """Read and check every seed file under `content_dir`; the first fault is a ContentError."""
    if not content_dir.is_dir():
        raise ContentError(str(content_dir), "", "content directory not found")
    domains = load_domains(content_dir)
    domains_by_slug = {domain.slug: domain for domain in domains}
    organisations = load_organisations(content_dir, domains_by_slug)
    workshops = load_workshops(content_dir, domains_by_slug, materials_base_url)
    plans = load_plans(content_dir, domains_by_slug)
    competitions = load_competitions(content_dir, materials_base_url)
    faq = load_faq(content_dir)
    holidays = load_holidays(content_dir)
    known = Known(
        domains=domains_by_slug,
        organisations={organisation.slug: organisation for organisation in organisations},
        milestones={milestone.key: milestone for plan in plans for milestone in plan.milestones},
        competitions={competition.slug: competition for competition in competitions},
    )
    demo = load_demo(content_dir, known, materials_base_url)
    return Catalogue(
        domains=domains,
        organisations=organisations,
        workshops=workshops,
        plans=plans,
        competitions=competitions,
        faq=faq,
        holidays=holidays,
        demo=demo,
    )
