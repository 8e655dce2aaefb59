"""demo.yaml: the partner firms, people, invites, progress and partnerships of `seed --demo`.

Demo data refers to the content (organisations, milestones, competitions) and to itself (a
progress report names a demo member), so it is read last, against what the content defined.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.seeding.competitions import CompetitionSpec
from bot.seeding.entry import Entry
from bot.seeding.milestones import MilestoneSpec
from bot.seeding.organisations import DomainSpec, OrganisationSpec, read_organisation
from db.enums import (
    ROLES_BY_KIND,
    InterestStatus,
    Language,
    MilestoneStatus,
    OfferKind,
    OrganisationKind,
    Role,
)
from db.repositories.invites import CODE_ALPHABET, CODE_LENGTH


@dataclass(frozen=True)
class DemoMemberSpec:
    """A demo person; their simulator identity is `demo-<key>`."""

    key: str
    organisation: str
    role: Role
    display_name: str
    language: Language

    @property
    def external_id(self) -> str:
        """The simulator account id that identifies this demo member across seeds."""
        return f"demo-{self.key}"


@dataclass(frozen=True)
class DemoInviteSpec:
    """A demo invite with a fixed code."""

    code: str
    organisation: str
    role: Role
    max_uses: int
    valid_for: timedelta
    note: str | None


@dataclass(frozen=True)
class DemoProgressSpec:
    """A demo progress report on a city's milestone."""

    member: str
    milestone: str
    status: MilestoneStatus
    percent: int
    note: str
    evidence_url: str | None
    age: timedelta


@dataclass(frozen=True)
class DemoOfferSpec:
    """A demo partnership offer, written by the firm in one language."""

    key: str
    organisation: str
    domains: tuple[str, ...]
    kind: OfferKind
    created_by: str | None
    title: str
    description: str
    url: str | None


@dataclass(frozen=True)
class DemoInterestSpec:
    """A city's demo interest in an offer."""

    offer: str
    organisation: str
    member: str | None
    note: str | None
    status: InterestStatus


@dataclass(frozen=True)
class DemoEntrySpec:
    """A city entered in a competition."""

    competition: str
    organisation: str


@dataclass(frozen=True)
class DemoSpec:
    """Everything `seed --demo` adds on top of the content."""

    partners: tuple[OrganisationSpec, ...] = ()
    members: tuple[DemoMemberSpec, ...] = ()
    invites: tuple[DemoInviteSpec, ...] = ()
    progress: tuple[DemoProgressSpec, ...] = ()
    offers: tuple[DemoOfferSpec, ...] = ()
    interests: tuple[DemoInterestSpec, ...] = ()
    entries: tuple[DemoEntrySpec, ...] = ()


# How an error names an organisation of the wrong kind: "'pattaya' is not a partner firm".
_A_KIND = {
    OrganisationKind.CITY: "a city",
    OrganisationKind.PARTNER: "a partner firm",
    OrganisationKind.AGENCY: "the programme office",
}


@dataclass
class Known:
    """What demo data may refer to, collected from the content files."""

    domains: Mapping[str, DomainSpec]
    organisations: dict[str, OrganisationSpec]
    milestones: Mapping[str, MilestoneSpec]
    competitions: Mapping[str, CompetitionSpec]

    def organisation(
        self, entry: Entry, *, kind: OrganisationKind | None = None
    ) -> OrganisationSpec:
        """The organisation `entry` names (of `kind`, when given); anything else is an error."""
        slug = entry.reference("organisation", self.organisations, "organisation", max_length=60)
        if kind is not None and self.organisations[slug].kind is not kind:
            entry.fail("organisation", f"{slug!r} is not {_A_KIND[kind]}")
        return self.organisations[slug]


def _role_for(entry: Entry, organisation: OrganisationSpec) -> Role:
    role = entry.choice("role", Role)
    if role not in ROLES_BY_KIND[organisation.kind]:
        entry.fail("role", f"{role.value!r} is not a role in a {organisation.kind.value}")
    return role


def _load_demo_people(
    file: Entry, known: Known
) -> tuple[dict[str, DemoMemberSpec], list[DemoInviteSpec]]:
    members: dict[str, DemoMemberSpec] = {}
    for entry in file.entries("members", key_field="key"):
        key = entry.slug("key", max_length=60)
        if key in members:
            entry.fail("key", f"duplicate member {key!r}")
        organisation = known.organisation(entry)
        members[key] = DemoMemberSpec(
            key=key,
            organisation=organisation.slug,
            role=_role_for(entry, organisation),
            display_name=entry.text("display_name", max_length=200),
            language=entry.choice("language", Language),
        )
    invites: list[DemoInviteSpec] = []
    codes: dict[str, str] = {}
    for entry in file.entries("invites", key_field="code"):
        code = entry.text("code", max_length=16)
        if len(code) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in code):
            entry.fail("code", f"{code!r} is not {CODE_LENGTH} characters of {CODE_ALPHABET}")
        entry.unique("code", code, codes)
        organisation = known.organisation(entry)
        invites.append(
            DemoInviteSpec(
                code=code,
                organisation=organisation.slug,
                role=_role_for(entry, organisation),
                max_uses=entry.integer("max_uses", default=1, minimum=1, maximum=10_000),
                valid_for=timedelta(
                    days=entry.integer("valid_days", default=14, minimum=1, maximum=36_500)
                ),
                note=entry.optional_text("note", max_length=200),
            )
        )
    return members, invites


def _load_demo_progress(
    file: Entry, known: Known, members: Mapping[str, DemoMemberSpec], base_url: str
) -> list[DemoProgressSpec]:
    progress: list[DemoProgressSpec] = []
    seen: dict[str, str] = {}
    for entry in file.entries("progress", key_field="milestone"):
        member_key = entry.reference("member", members, "demo member", max_length=60)
        if known.organisations[members[member_key].organisation].kind is not OrganisationKind.CITY:
            entry.fail("member", f"{member_key!r} is not in a city, and only cities have plans")
        milestone = entry.slug("milestone")
        if milestone not in known.milestones:
            entry.fail("milestone", f"unknown milestone {milestone!r} (see milestones.yaml)")
        status = entry.choice("status", MilestoneStatus)
        percent = entry.integer("percent", default=0, minimum=0, maximum=100)
        if (status is MilestoneStatus.DONE) != (percent == 100):
            entry.fail("percent", "a milestone is done exactly when it is at 100 percent")
        note = entry.text("note", max_length=2000)
        entry.unique("note", f"{member_key}/{milestone}/{note}", seen, "above")
        progress.append(
            DemoProgressSpec(
                member=member_key,
                milestone=milestone,
                status=status,
                percent=percent,
                note=note,
                evidence_url=entry.optional_link("evidence", base_url),
                age=timedelta(days=entry.integer("days_ago", default=0, minimum=0, maximum=3650)),
            )
        )
    return progress


def _demo_member_of(
    entry: Entry,
    name: str,
    members: Mapping[str, DemoMemberSpec],
    organisation: OrganisationSpec,
) -> str | None:
    """The demo member in field `name`, if any; it must be one of `organisation`'s."""
    member = entry.optional_slug(name)
    if member is not None and (
        member not in members or members[member].organisation != organisation.slug
    ):
        entry.fail(name, f"{member!r} is not a demo member of {organisation.slug}")
    return member


def _load_demo_partnerships(
    file: Entry, known: Known, members: Mapping[str, DemoMemberSpec], base_url: str
) -> tuple[list[DemoOfferSpec], list[DemoInterestSpec], list[DemoEntrySpec]]:
    offers: dict[str, DemoOfferSpec] = {}
    titles: dict[str, str] = {}
    for entry in file.entries("offers", key_field="key"):
        key = entry.slug("key")
        if key in offers:
            entry.fail("key", f"duplicate offer {key!r}")
        organisation = known.organisation(entry, kind=OrganisationKind.PARTNER)
        domains = entry.strings("domains")
        for slug in domains:
            if slug not in known.domains:
                entry.fail("domains", f"unknown domain {slug!r}")
        if not domains or len(set(domains)) != len(domains):
            entry.fail("domains", "needs one or more domains, each once")
        created_by = _demo_member_of(entry, "created_by", members, organisation)
        title = entry.text("title")
        # Offers have no slug column: a firm's offer is identified by its title.
        entry.unique("title", f"{organisation.slug}/{title}", titles, "above")
        offers[key] = DemoOfferSpec(
            key=key,
            organisation=organisation.slug,
            domains=domains,
            kind=entry.choice("kind", OfferKind),
            created_by=created_by,
            title=title,
            description=entry.text("description", max_length=4000),
            url=entry.optional_link("link", base_url),
        )
    interests: list[DemoInterestSpec] = []
    pairs: dict[str, str] = {}
    for entry in file.entries("interests", key_field="offer"):
        offer = entry.reference("offer", offers, "offer")
        organisation = known.organisation(entry, kind=OrganisationKind.CITY)
        entry.unique("organisation", f"{offer}/{organisation.slug}", pairs, "above")
        member = _demo_member_of(entry, "member", members, organisation)
        interests.append(
            DemoInterestSpec(
                offer=offer,
                organisation=organisation.slug,
                member=member,
                note=entry.optional_text("note", max_length=2000),
                status=entry.choice("status", InterestStatus),
            )
        )
    entries: list[DemoEntrySpec] = []
    entered: dict[str, str] = {}
    for entry in file.entries("entries", key_field="organisation"):
        competition = entry.reference("competition", known.competitions, "competition")
        organisation = known.organisation(entry, kind=OrganisationKind.CITY)
        pair = f"{competition}/{organisation.slug}"
        entry.unique("organisation", pair, entered, "above")
        entries.append(DemoEntrySpec(competition=competition, organisation=organisation.slug))
    return list(offers.values()), interests, entries


def load_demo(content_dir: Path, known: Known, base_url: str) -> DemoSpec:
    """demo.yaml checked against `known`; no file is no demo. Its partners join `known`."""
    if not (content_dir / "demo.yaml").exists():
        return DemoSpec()
    file = Entry.top(content_dir, "demo.yaml")
    partners: list[OrganisationSpec] = []
    for entry in file.entries("partners"):
        spec = read_organisation(entry, known.domains)
        if spec.slug in known.organisations:
            entry.fail(
                "slug", f"duplicate organisation {spec.slug!r} (also in organisations.yaml)"
            )
        if spec.kind is not OrganisationKind.PARTNER:
            entry.fail("kind", "demo partners are of kind partner")
        known.organisations[spec.slug] = spec
        partners.append(spec)
    members, invites = _load_demo_people(file, known)
    progress = _load_demo_progress(file, known, members, base_url)
    offers, interests, entries = _load_demo_partnerships(file, known, members, base_url)
    file.done()
    return DemoSpec(
        partners=tuple(partners),
        members=tuple(members.values()),
        invites=tuple(invites),
        progress=tuple(progress),
        offers=tuple(offers),
        interests=tuple(interests),
        entries=tuple(entries),
    )
