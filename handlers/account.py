"""A member's own account: who am I, language, linking a second channel, erasure."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.core.authz import ANYONE, MEMBERS
from bot.core.context import Context
from bot.core.events import Event, TextReceived
from bot.core.replies import Choice, Choices, Reply, Text
from bot.core.router import Router
from db.enums import Language
from db.models import Member
from db.repositories import audit
from db.repositories.accounts import erase_member, linked_channels
from db.repositories.links import LINK_CODE_DIGITS, create_link_code, take_link_code
from db.repositories.organisations import get_organisation_by_id
from handlers.menu import main_menu, role_name
from handlers.onboarding import reject_code, throttled_until

router = Router("account")

LINK_TTL = timedelta(minutes=10)
_LINK_CODE = re.compile(rf"\d{{{LINK_CODE_DIGITS}}}")
_LANGUAGE_WORDS = {
    "th": Language.TH,
    "thai": Language.TH,
    "ไทย": Language.TH,
    "ภาษาไทย": Language.TH,
    "en": Language.EN,
    "english": Language.EN,
    "อังกฤษ": Language.EN,
    "ภาษาอังกฤษ": Language.EN,
}


def is_link_code(text: str) -> bool:
    """Six digits, spaces allowed (people copy `123 456`)."""
    return bool(_LINK_CODE.fullmatch("".join(text.split())))


@router.command("whoami", access=MEMBERS)
async def whoami(_event: Event, ctx: Context) -> list[Reply]:
    """Name, organisation, role, language and linked channels."""
    assert ctx.member is not None
    organisation = await get_organisation_by_id(
        session=ctx.session, organisation_id=ctx.member.organisation_id
    )
    channels = await linked_channels(session=ctx.session, member_id=ctx.member.id)
    text = ctx.t(
        "whoami.text",
        name=ctx.member.display_name or ctx.t("whoami.no_name"),
        organisation=ctx.local(organisation, "name"),
        role=role_name(ctx, ctx.member.role),
        language=ctx.t(f"lang.name_{ctx.member.language.value}"),
        channels=", ".join(ctx.t(f"channels.{channel.value}") for channel in channels),
        since=ctx.day(ctx.member.created_at),
    )
    return [Text(text=text)]


async def set_language(ctx: Context, language: Language) -> list[Reply]:
    """Switch and persist the language: on the member if registered, else on the account."""
    if ctx.member is not None:
        ctx.member.language = language
    ctx.identity.language = language
    ctx = ctx.in_language(language)
    return [Text(text=ctx.t("lang.changed"))]


@router.command("lang", "language", access=ANYONE)
async def lang(_event: Event, ctx: Context) -> list[Reply]:
    """`/lang th|en`, or the two choices."""
    wanted = _LANGUAGE_WORDS.get(ctx.args.strip().casefold())
    if wanted is not None:
        return await set_language(ctx, wanted)
    return [
        Choices(
            text=ctx.t("lang.question"),
            options=(
                Choice(label=ctx.t("lang.name_th"), payload="lang:th"),
                Choice(label=ctx.t("lang.name_en"), payload="lang:en"),
            ),
        )
    ]


@router.choice("lang", access=ANYONE)
async def lang_chosen(_event: Event, ctx: Context) -> list[Reply]:
    """A language button."""
    wanted = _LANGUAGE_WORDS.get(ctx.args)
    if wanted is None:
        return [Text(text=ctx.t("lang.question"))]
    return await set_language(ctx, wanted)


async def redeem_link_code(ctx: Context, typed: str) -> list[Reply]:
    """Attach this chat account to the member who asked for the code on another channel."""
    until = await throttled_until(ctx)
    if until is not None:
        return [Text(text=ctx.t("onboarding.throttled", until=until))]
    link = await take_link_code(session=ctx.session, code="".join(typed.split()), now=ctx.now)
    if link is None:
        return await reject_code(ctx, "link_invalid")
    if ctx.member is not None:
        key = "link.already" if ctx.member.id == link.member_id else "link.other_member"
        return [Text(text=ctx.t(key))]
    ctx.identity.member_id = link.member_id
    await ctx.state.clear()
    await ctx.session.flush()
    member = await ctx.session.get_one(Member, link.member_id)
    ctx = ctx.with_member(member)
    await audit.record(
        session=ctx.session,
        action="identity.link",
        now=ctx.now,
        actor_member_id=member.id,
        target=f"identity:{ctx.identity.id}",
        details={"channel": ctx.identity.channel.value},
    )
    channels = await linked_channels(session=ctx.session, member_id=member.id)
    text = ctx.t(
        "link.done",
        channels=", ".join(ctx.t(f"channels.{channel.value}") for channel in channels),
    )
    return [main_menu(ctx, text)]


@router.command("link", access=ANYONE)
async def link(_event: Event, ctx: Context) -> list[Reply]:
    """`/link`: a code to type on the other channel; `/link 123456`: type it here."""
    if ctx.args:
        return await redeem_link_code(ctx, ctx.args)
    if ctx.member is None:
        return [Text(text=ctx.t("link.how_newcomer"))]
    code = await create_link_code(
        session=ctx.session,
        member_id=ctx.member.id,
        identity_id=ctx.identity.id,
        now=ctx.now,
        ttl=LINK_TTL,
    )
    return [Text(text=ctx.t("link.code", code=code.code, until=ctx.when(code.expires_at)))]


@router.text(is_link_code, access=ANYONE)
async def link_code_typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """Six digits typed on their own are a link code."""
    return await redeem_link_code(ctx, event.text)


@router.command("forget", access=MEMBERS)
async def forget(_event: Event, ctx: Context) -> list[Reply]:
    """Erasure needs a confirmation, cancel first."""
    return [
        Choices(
            text=ctx.t("forget.confirm"),
            options=(
                Choice(label=ctx.t("forget.no"), payload="forget:no"),
                Choice(label=ctx.t("forget.yes"), payload="forget:yes"),
            ),
        )
    ]


@router.choice("forget", access=MEMBERS)
async def forget_chosen(_event: Event, ctx: Context) -> list[Reply]:
    """Erase personal data and record the erasure; or keep everything."""
    assert ctx.member is not None
    if ctx.args != "yes":
        return [Text(text=ctx.t("forget.kept"))]
    member_id = ctx.member.id
    removed = await erase_member(session=ctx.session, member=ctx.member, now=ctx.now)
    await audit.record(
        session=ctx.session,
        action="member.erase",
        now=ctx.now,
        actor_member_id=member_id,
        target=f"member:{member_id}",
        details={"identities_removed": removed},
    )
    return [Text(text=ctx.t("forget.done"))]
