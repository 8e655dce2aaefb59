"""Who an announcement reaches: audience specs, and the one chat account each member gets it on.

A member linked on LINE and Telegram must get a broadcast once, on the channel they used last;
blocked accounts are skipped and counted, and members without a chat account that can receive
pushed messages are counted as unreachable rather than silently dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from itertools import groupby
from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import Channel, Language, MemberStatus, Role
from db.models import (
    Competition,
    CompetitionEntry,
    Domain,
    Identity,
    Member,
    Organisation,
    OrganisationDomain,
)

_NEVER = datetime.min.replace(tzinfo=UTC)


class AudienceError(ValueError):
    """An audience spec that names nothing we know; the message says what is accepted."""


class AudienceKind(StrEnum):
    """The ways of choosing who an announcement goes to."""

    ALL = "all"
    ROLE = "role"
    ORG = "org"
    DOMAIN = "domain"
    ENTRANTS = "entrants"  # members of organisations entered in a competition


SPEC_HELP = "all, role:ROLE, org:SLUG, domain:SLUG, entrants or entrants:COMPETITION"


@dataclass(frozen=True, slots=True)
class Audience:
    """A parsed audience spec such as `role:executive`; `value` is None for `all`/`entrants`."""

    kind: AudienceKind
    value: str | None = None

    @property
    def spec(self) -> str:
        """The canonical spec string, as stored on the announcement."""
        return self.kind.value if self.value is None else f"{self.kind.value}:{self.value}"


def parse_audience(spec: str) -> Audience:
    """The audience a spec names; AudienceError for an unknown kind or role, or a missing slug.

    Slugs are checked against the database when the audience is resolved.
    """
    head, separator, rest = spec.strip().partition(":")
    value = rest.strip().casefold()
    try:
        kind = AudienceKind(head.strip().casefold())
    except ValueError:
        raise AudienceError(f"unknown audience {spec.strip()!r} (use {SPEC_HELP})") from None
    if kind is AudienceKind.ALL:
        if separator:
            raise AudienceError(f"audience 'all' takes no value, got {spec.strip()!r}")
        return Audience(kind)
    if kind is AudienceKind.ENTRANTS:
        if separator and not value:
            raise AudienceError("audience 'entrants:' needs a competition slug after the colon")
        return Audience(kind, value or None)
    if not value:
        placeholder = "ROLE" if kind is AudienceKind.ROLE else "SLUG"
        raise AudienceError(f"audience {kind.value!r} needs a value: {kind.value}:{placeholder}")
    if kind is AudienceKind.ROLE and value not in {role.value for role in Role}:
        raise AudienceError(
            f"unknown role {value!r} (roles: {', '.join(role.value for role in Role)})"
        )
    return Audience(kind, value)


@dataclass(frozen=True, slots=True)
class Recipient:
    """The one chat account a member is reached on."""

    member_id: int
    identity_id: int
    channel: Channel
    external_id: str
    language: Language


@dataclass(frozen=True, slots=True)
class Resolution:
    """Who an audience reaches now, and who it cannot."""

    recipients: tuple[Recipient, ...]
    # Members whose every account on the pushing channels blocked the bot, by the channel they
    # would have been reached on.
    blocked: dict[Channel, int] = field(default_factory=dict)
    unreachable: int = 0  # members with no account on a channel that can push

    @property
    def blocked_total(self) -> int:
        """Members skipped because they blocked the bot."""
        return sum(self.blocked.values())

    @property
    def audience_size(self) -> int:
        """Every active member in the audience, reachable or not."""
        return len(self.recipients) + self.blocked_total + self.unreachable

    def people_by_channel(self) -> dict[Channel, int]:
        """How many recipients each channel carries."""
        return dict(Counter(recipient.channel for recipient in self.recipients))


async def _slug_id(session: AsyncSession, model: Any, slug: str, what: str) -> int:
    """The id of the row with `slug`, or an AudienceError listing the known slugs."""
    found = await session.scalar(select(model.id).where(model.slug == slug))
    if found is not None:
        return int(found)
    known = sorted(await session.scalars(select(model.slug)))
    listed = f"known: {', '.join(known)}" if known else "there are none yet"
    raise AudienceError(f"unknown {what} {slug!r} ({listed})")


async def _condition(session: AsyncSession, audience: Audience) -> ColumnElement[bool]:
    """The filter on members that selects `audience`."""
    match audience.kind:
        case AudienceKind.ALL:
            return true()
        case AudienceKind.ROLE:
            assert audience.value is not None
            return Member.role == Role(audience.value)
        case AudienceKind.ORG:
            assert audience.value is not None
            organisation_id = await _slug_id(session, Organisation, audience.value, "organisation")
            return Member.organisation_id == organisation_id
        case AudienceKind.DOMAIN:
            assert audience.value is not None
            domain_id = await _slug_id(session, Domain, audience.value, "domain")
            working_in = select(OrganisationDomain.organisation_id).where(
                OrganisationDomain.domain_id == domain_id
            )
            return Member.organisation_id.in_(working_in)
        case AudienceKind.ENTRANTS:
            entered = select(CompetitionEntry.organisation_id)
            if audience.value is not None:
                competition_id = await _slug_id(
                    session, Competition, audience.value, "competition"
                )
                entered = entered.where(CompetitionEntry.competition_id == competition_id)
            return Member.organisation_id.in_(entered)


async def check_audience(*, session: AsyncSession, audience: Audience) -> None:
    """AudienceError when the audience names an organisation, domain or competition we lack."""
    await _condition(session, audience)


@dataclass(frozen=True, slots=True)
class _Account:
    """One of a member's chat accounts on a pushing channel, as the resolution query sees it."""

    identity_id: int
    channel: Channel
    external_id: str
    blocked: bool
    last_seen_at: datetime | None

    def rank(self, last_channel: Channel | None) -> tuple[bool, datetime, int]:
        """Higher is preferred: the channel used last, then the most recently seen account."""
        return (self.channel == last_channel, self.last_seen_at or _NEVER, self.identity_id)


async def _reach(
    session: AsyncSession, condition: ColumnElement[bool], channels: Collection[Channel]
) -> Resolution:
    """One query: active members matching `condition` with their accounts on `channels`."""
    rows = await session.execute(
        select(
            Member.id,
            Member.language,
            Member.last_channel,
            Identity.id,
            Identity.channel,
            Identity.external_id,
            Identity.blocked,
            Identity.last_seen_at,
        )
        .select_from(Member)
        .outerjoin(
            Identity, (Identity.member_id == Member.id) & Identity.channel.in_(list(channels))
        )
        .where(Member.status == MemberStatus.ACTIVE, condition)
        .order_by(Member.id, Identity.id)
    )
    recipients: list[Recipient] = []
    blocked: Counter[Channel] = Counter()
    unreachable = 0
    for (member_id, language, last_channel), group in groupby(rows, key=lambda row: row[:3]):
        accounts = [_Account(*row[3:]) for row in group if row[3] is not None]
        if not accounts:
            unreachable += 1
            continue
        usable = [account for account in accounts if not account.blocked] or accounts
        chosen = max(usable, key=lambda account: account.rank(last_channel))
        if chosen.blocked:  # every account blocked the bot
            blocked[chosen.channel] += 1
            continue
        recipients.append(
            Recipient(
                member_id=member_id,
                identity_id=chosen.identity_id,
                channel=chosen.channel,
                external_id=chosen.external_id,
                language=language,
            )
        )
    return Resolution(tuple(recipients), dict(blocked), unreachable)


async def resolve_audience(
    *, session: AsyncSession, audience: Audience, channels: Collection[Channel]
) -> Resolution:
    """The active members of `audience`, each with one account on `channels` (the pushing ones).

    AudienceError when the audience names an organisation, domain or competition we lack.
    """
    return await _reach(session, await _condition(session, audience), channels)


async def resolve_members(
    *, session: AsyncSession, member_ids: Collection[int], channels: Collection[Channel]
) -> Resolution:
    """Like `resolve_audience`, for a given set of members (say, the admins to notify)."""
    if not member_ids:
        return Resolution(())
    return await _reach(session, Member.id.in_(list(member_ids)), channels)


async def audience_subject(
    *, session: AsyncSession, audience: Audience
) -> Organisation | Domain | Competition | None:
    """The organisation, domain or competition an audience names, for describing it to people."""
    model: type[Organisation] | type[Domain] | type[Competition]
    match audience.kind:
        case AudienceKind.ORG:
            model = Organisation
        case AudienceKind.DOMAIN:
            model = Domain
        case AudienceKind.ENTRANTS if audience.value is not None:
            model = Competition
        case _:
            return None
    subject: Organisation | Domain | Competition | None = await session.scalar(
        select(model).where(model.slug == audience.value)
    )
    return subject
