"""Onboarding: first contact, invite code, PDPA consent, welcome; and group team chats.

The feature's router: routes and who may use them. Use cases are in `service.py`, replies in
`views.py`; the flow's diagram is `flow.mmd`.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from bot.core.authz import ANYONE
from bot.core.context import Context
from bot.core.events import Event, Followed, TextReceived
from bot.core.payloads import Answer
from bot.core.replies import Reply, Text
from bot.core.router import Router
from bot.delivery.announcements import push_channels
from db.enums import ChatKind, Role
from db.repositories.invites import get_invite, looks_like_code
from db.repositories.organisations import get_organisation_by_id
from handlers.onboarding import service, views
from handlers.onboarding.payloads import ConsentAnswer

router = Router("onboarding")

CODE_WAIT = timedelta(days=7)


class Onboarding(StrEnum):
    """Steps of registration."""

    AWAIT_CODE = "onboarding.await_code"
    AWAIT_CONSENT = "onboarding.await_consent"


async def greet(ctx: Context) -> list[Reply]:
    """First contact: say what the bot does and ask for an invite code."""
    await ctx.state.go(Onboarding.AWAIT_CODE, {}, ttl=CODE_WAIT)
    return [views.greeting(ctx)]


def guess_watch(ctx: Context) -> service.GuessWatch:
    """Everyone's budget of wrong codes, as configured, and the admins' alert when it is spent."""
    settings = ctx.services.settings
    return service.GuessWatch(
        per_minute=settings.citybot_wrong_codes_per_minute,
        texts=ctx.services.texts,
        channels=push_channels(settings),
        alert=views.guessing_alert(settings.citybot_wrong_codes_per_minute),
    )


async def reject_code(ctx: Context, reason: str, *, refusal: str | None = None) -> list[Reply]:
    """Count a wrong guess (invite or link code) and say why it did not work (or `refusal`)."""
    until = await service.count_wrong_code(
        session=ctx.session,
        identity=ctx.identity,
        chat=ctx.chat,
        reason=reason,
        watch=guess_watch(ctx),
        now=ctx.now,
    )
    if until is not None:
        return [views.throttled(ctx, until)]
    return [Text(text=ctx.t(refusal or f"onboarding.code_{reason}"))]


async def refuse_if_throttled(ctx: Context) -> list[Reply] | None:
    """The answer while this account, its group or everyone has used up the wrong guesses."""
    until = await service.throttled_until(
        session=ctx.session,
        identity=ctx.identity,
        chat=ctx.chat,
        watch=guess_watch(ctx),
        now=ctx.now,
    )
    return [views.throttled(ctx, until)] if until is not None else None


async def try_code(ctx: Context, typed: str) -> list[Reply]:
    """Check a typed invite code and, if good, ask for consent."""
    if (refused := await refuse_if_throttled(ctx)) is not None:
        return refused
    if not looks_like_code(typed):
        return [Text(text=ctx.t("onboarding.code_malformed"))]
    found = await service.find_usable_invite(session=ctx.session, code=typed, now=ctx.now)
    if isinstance(found, str):
        return await reject_code(ctx, found)
    role = found.invite.role
    await ctx.state.go(
        Onboarding.AWAIT_CONSENT, {"invite_id": found.invite.id, "role": role.value}
    )
    return [views.code_accepted(ctx, found.organisation, role), views.consent_question(ctx, role)]


async def bind_group(ctx: Context, typed: str) -> list[Reply]:
    """Make a group the team chat of a city, on an executive's or officer's code or membership."""
    if typed:
        if (refused := await refuse_if_throttled(ctx)) is not None:
            return refused
        invite = await get_invite(session=ctx.session, code=typed)
        reason = service.rejection_reason(invite, ctx.now)
        if reason is not None or invite is None:
            return await reject_code(ctx, reason or "unknown", refusal="groups.code_invalid")
        organisation_id, role = invite.organisation_id, invite.role
    elif ctx.member is not None:
        organisation_id, role = ctx.member.organisation_id, ctx.member.role
    else:
        return [Text(text=ctx.t("groups.how_to_bind"))]
    if role not in service.TEAM_ROLES:
        return [Text(text=ctx.t("groups.not_city_team"))]
    organisation = await service.bind_group(
        session=ctx.session,
        chat=ctx.chat,
        organisation_id=organisation_id,
        actor=ctx.member,
        now=ctx.now,
    )
    return [Text(text=ctx.t("groups.bound", organisation=ctx.local(organisation, "name")))]


async def welcome_back(ctx: Context) -> list[Reply]:
    """A registered member starting again gets their menu."""
    assert ctx.member is not None
    organisation = await get_organisation_by_id(
        session=ctx.session, organisation_id=ctx.member.organisation_id
    )
    return [views.welcome(ctx, organisation, ctx.member.role, back=True)]


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


def pending_role(ctx: Context) -> Role:
    """The role the code being registered grants (its consent is worded for it)."""
    stored = ctx.state.data.get("role")
    return Role(stored) if stored in {role.value for role in Role} else Role.OFFICER


@router.step(Onboarding.AWAIT_CONSENT, access=ANYONE)
async def consent_typed(_event: TextReceived, ctx: Context) -> list[Reply]:
    """Typing instead of choosing: ask again, buttons first."""
    return [views.consent_question(ctx, pending_role(ctx))]


@router.choice(ConsentAnswer, access=ANYONE)
async def consent_chosen(chosen: ConsentAnswer, ctx: Context) -> list[Reply]:
    """Accept → member; decline → nothing personal kept."""
    invite_id = ctx.state.data.get("invite_id")
    if not ctx.state.at(Onboarding.AWAIT_CONSENT) or not isinstance(invite_id, int):
        return [Text(text=ctx.t("consent.stale"))]
    if chosen.answer is not Answer.YES:
        await service.decline(session=ctx.session, identity=ctx.identity)
        return [Text(text=ctx.t("consent.declined"))]
    registered = await service.register(
        session=ctx.session,
        identity=ctx.identity,
        invite_id=invite_id,
        display_name=ctx.identity.display_name or ctx.sender_name,
        language=ctx.language,
        now=ctx.now,
    )
    if registered is None:
        await ctx.state.go(Onboarding.AWAIT_CODE, {})
        return [Text(text=ctx.t("consent.code_gone"))]
    await ctx.state.clear()
    ctx = ctx.with_member(registered.member)
    return [views.welcome(ctx, registered.organisation, registered.member.role, back=False)]
