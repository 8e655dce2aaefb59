"""Registration's use cases: invite codes checked and throttled, members registered, groups bound.

Plain functions over a session, with no replies and no platform: chat calls them today, and the
console's `--as` and the dashboard may tomorrow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.texts import Texts
from bot.delivery.notices import Compose, notify_members
from db.enums import Channel, ChatKind, Language, MemberStatus, Role
from db.models import Chat, Identity, Invite, Member, Organisation
from db.repositories import audit
from db.repositories.accounts import register_member
from db.repositories.announcements import approver_ids
from db.repositories.conversations import clear_state
from db.repositories.identities import ensure_identity
from db.repositories.invites import (
    InviteState,
    get_invite,
    invite_state,
    invite_usable,
    redeem_invite,
)
from db.repositories.organisations import get_organisation_by_id

MAX_WRONG_CODES = 5  # per chat account, and per group chat, an hour
THROTTLE_WINDOW = timedelta(hours=1)
GLOBAL_WINDOW = timedelta(minutes=1)
CODE_REJECTED = "onboarding.code_rejected"  # one per wrong code, on the account
CODE_REJECTED_IN_GROUP = "onboarding.code_rejected_in_group"  # and one on the group it came from
TEAM_ROLES = frozenset({Role.EXECUTIVE, Role.OFFICER})


@dataclass(frozen=True, slots=True)
class GuessWatch:
    """Everyone's wrong codes together: the budget a minute, and how the admins hear it is spent.

    Per account and per group an attacker needs only more accounts; the budget stops a swarm of
    fresh accounts too. Once spent, every code (right or wrong: a right one could be a guess)
    waits until the minute has passed, and the admins are told (once an hour at most).
    """

    per_minute: int
    texts: Texts
    channels: tuple[Channel, ...]
    alert: Compose


def _counters(identity: Identity, chat: Chat) -> list[tuple[str, str]]:
    """The (action, target) pairs a wrong code counts on: the account, and a group it came from."""
    counters = [(CODE_REJECTED, f"identity:{identity.id}")]
    if chat.kind is not ChatKind.USER:
        counters.append((CODE_REJECTED_IN_GROUP, f"chat:{chat.id}"))
    return counters


async def _budgets(
    session: AsyncSession, identity: Identity, chat: Chat, watch: GuessWatch, now: datetime
) -> tuple[datetime | None, int]:
    """When codes may be tried again here (None: now), and everyone's wrong codes this minute."""
    waits: list[datetime] = []
    for action, target in _counters(identity, chat):
        count, oldest = await audit.count_since(
            session=session, action=action, target=target, since=now - THROTTLE_WINDOW
        )
        if count >= MAX_WRONG_CODES and oldest is not None:
            waits.append(oldest + THROTTLE_WINDOW)
    everyone, oldest = await audit.count_action_since(
        session=session, action=CODE_REJECTED, since=now - GLOBAL_WINDOW
    )
    if everyone >= watch.per_minute and oldest is not None:
        waits.append(oldest + GLOBAL_WINDOW)
    return max(waits, default=None), everyone


async def throttled_until(
    *, session: AsyncSession, identity: Identity, chat: Chat, watch: GuessWatch, now: datetime
) -> datetime | None:
    """When codes may be tried again here: this account's, this group's or everyone's budget."""
    until, _ = await _budgets(session, identity, chat, watch, now)
    return until


async def count_wrong_code(
    *,
    session: AsyncSession,
    identity: Identity,
    chat: Chat,
    reason: str,
    watch: GuessWatch,
    now: datetime,
) -> datetime | None:
    """Record a wrong guess; when codes may be tried again, if that used up a budget.

    The guess that spends everyone's budget tells the admins (the hour in the key keeps guesses
    spending it at the same moment to one message per admin).
    """
    for action, target in _counters(identity, chat):
        await audit.record(
            session=session, action=action, now=now, target=target, details={"reason": reason}
        )
    until, everyone = await _budgets(session, identity, chat, watch, now)
    if everyone >= watch.per_minute:
        admins = await approver_ids(session=session, author_member_id=None)
        await notify_members(
            session=session,
            member_ids=admins,
            texts=watch.texts,
            compose=watch.alert,
            now=now,
            channels=watch.channels,
            tag=f"onboarding.guessing:{now:%Y%m%d%H}",
        )
    return until


def rejection_reason(invite: Invite | None, now: datetime) -> str | None:
    """Why `invite` cannot be used now (`unknown`, `revoked`, `expired`, `used_up`), or None."""
    if invite is None:
        return "unknown"
    state = invite_state(invite, now=now)
    return None if state is InviteState.USABLE else state.value


@dataclass(frozen=True, slots=True)
class UsableInvite:
    """An invite that may be redeemed now, with the organisation it joins."""

    invite: Invite
    organisation: Organisation


async def find_usable_invite(
    *, session: AsyncSession, code: str, now: datetime
) -> UsableInvite | str:
    """The invite behind `code` and its organisation, or why it cannot be used."""
    invite = await get_invite(session=session, code=code)
    reason = rejection_reason(invite, now)
    if reason is not None or invite is None:
        return reason or "unknown"
    organisation = await get_organisation_by_id(
        session=session, organisation_id=invite.organisation_id
    )
    return UsableInvite(invite, organisation)


@dataclass(frozen=True, slots=True)
class Registration:
    """A member just registered, and their organisation."""

    member: Member
    organisation: Organisation


async def _enrol(
    session: AsyncSession,
    identity: Identity,
    organisation: Organisation,
    role: Role,
    display_name: str | None,
    language: Language,
    now: datetime,
    **details: object,
) -> Member:
    """Register the member behind `identity` with consent as evidence, audited with `details`."""
    member = await register_member(
        session=session,
        identity=identity,
        organisation_id=organisation.id,
        role=role,
        display_name=display_name,
        language=language,
        now=now,
    )
    await audit.record(
        session=session,
        action="member.register",
        now=now,
        actor_member_id=member.id,
        target=f"organisation:{organisation.slug}",
        details={"role": role.value, **details},
    )
    return member


async def register(
    *,
    session: AsyncSession,
    identity: Identity,
    invite_id: int,
    display_name: str | None,
    language: Language,
    now: datetime,
) -> Registration | None:
    """Redeem the invite and register the member with consent, audited; None if it went stale."""
    invite = await session.get(Invite, invite_id)
    if invite is None or not invite_usable(invite, now=now):
        return None
    if not await redeem_invite(session=session, invite=invite, now=now):
        return None
    organisation = await get_organisation_by_id(
        session=session, organisation_id=invite.organisation_id
    )
    member = await _enrol(
        session,
        identity,
        organisation,
        invite.role,
        display_name,
        language,
        now,
        invite_id=invite.id,
    )
    return Registration(member, organisation)


async def register_as(
    *,
    session: AsyncSession,
    channel: Channel,
    external_id: str,
    organisation: Organisation,
    role: Role,
    now: datetime,
) -> Member:
    """`citybot console --as ORG:ROLE`: this chat account becomes a member of ORG as ROLE.

    Development only: consent is recorded as given, and the audit log says it was `--as`. An
    account registered before as something else is registered afresh as what `--as` says (its
    half-done conversation dropped); the earlier member keeps any other accounts linked to it.
    """
    identity, _ = await ensure_identity(
        session=session, channel=channel, external_id=external_id, language=None, now=now
    )
    earlier = await session.get(Member, identity.member_id) if identity.member_id else None
    if earlier is not None and earlier.status is not MemberStatus.ACTIVE:
        earlier = None
    if earlier is not None and (earlier.organisation_id, earlier.role) == (organisation.id, role):
        return earlier
    details: dict[str, object] = {"via": f"{channel.value} --as"}
    if earlier is not None:
        await clear_state(session=session, identity_id=identity.id)
        details["replaces"] = f"member:{earlier.id}"
    language = earlier.language if earlier is not None else Language.TH
    return await _enrol(
        session, identity, organisation, role, external_id, language, now, **details
    )


async def decline(*, session: AsyncSession, identity: Identity) -> None:
    """Consent refused: the chat account goes, and its conversation state with it."""
    await session.delete(identity)


async def bind_group(
    *, session: AsyncSession, chat: Chat, organisation_id: int, actor: Member | None, now: datetime
) -> Organisation:
    """Make `chat` the team chat of a city (the caller checked the role), audited."""
    organisation = await get_organisation_by_id(session=session, organisation_id=organisation_id)
    chat.organisation_id = organisation.id
    await audit.record(
        session=session,
        action="chat.bind",
        now=now,
        actor_member_id=actor.id if actor else None,
        target=f"chat:{chat.id}",
        details={"organisation": organisation.slug},
    )
    return organisation
