"""A member's own account: who am I, language, linking a second channel, erasure.

The feature's router: routes and who may use them. Use cases are in `service.py`, replies in
`views.py`.
"""

from __future__ import annotations

import re

from bot.core.authz import ANYONE, MEMBERS
from bot.core.context import Context
from bot.core.events import Event, TextReceived
from bot.core.payloads import Answer
from bot.core.replies import Reply, Text
from bot.core.router import Router
from db.enums import Language
from db.models import Member
from db.repositories.links import LINK_CODE_DIGITS
from db.repositories.organisations import get_organisation_by_id
from handlers.account import service, views
from handlers.account.payloads import ForgetAnswer, LanguageChosen
from handlers.menu import main_menu
from handlers.onboarding import refuse_if_throttled, reject_code

router = Router("account")

_LINK_CODE = re.compile(rf"\d{{{LINK_CODE_DIGITS}}}")


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
    channels = await service.channels_of(session=ctx.session, member=ctx.member)
    return [views.whoami(ctx, ctx.member, organisation, channels)]


def switch_language(ctx: Context, language: Language) -> list[Reply]:
    """Switch, persist, and confirm in the new language."""
    service.set_language(identity=ctx.identity, member=ctx.member, language=language)
    return [Text(text=ctx.in_language(language).t("lang.changed"))]


@router.command("lang", "language", access=ANYONE)
async def lang(_event: Event, ctx: Context) -> list[Reply]:
    """`/lang th|en`, or the two choices (saying so when the word named no language)."""
    typed = ctx.args.strip()
    wanted = service.language_named(typed)
    if wanted is not None:
        return switch_language(ctx, wanted)
    if typed:
        text = ctx.t("lang.unknown", typed=typed[:30])
        return [views.language_picker(ctx, text)]
    return [views.language_picker(ctx, ctx.t("lang.question"))]


@router.choice(LanguageChosen, access=ANYONE)
async def lang_chosen(chosen: LanguageChosen, ctx: Context) -> list[Reply]:
    """A language button."""
    return switch_language(ctx, chosen.language)


async def redeem_link_code(ctx: Context, typed: str) -> list[Reply]:
    """Attach this chat account to the member who asked for the code on another channel."""
    if (refused := await refuse_if_throttled(ctx)) is not None:
        return refused
    outcome = await service.link_identity(
        session=ctx.session, identity=ctx.identity, member=ctx.member, code=typed, now=ctx.now
    )
    if outcome is service.LinkOutcome.INVALID:
        return await reject_code(ctx, "link_invalid")
    if outcome is not service.LinkOutcome.LINKED:
        return [Text(text=ctx.t(f"link.{outcome.value}"))]
    await ctx.state.clear()
    assert ctx.identity.member_id is not None
    member = await ctx.session.get_one(Member, ctx.identity.member_id)
    ctx = ctx.with_member(member)
    channels = await service.channels_of(session=ctx.session, member=member)
    return [main_menu(ctx, ctx.t("link.done", channels=views.channel_names(ctx, channels)))]


@router.command("link", access=ANYONE)
async def link(_event: Event, ctx: Context) -> list[Reply]:
    """`/link`: a code to type on the other channel; `/link 123456`: type it here."""
    if ctx.args:
        return await redeem_link_code(ctx, ctx.args)
    if ctx.member is None:
        return [Text(text=ctx.t("link.how_newcomer"))]
    code = await service.issue_link_code(
        session=ctx.session, member=ctx.member, identity=ctx.identity, now=ctx.now
    )
    return [Text(text=ctx.t("link.code", code=code.code, until=ctx.when(code.expires_at)))]


@router.text(is_link_code, access=ANYONE)
async def link_code_typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """Six digits typed on their own are a link code."""
    return await redeem_link_code(ctx, event.text)


@router.command("forget", access=MEMBERS)
async def forget(_event: Event, ctx: Context) -> list[Reply]:
    """Erasure needs a confirmation, cancel first."""
    return [views.forget_question(ctx)]


@router.choice(ForgetAnswer, access=MEMBERS)
async def forget_chosen(chosen: ForgetAnswer, ctx: Context) -> list[Reply]:
    """Erase personal data and record the erasure; or keep everything."""
    assert ctx.member is not None
    if chosen.answer is not Answer.YES:
        return [Text(text=ctx.t("forget.kept"))]
    await service.forget(session=ctx.session, member=ctx.member, now=ctx.now)
    return [Text(text=ctx.t("forget.done"))]
