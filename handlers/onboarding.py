"""Onboarding: first contact, invite code, PDPA consent, welcome; and group team chats.

Flow diagram: handlers/onboarding.mmd.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from bot.core.authz import ANYONE
from bot.core.context import Context
from bot.core.events import Event, Followed, TextReceived
from bot.core.replies import Choice, Choices, Reply, Text
from bot.core.router import Router
from db.enums import ChatKind, Role
from db.models import Invite
from db.repositories import audit
from db.repositories.accounts import register_member
from db.repositories.invites import get_invite, invite_usable, looks_like_code, redeem_invite
from db.repositories.organisations import get_organisation_by_id
from handlers.menu import main_menu, role_name

router = Router("onboarding")

MAX_WRONG_CODES = 5
THROTTLE_WINDOW = timedelta(hours=1)
CODE_REJECTED = "onboarding.code_rejected"
TEAM_ROLES = frozenset({Role.EXECUTIVE, Role.OFFICER})


class Onboarding(StrEnum):
    """Steps of registration."""

    AWAIT_CODE = "onboarding.await_code"
    AWAIT_CONSENT = "onboarding.await_consent"


async def greet(ctx: Context) -> list[Reply]:
    """First contact: say what the bot does and ask for an invite code."""
    await ctx.state.go(Onboarding.AWAIT_CODE, {}, ttl=timedelta(days=7))
    other = "en" if ctx.language.value == "th" else "th"
    return [
        Choices(
            text=ctx.t("onboarding.greeting"),
            options=(Choice(label=ctx.t(f"lang.switch_to_{other}"), payload=f"lang:{other}"),),
        )
    ]


def throttle_target(ctx: Context) -> str:
    """Wrong codes are counted per chat account."""
    return f"identity:{ctx.identity.id}"


async def throttled_until(ctx: Context) -> str | None:
    """When this account may try again, if it has used up its wrong guesses."""
    count, oldest = await audit.count_since(
        session=ctx.session,
        action=CODE_REJECTED,
        target=throttle_target(ctx),
        since=ctx.now - THROTTLE_WINDOW,
    )
    if count < MAX_WRONG_CODES or oldest is None:
        return None
    return ctx.when(oldest + THROTTLE_WINDOW)


async def reject_code(ctx: Context, reason: str) -> list[Reply]:
    """Count a wrong guess and say why the code did not work."""
    await audit.record(
        session=ctx.session,
        action=CODE_REJECTED,
        now=ctx.now,
        target=throttle_target(ctx),
        details={"reason": reason},
    )
    until = await throttled_until(ctx)
    if until is not None:
        return [Text(text=ctx.t("onboarding.throttled", until=until))]
    return [Text(text=ctx.t(f"onboarding.code_{reason}"))]


def rejection_reason(invite: Invite | None, ctx: Context) -> str | None:
    """Why `invite` cannot be used now, or None when it can."""
    if invite is None:
        return "unknown"
    if invite.revoked_at is not None:
        return "revoked"
    if invite.expires_at <= ctx.now:
        return "expired"
    if invite.uses >= invite.max_uses:
        return "used_up"
    return None


async def try_code(ctx: Context, typed: str) -> list[Reply]:
    """Check a typed invite code and, if good, ask for consent."""
    until = await throttled_until(ctx)
    if until is not None:
        return [Text(text=ctx.t("onboarding.throttled", until=until))]
    if not looks_like_code(typed):
        return [Text(text=ctx.t("onboarding.code_malformed"))]
    invite = await get_invite(session=ctx.session, code=typed)
    reason = rejection_reason(invite, ctx)
    if reason is not None or invite is None:
        return await reject_code(ctx, reason or "unknown")
    await ctx.state.go(Onboarding.AWAIT_CONSENT, {"invite_id": invite.id})
    organisation = await get_organisation_by_id(
        session=ctx.session, organisation_id=invite.organisation_id
    )
    return [
        Text(
            text=ctx.t(
                "onboarding.code_ok",
                organisation=ctx.local(organisation, "name"),
                role=role_name(ctx, invite.role),
            )
        ),
        consent_question(ctx),
    ]


def consent_question(ctx: Context) -> Choices:
    """The PDPA question, accept first."""
    return Choices(
        text=ctx.t("consent.question"),
        options=(
            Choice(label=ctx.t("consent.accept"), payload="consent:yes"),
            Choice(label=ctx.t("consent.decline"), payload="consent:no"),
        ),
    )


async def bind_group(ctx: Context, typed: str) -> list[Reply]:
    """Make a group the team chat of a city, on an executive's or officer's code or membership."""
    if typed:
        invite = await get_invite(session=ctx.session, code=typed)
        if rejection_reason(invite, ctx) is not None or invite is None:
            return [Text(text=ctx.t("groups.code_invalid"))]
        organisation_id, role = invite.organisation_id, invite.role
    elif ctx.member is not None:
        organisation_id, role = ctx.member.organisation_id, ctx.member.role
    else:
        return [Text(text=ctx.t("groups.how_to_bind"))]
    if role not in TEAM_ROLES:
        return [Text(text=ctx.t("groups.not_city_team"))]
    organisation = await get_organisation_by_id(
        session=ctx.session, organisation_id=organisation_id
    )
    ctx.chat.organisation_id = organisation.id
    await audit.record(
        session=ctx.session,
        action="chat.bind",
        now=ctx.now,
        actor_member_id=ctx.member.id if ctx.member else None,
        target=f"chat:{ctx.chat.id}",
        details={"organisation": organisation.slug},
    )
    return [Text(text=ctx.t("groups.bound", organisation=ctx.local(organisation, "name")))]


async def welcome_back(ctx: Context) -> list[Reply]:
    """A registered member starting again gets their menu."""
    assert ctx.member is not None
    organisation = await get_organisation_by_id(
        session=ctx.session, organisation_id=ctx.member.organisation_id
    )
    text = ctx.t(
        "onboarding.welcome_back",
        organisation=ctx.local(organisation, "name"),
        role=role_name(ctx, ctx.member.role),
    )
    return [main_menu(ctx, text)]


@router.event(Followed, access=ANYONE)
async def followed(_event: Followed, ctx: Context) -> list[Reply]:
    """Added as a friend (or unblocked): greet newcomers, welcome members back."""
    return await welcome_back(ctx) if ctx.member else await greet(ctx)


@router.command("start", access=ANYONE)
async def start(_event: Event, ctx: Context) -> list[Reply]:
    """`/start [CODE]`: register with a code, or bind a group to its city."""
    if ctx.chat.kind is not ChatKind.USER:
        return await bind_group(ctx, ctx.args)
    if ctx.member is not None:
        if ctx.args:
            return [Text(text=ctx.t("onboarding.already_registered")), *await welcome_back(ctx)]
        return await welcome_back(ctx)
    if ctx.args:
        return await try_code(ctx, ctx.args)
    return await greet(ctx)


@router.step(Onboarding.AWAIT_CODE, access=ANYONE)
async def code_typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """Whatever is typed while we wait for a code is taken as a code."""
    if ctx.member is not None:
        await ctx.state.clear()
        return await welcome_back(ctx)
    return await try_code(ctx, event.text)


@router.text(looks_like_code, access=ANYONE)
async def code_like_text(event: TextReceived, ctx: Context) -> list[Reply]:
    """Something shaped like a code, outside any flow."""
    if ctx.member is not None:
        return [Text(text=ctx.t("onboarding.already_registered"))]
    return await try_code(ctx, event.text)


@router.step(Onboarding.AWAIT_CONSENT, access=ANYONE)
async def consent_typed(_event: TextReceived, ctx: Context) -> list[Reply]:
    """Typing instead of choosing: ask again, buttons first."""
    return [consent_question(ctx)]


@router.choice("consent", access=ANYONE)
async def consent_chosen(event: Event, ctx: Context) -> list[Reply]:
    """Accept → member; decline → nothing personal kept."""
    invite_id = ctx.state.data.get("invite_id")
    if not ctx.state.at(Onboarding.AWAIT_CONSENT) or not isinstance(invite_id, int):
        return [Text(text=ctx.t("consent.stale"))]
    if ctx.args != "yes":
        await ctx.session.delete(ctx.identity)  # its state goes with it
        return [Text(text=ctx.t("consent.declined"))]
    invite = await ctx.session.get(Invite, invite_id)
    if invite is None or not invite_usable(invite, now=ctx.now):
        await ctx.state.go(Onboarding.AWAIT_CODE, {})
        return [Text(text=ctx.t("consent.code_gone"))]
    if not await redeem_invite(session=ctx.session, invite=invite, now=ctx.now):
        await ctx.state.go(Onboarding.AWAIT_CODE, {})
        return [Text(text=ctx.t("consent.code_gone"))]
    display_name = ctx.identity.display_name or (event.user.display_name if event.user else None)
    member = await register_member(
        session=ctx.session,
        identity=ctx.identity,
        organisation_id=invite.organisation_id,
        role=invite.role,
        display_name=display_name,
        language=ctx.language,
        now=ctx.now,
    )
    await ctx.state.clear()
    organisation = await get_organisation_by_id(
        session=ctx.session, organisation_id=member.organisation_id
    )
    await audit.record(
        session=ctx.session,
        action="member.register",
        now=ctx.now,
        actor_member_id=member.id,
        target=f"organisation:{organisation.slug}",
        details={"role": member.role.value, "invite_id": invite.id},
    )
    ctx = ctx.with_member(member)
    text = ctx.t(
        "onboarding.welcome",
        organisation=ctx.local(organisation, "name"),
        role=role_name(ctx, member.role),
    )
    return [main_menu(ctx, text)]
