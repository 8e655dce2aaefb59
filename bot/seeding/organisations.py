"""organisations.yaml and domains.yaml: the smart-city domains and who works in which."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.seeding.entry import Entry
from bot.seeding.texts import Bilingual
from db.enums import OrganisationKind

REGIONS = frozenset({"north", "northeast", "central", "east", "west", "south"})


@dataclass(frozen=True)
class DomainSpec:
    """A smart-city domain."""

    slug: str
    name: Bilingual[str]
    description: Bilingual[str]
    position: int


@dataclass(frozen=True)
class OrganisationSpec:
    """A city, depa, or (demo) partner firm, with the domains it works in."""

    slug: str
    kind: OrganisationKind
    name: Bilingual[str]
    province: Bilingual[str] | None
    region: str | None
    domains: tuple[str, ...]


def load_domains(content_dir: Path) -> tuple[DomainSpec, ...]:
    """The domains in file order; there must be at least one."""
    file = Entry.top(content_dir, "domains.yaml")
    seen: dict[str, str] = {}
    domains: list[DomainSpec] = []
    for position, entry in enumerate(file.entries("domains")):
        slug = entry.unique_slug(seen, max_length=40)
        domains.append(
            DomainSpec(
                slug=slug,
                name=entry.bilingual("name", max_length=200),
                description=entry.bilingual_or_empty("description", max_length=2000),
                position=position,
            )
        )
    file.done()
    if not domains:
        file.fail("domains", "lists no domains")
    return tuple(domains)


def read_organisation(entry: Entry, domains: Mapping[str, DomainSpec]) -> OrganisationSpec:
    """One organisation (of organisations.yaml or a demo partner); a city needs its place."""
    kind = entry.choice("kind", OrganisationKind)
    region = entry.optional_text("region", max_length=40)
    if region is not None and region not in REGIONS:
        entry.fail("region", f"unknown region {region!r} (one of: {', '.join(sorted(REGIONS))})")
    organisation_domains = entry.strings("domains")
    for slug in organisation_domains:
        if slug not in domains:
            entry.fail("domains", f"unknown domain {slug!r}")
    if len(set(organisation_domains)) != len(organisation_domains):
        entry.fail("domains", "lists a domain twice")
    spec = OrganisationSpec(
        slug=entry.slug("slug", max_length=60),
        kind=kind,
        name=entry.bilingual("name", max_length=200),
        province=entry.optional_bilingual("province", max_length=200),
        region=region,
        domains=organisation_domains,
    )
    if kind is OrganisationKind.CITY and (spec.province is None or region is None):
        entry.fail("province" if spec.province is None else "region", "a city needs one")
    entry.done()  # now, so an unknown field is reported before the callers' duplicate checks
    return spec


def optional_domain(entry: Entry, domains: Mapping[str, DomainSpec]) -> str | None:
    """The slug in field `domain`, if any; a slug that names no domain is an error."""
    domain = entry.optional_slug("domain")
    if domain is not None and domain not in domains:
        entry.fail("domain", f"unknown domain {domain!r}")
    return domain


def load_organisations(
    content_dir: Path, domains: Mapping[str, DomainSpec]
) -> tuple[OrganisationSpec, ...]:
    """The programme's organisations, each slug once, each domain one of `domains`."""
    file = Entry.top(content_dir, "organisations.yaml")
    seen: dict[str, str] = {}
    organisations: list[OrganisationSpec] = []
    for entry in file.entries("organisations"):
        spec = read_organisation(entry, domains)
        entry.unique("slug", spec.slug, seen)
        organisations.append(spec)
    file.done()
    return tuple(organisations)
