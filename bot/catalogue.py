"""The seed data in `content/`, read and checked as a whole into frozen, typed records.

Content editors write YAML, not Python, so every mistake must come back as one line naming the
file and the key: a missing translation, a slug that points nowhere, the same key twice (also
inside one YAML mapping, which PyYAML would silently keep the last of), a field nobody reads.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Generic, NoReturn, TypeVar
from zoneinfo import ZoneInfo

import yaml

from bot.core.yamlfile import DuplicateKeyError, parse_yaml
from db.enums import (
    ROLES_BY_KIND,
    InterestStatus,
    Language,
    MaterialKind,
    MilestoneStatus,
    OrganisationKind,
    PlanKind,
    Role,
)
from db.repositories.invites import CODE_ALPHABET, CODE_LENGTH

# Content is written in the programme's local time, whatever zone the bot displays in.
CONTENT_ZONE = ZoneInfo("Asia/Bangkok")
REGIONS = frozenset({"north", "northeast", "central", "east", "west", "south"})

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_RELATIVE_LINK = re.compile(r"^[A-Za-z0-9._~-]+(?:/[A-Za-z0-9._~-]+)*$")
_OFFSET = re.compile(r"^(\d+)\s*([dhm])$")
_OFFSET_MINUTES = {"d": 24 * 60, "h": 60, "m": 1}
# A date alone is due at the end of that day, local time.
_END_OF_DAY = time(23, 59)

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


class ContentError(ValueError):
    """A mistake in `content/`; the message names the file, the key and what is wrong."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        super().__init__(f"{file}: {key}: {problem}" if key else f"{file}: {problem}")
        self.file = file
        self.key = key
        self.problem = problem


# --- records -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bilingual(Generic[T]):
    """One value in Thai and in English."""

    th: T
    en: T

    def get(self, language: Language) -> T:
        """The value in `language`."""
        return self.th if language is Language.TH else self.en

    def merged(self: Bilingual[tuple[str, ...]]) -> list[str]:
        """Thai then English items without repeats, as stored for searching in either language."""
        return list(dict.fromkeys((*self.th, *self.en)))


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


@dataclass(frozen=True)
class StageSpec:
    """A competition stage: a deadline with reminders at `reminder_offsets` before it."""

    slug: str
    title: Bilingual[str]
    description: Bilingual[str]
    due_at: datetime
    reminder_offsets: tuple[timedelta, ...]
    position: int


@dataclass(frozen=True)
class CompetitionSpec:
    """A competition with its stages."""

    slug: str
    title: Bilingual[str]
    description: Bilingual[str]
    rules_url: str | None
    stages: tuple[StageSpec, ...]


@dataclass(frozen=True)
class FaqSpec:
    """A question with its answer."""

    slug: str
    question: Bilingual[str]
    answer: Bilingual[str]
    tags: Bilingual[tuple[str, ...]]
    position: int


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
    domain: str
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


@dataclass(frozen=True)
class Catalogue:
    """All seed content, checked: every slug referenced exists and every text is bilingual."""

    domains: tuple[DomainSpec, ...]
    organisations: tuple[OrganisationSpec, ...]
    workshops: tuple[WorkshopSpec, ...]
    plans: tuple[PlanSpec, ...]
    competitions: tuple[CompetitionSpec, ...]
    faq: tuple[FaqSpec, ...]
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


# --- strict YAML ---------------------------------------------------------------------------------


def _read_yaml(path: Path, name: str) -> Any:
    """The document in `path`, or a ContentError naming `name`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(name, "", "file is missing") from None
    except UnicodeDecodeError as error:
        raise ContentError(name, "", f"not UTF-8 text ({error.reason})") from None
    try:
        return parse_yaml(text)
    except DuplicateKeyError as error:
        raise ContentError(
            name, str(error.key), f"duplicate key (line {error.line}); each key may appear once"
        ) from None
    except yaml.YAMLError as error:
        raise ContentError(name, "", f"not valid YAML: {error}") from None


# --- reading one mapping -------------------------------------------------------------------------


class _Entry:
    """One YAML mapping being read; fields left unread at `done()` are reported as unknown."""

    def __init__(self, file: str, key: str, data: object) -> None:
        self.file = file
        self.key = key
        if not isinstance(data, Mapping):
            self.fail(None, f"expected a mapping of fields, found {_kind(data)}")
        self.data: Mapping[Any, Any] = data
        self._read: set[str] = set()

    def path(self, name: str | None) -> str:
        """The dotted key of field `name` inside this entry."""
        if name is None:
            return self.key
        return f"{self.key}.{name}" if self.key else name

    def fail(self, name: str | None, problem: str) -> NoReturn:
        """Stop loading with an error naming this file and the key of `name`."""
        raise ContentError(self.file, self.path(name), problem)

    def unique(self, name: str, value: str, seen: dict[str, str], where: str = "") -> None:
        """Record `value` of field `name`; a repeat is an error naming `where` (or this file)."""
        if value in seen:
            self.fail(name, f"duplicate {value!r} (first defined in {seen[value]})")
        seen[value] = where or self.file

    def unique_slug(self, seen: dict[str, str], *, max_length: int = 80, where: str = "") -> str:
        """The entry's own `slug`, which no entry before it in `seen` may have."""
        slug = self.slug("slug", max_length=max_length)
        self.unique("slug", slug, seen, where)
        return slug

    def reference(
        self, name: str, known: Container[str], what: str, *, max_length: int = 80
    ) -> str:
        """A slug that must name one of `known`: the `what` it refers to."""
        slug = self.slug(name, max_length=max_length)
        if slug not in known:
            self.fail(name, f"unknown {what} {slug!r}")
        return slug

    def has(self, name: str) -> bool:
        """Whether the field is present (and not null)."""
        return self.data.get(name) is not None

    def raw(self, name: str, *, required: bool = True) -> Any:
        """The field's value as YAML gave it."""
        self._read.add(name)
        value = self.data.get(name)
        if value is None and required:
            self.fail(name, self._required(name))
        return value

    def _required(self, name: str, what: str = "") -> str:
        """'is required', with a hint when a field nobody reads looks like a misspelling of it."""
        strangers = [str(key) for key in self.data if key not in self._read]
        close = difflib.get_close_matches(name, strangers, n=1)
        hint = f" (is {close[0]!r} a misspelling?)" if close else ""
        return f"is required{what}{hint}"

    def text(self, name: str, *, max_length: int = 300) -> str:
        """A required, non-empty, single-language text."""
        text = self.optional_text(name, max_length=max_length)
        if text is None:
            self.fail(name, self._required(name))
        return text

    def optional_text(self, name: str, *, max_length: int = 300) -> str | None:
        """A single-language text, or None when absent."""
        return _text(self, name, self.raw(name, required=False), max_length)

    def slug(self, name: str, *, max_length: int = 80) -> str:
        """A lower-case, dash-separated identifier."""
        value = self.text(name, max_length=max_length)
        if not _SLUG.match(value):
            self.fail(name, f"{value!r} is not a slug (lower-case letters, digits and dashes)")
        return value

    def optional_slug(self, name: str) -> str | None:
        """A slug, or None when absent."""
        if self.has(name):
            return self.slug(name)
        self.raw(name, required=False)
        return None

    def bilingual(self, name: str, *, max_length: int = 300) -> Bilingual[str]:
        """A required text in both Thai and English."""
        value = self.optional_bilingual(name, max_length=max_length)
        if value is None:
            self.fail(name, self._required(name, ": a Thai (th) and an English (en) text"))
        return value

    def optional_bilingual(self, name: str, *, max_length: int = 300) -> Bilingual[str] | None:
        """A text in both Thai and English, or None when absent."""
        value = self.raw(name, required=False)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.fail(name, "needs a Thai (th) and an English (en) text")
        languages = _Entry(self.file, self.path(name), value)
        result = Bilingual(
            th=_required_language(languages, Language.TH, max_length),
            en=_required_language(languages, Language.EN, max_length),
        )
        languages.done()
        return result

    def bilingual_or_empty(self, name: str, *, max_length: int = 300) -> Bilingual[str]:
        """A text in Thai and English that may be left out, then empty in both (as stored)."""
        return self.optional_bilingual(name, max_length=max_length) or Bilingual("", "")

    def bilingual_tags(self, name: str) -> Bilingual[tuple[str, ...]]:
        """Search words in Thai and English (both lists may be empty, neither missing)."""
        value = self.raw(name, required=False)
        if value is None:
            return Bilingual(th=(), en=())
        languages = _Entry(self.file, self.path(name), value)
        result = Bilingual(
            th=languages.strings(Language.TH.value, required=True),
            en=languages.strings(Language.EN.value, required=True),
        )
        languages.done()
        return result

    def strings(self, name: str, *, required: bool = False) -> tuple[str, ...]:
        """A list of non-empty texts."""
        value = self.raw(name, required=False)
        if value is None:
            if required:
                self.fail(name, _missing_language(name))
            return ()
        if not isinstance(value, list):
            self.fail(name, f"expected a list, found {_kind(value)}")
        items: list[str] = []
        for index, item in enumerate(value):
            text = _text(self, f"{name}[{index}]", item, 100)
            if text is None:
                self.fail(f"{name}[{index}]", "is empty")
            items.append(text)
        return tuple(items)

    def integer(self, name: str, *, default: int, minimum: int, maximum: int) -> int:
        """A whole number within bounds."""
        value = self.raw(name, required=False)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, f"expected a whole number, found {_kind(value)}")
        if not minimum <= value <= maximum:
            self.fail(name, f"{value} is outside {minimum}..{maximum}")
        return value

    def choice(self, name: str, vocabulary: type[E]) -> E:
        """A value of a closed vocabulary (a StrEnum)."""
        value = self.text(name, max_length=40)
        try:
            return vocabulary(value)
        except ValueError:
            known = ", ".join(member.value for member in vocabulary)
            self.fail(name, f"unknown {name} {value!r} (one of: {known})")

    def moment(self, name: str) -> datetime:
        """A required date or date-time, as aware UTC."""
        value = self.optional_moment(name)
        if value is None:
            self.fail(name, self._required(name))
        return value

    def optional_moment(self, name: str) -> datetime | None:
        """A date (end of that day) or date-time, local to Asia/Bangkok unless it has an offset."""
        value = self.optional_text(name, max_length=40)
        if value is None:
            return None
        try:
            if len(value) == len("2027-01-31"):
                moment = datetime.combine(date.fromisoformat(value), _END_OF_DAY)
            else:
                moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(name, f"{value!r} is not an ISO date or date-time (2027-03-31T16:30)")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=CONTENT_ZONE)
        return moment.astimezone(UTC)

    def day(self, name: str) -> date:
        """A required calendar date."""
        value = self.text(name, max_length=10)
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(name, f"{value!r} is not an ISO date (2018-12-20)")

    def offsets(self, name: str) -> tuple[timedelta, ...] | None:
        """Reminder offsets such as `[14d, 3d, 1d]`, or None when absent."""
        value = self.raw(name, required=False)
        if value is None:
            return None
        if not isinstance(value, list):
            self.fail(name, f"expected a list such as [14d, 3d, 1d], found {_kind(value)}")
        offsets: list[timedelta] = []
        for item in value:
            match = _OFFSET.match(str(item).strip())
            if match is None or int(match.group(1)) == 0:
                self.fail(name, f"{item!r} is not an offset such as 14d, 3d, 2h or 30m")
            offset = timedelta(minutes=int(match.group(1)) * _OFFSET_MINUTES[match.group(2)])
            if offset in offsets:
                self.fail(name, f"offset {item!r} is listed twice")
            offsets.append(offset)
        return tuple(sorted(offsets, reverse=True))

    def link(self, name: str, base_url: str) -> str:
        """A required link (see `optional_link`)."""
        url = self.optional_link(name, base_url)
        if url is None:
            self.fail(name, self._required(name))
        return url

    def optional_link(self, name: str, base_url: str) -> str | None:
        """An https URL as it is, or a relative path joined to `base_url`; None when absent."""
        value = self.optional_text(name, max_length=900)
        if value is None:
            return None
        if value.startswith("https://"):
            if any(char.isspace() for char in value):
                self.fail(name, f"{value!r} contains spaces")
            return value
        if value.startswith("http://"):
            self.fail(name, "links must be https://")
        if not _RELATIVE_LINK.match(value) or ".." in value.split("/"):
            self.fail(name, f"{value!r} is neither an https:// URL nor a path such as a/b.pdf")
        return f"{base_url.rstrip('/')}/{value}"

    def entries(self, name: str, *, key_field: str | None = "slug") -> Iterator[_Entry]:
        """The mappings of a list field, each keyed by its `key_field` for error messages.

        Each is `done` once the caller moves on to the next, so no loader can forget the check.
        """
        value = self.raw(name, required=False)
        if value is None:
            return
        if not isinstance(value, list):
            self.fail(name, f"expected a list, found {_kind(value)}")
        for index, item in enumerate(value):
            label = str(index)
            if key_field is not None and isinstance(item, Mapping):
                own = item.get(key_field)
                if isinstance(own, str) and own.strip():
                    label = own.strip()
            entry = _Entry(self.file, self.path(f"{name}.{label}"), item)
            yield entry
            entry.done()

    def done(self) -> None:
        """Reject fields that nothing read (usually typos, always a surprise)."""
        for name in self.data:
            if name not in self._read:
                self.fail(str(name), "unknown field")


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__


def _missing_language(name: str) -> str:
    language = {"th": "Thai (th)", "en": "English (en)"}.get(name, name)
    return f"missing {language} text"


def _text(entry: _Entry, name: str, value: object, max_length: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        entry.fail(name, f"expected text, found {_kind(value)} (quote it)")
    text = value.strip()
    if not text:
        return None
    if len(text) > max_length:
        entry.fail(name, f"is {len(text)} characters long, more than {max_length}")
    return text


def _required_language(languages: _Entry, language: Language, max_length: int) -> str:
    text = languages.optional_text(language.value, max_length=max_length)
    if text is None:
        languages.fail(language.value, _missing_language(language.value))
    return text


def _top(content_dir: Path, name: str) -> _Entry:
    """The top-level mapping of the file `name` under `content_dir`."""
    return _Entry(name, "", _read_yaml(content_dir / name, name))


# --- the files -----------------------------------------------------------------------------------


def _load_domains(content_dir: Path) -> tuple[DomainSpec, ...]:
    file = _top(content_dir, "domains.yaml")
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


def _organisation(entry: _Entry, domains: Mapping[str, DomainSpec]) -> OrganisationSpec:
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


def _optional_domain(entry: _Entry, domains: Mapping[str, DomainSpec]) -> str | None:
    """The slug in field `domain`, if any; a slug that names no domain is an error."""
    domain = entry.optional_slug("domain")
    if domain is not None and domain not in domains:
        entry.fail("domain", f"unknown domain {domain!r}")
    return domain


def _load_organisations(
    content_dir: Path, domains: Mapping[str, DomainSpec]
) -> tuple[OrganisationSpec, ...]:
    file = _top(content_dir, "organisations.yaml")
    seen: dict[str, str] = {}
    organisations: list[OrganisationSpec] = []
    for entry in file.entries("organisations"):
        spec = _organisation(entry, domains)
        entry.unique("slug", spec.slug, seen)
        organisations.append(spec)
    file.done()
    return tuple(organisations)


def _load_workshop(
    file: _Entry,
    *,
    domains: Mapping[str, DomainSpec],
    material_slugs: dict[str, str],
    base_url: str,
) -> WorkshopSpec:
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
        domain = _optional_domain(entry, domains)
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


def _load_workshops(
    content_dir: Path, domains: Mapping[str, DomainSpec], base_url: str
) -> tuple[WorkshopSpec, ...]:
    workshops: list[WorkshopSpec] = []
    workshop_slugs: dict[str, str] = {}
    material_slugs: dict[str, str] = {}
    for path in sorted((content_dir / "workshops").glob("*.yaml")):
        name = f"workshops/{path.name}"
        file = _top(content_dir, name)
        spec = _load_workshop(
            file, domains=domains, material_slugs=material_slugs, base_url=base_url
        )
        file.unique("slug", spec.slug, workshop_slugs)
        workshops.append(spec)
    return tuple(workshops)


def _load_plans(content_dir: Path, domains: Mapping[str, DomainSpec]) -> tuple[PlanSpec, ...]:
    file = _top(content_dir, "milestones.yaml")
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
            domain = _optional_domain(entry, domains)
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


def _load_competitions(content_dir: Path, base_url: str) -> tuple[CompetitionSpec, ...]:
    file = _top(content_dir, "competitions.yaml")
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


def _load_faq(content_dir: Path) -> tuple[FaqSpec, ...]:
    file = _top(content_dir, "faq.yaml")
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


# How an error names an organisation of the wrong kind: "'pattaya' is not a partner firm".
_A_KIND = {
    OrganisationKind.CITY: "a city",
    OrganisationKind.PARTNER: "a partner firm",
    OrganisationKind.AGENCY: "the programme office",
}


@dataclass
class _Known:
    """What demo data may refer to, collected from the content files."""

    domains: Mapping[str, DomainSpec]
    organisations: dict[str, OrganisationSpec]
    milestones: Mapping[str, MilestoneSpec]
    competitions: Mapping[str, CompetitionSpec]

    def organisation(
        self, entry: _Entry, *, kind: OrganisationKind | None = None
    ) -> OrganisationSpec:
        """The organisation `entry` names (of `kind`, when given); anything else is an error."""
        slug = entry.reference("organisation", self.organisations, "organisation", max_length=60)
        if kind is not None and self.organisations[slug].kind is not kind:
            entry.fail("organisation", f"{slug!r} is not {_A_KIND[kind]}")
        return self.organisations[slug]


def _role_for(entry: _Entry, organisation: OrganisationSpec) -> Role:
    role = entry.choice("role", Role)
    if role not in ROLES_BY_KIND[organisation.kind]:
        entry.fail("role", f"{role.value!r} is not a role in a {organisation.kind.value}")
    return role


def _load_demo_people(
    file: _Entry, known: _Known
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
    file: _Entry, known: _Known, members: Mapping[str, DemoMemberSpec], base_url: str
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
    entry: _Entry,
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
    file: _Entry, known: _Known, members: Mapping[str, DemoMemberSpec], base_url: str
) -> tuple[list[DemoOfferSpec], list[DemoInterestSpec], list[DemoEntrySpec]]:
    offers: dict[str, DemoOfferSpec] = {}
    titles: dict[str, str] = {}
    for entry in file.entries("offers", key_field="key"):
        key = entry.slug("key")
        if key in offers:
            entry.fail("key", f"duplicate offer {key!r}")
        organisation = known.organisation(entry, kind=OrganisationKind.PARTNER)
        domain = entry.reference("domain", known.domains, "domain", max_length=40)
        created_by = _demo_member_of(entry, "created_by", members, organisation)
        title = entry.text("title")
        # Offers have no slug column: a firm's offer is identified by its title.
        entry.unique("title", f"{organisation.slug}/{title}", titles, "above")
        offers[key] = DemoOfferSpec(
            key=key,
            organisation=organisation.slug,
            domain=domain,
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


def _load_demo(content_dir: Path, known: _Known, base_url: str) -> DemoSpec:
    if not (content_dir / "demo.yaml").exists():
        return DemoSpec()
    file = _top(content_dir, "demo.yaml")
    partners: list[OrganisationSpec] = []
    for entry in file.entries("partners"):
        spec = _organisation(entry, known.domains)
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


def load_catalogue(content_dir: Path, *, materials_base_url: str) -> Catalogue:
    """Read and check every seed file under `content_dir`; the first fault is a ContentError."""
    if not content_dir.is_dir():
        raise ContentError(str(content_dir), "", "content directory not found")
    domains = _load_domains(content_dir)
    domains_by_slug = {domain.slug: domain for domain in domains}
    organisations = _load_organisations(content_dir, domains_by_slug)
    workshops = _load_workshops(content_dir, domains_by_slug, materials_base_url)
    plans = _load_plans(content_dir, domains_by_slug)
    competitions = _load_competitions(content_dir, materials_base_url)
    faq = _load_faq(content_dir)
    known = _Known(
        domains=domains_by_slug,
        organisations={organisation.slug: organisation for organisation in organisations},
        milestones={milestone.key: milestone for plan in plans for milestone in plan.milestones},
        competitions={competition.slug: competition for competition in competitions},
    )
    demo = _load_demo(content_dir, known, materials_base_url)
    return Catalogue(
        domains=domains,
        organisations=organisations,
        workshops=workshops,
        plans=plans,
        competitions=competitions,
        faq=faq,
        demo=demo,
    )
