"""workshops/*.yaml: one file per workshop, with its sessions and the materials of each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bot.seeding.entry import Entry
from bot.seeding.organisations import DomainSpec, optional_domain
from bot.seeding.texts import Bilingual
from db.enums import MaterialKind


@dataclass(frozen=True)
class SessionSpec:
    """A session of a workshop."""

    slug: str
    title: Bilingual[str]
    starts_at: datetime | None
    position: int


@dataclass(frozen=True)
class MaterialSpec:
    """A workshop material; `url` is already joined to the materials base URL."""

    slug: str
    workshop: str
    session: str
    domain: str | None
    kind: MaterialKind
    title: Bilingual[str]
    summary: Bilingual[str]
    url: str
    tags: Bilingual[tuple[str, ...]]
    position: int


@dataclass(frozen=True)
class WorkshopSpec:
    """A workshop with its sessions and materials."""

    slug: str
    title: Bilingual[str]
    held_on: date
    venue: Bilingual[str] | None
    partners: tuple[str, ...]
    sessions: tuple[SessionSpec, ...]
    materials: tuple[MaterialSpec, ...]


def _load_workshop(
    file: Entry,
    *,
    domains: Mapping[str, DomainSpec],
    material_slugs: dict[str, str],
    base_url: str,
) -> WorkshopSpec:
    """One workshop file; its materials name one of its own sessions."""
    slug = file.slug("slug")
    sessions: list[SessionSpec] = []
    session_slugs: dict[str, str] = {}
    for position, entry in enumerate(file.entries("sessions")):
        session = SessionSpec(
            slug=entry.slug("slug"),
            title=entry.bilingual("title"),
            starts_at=entry.optional_moment("starts_at"),
            position=position,
        )
        entry.unique("slug", session.slug, session_slugs)
        sessions.append(session)
    materials: list[MaterialSpec] = []
    for position, entry in enumerate(file.entries("materials")):
        material_slug = entry.unique_slug(material_slugs, max_length=100)
        session_slug = entry.slug("session")
        if session_slug not in session_slugs:
            entry.fail("session", f"unknown session {session_slug!r} of workshop {slug!r}")
        domain = optional_domain(entry, domains)
        materials.append(
            MaterialSpec(
                slug=material_slug,
                workshop=slug,
                session=session_slug,
                domain=domain,
                kind=entry.choice("kind", MaterialKind),
                title=entry.bilingual("title"),
                summary=entry.bilingual("summary", max_length=2000),
                url=entry.link("link", base_url),
                tags=entry.bilingual_tags("tags"),
                position=position,
            )
        )
    spec = WorkshopSpec(
        slug=slug,
        title=file.bilingual("title"),
        held_on=file.day("held_on"),
        venue=file.optional_bilingual("venue"),
        partners=file.strings("partners"),
        sessions=tuple(sessions),
        materials=tuple(materials),
    )
    file.done()
    return spec


def load_workshops(
    content_dir: Path, domains: Mapping[str, DomainSpec], base_url: str
) -> tuple[WorkshopSpec, ...]:
    """Every workshop file, by file name; workshop and material slugs are unique across them."""
    workshops: list[WorkshopSpec] = []
    workshop_slugs: dict[str, str] = {}
    material_slugs: dict[str, str] = {}
    for path in sorted((content_dir / "workshops").glob("*.yaml")):
        name = f"workshops/{path.name}"
        file = Entry.top(content_dir, name)
        spec = _load_workshop(
            file, domains=domains, material_slugs=material_slugs, base_url=base_url
        )
        file.unique("slug", spec.slug, workshop_slugs)
        workshops.append(spec)
    return tuple(workshops)
