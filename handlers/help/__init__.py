"""Help, and everything nobody else answered: unknown words, stickers, files, group arrivals.

The router of the help feature; it has no use cases of its own (no service), only answers, and
its fallback must stay the last route of all (`handlers.ROUTERS`).
"""

from __future__ import annotations

from bot.core.authz import ANYONE
from bot.core.context import ChatContext, Context
from bot.core.events import (
    Event,
    FileReceived,
    JoinedGroup,
    LeftGroup,
    LocationShared,
    StickerReceived,
    TextReceived,
)
from bot.core.replies import Reply, Text
from bot.core.router import Router, parse_command
from handlers import questions
from handlers.menu import command_list, main_menu
from handlers.onboarding import greet

router = Router("help")


@router.command("help", "menu", access=ANYONE)
async def help_command(_event: Event, ctx: Context) -> list[Reply]:
    """What this person can do, as text and buttons."""
    if ctx.member is None:
        return [main_menu(ctx, ctx.t("help.newcomer", commands=command_list(ctx)))]
    return [main_menu(ctx, ctx.t("help.member", commands=command_list(ctx)))]


@router.event(StickerReceived, access=ANYONE)
async def sticker(_event: StickerReceived, ctx: Context) -> list[Reply]:
    """A sticker is friendly; answer in kind and show the way on."""
    if ctx.member is None:
        return await greet(ctx)
    return [main_menu(ctx, ctx.t("help.sticker"))]


@router.event(FileReceived, access=ANYONE)
async def file_received(_event: FileReceived, ctx: Context) -> list[Reply]:
    """Files are not used outside a flow that asks for evidence."""
    if ctx.member is None:
        return await greet(ctx)
    return [main_menu(ctx, ctx.t("help.file_received"))]


@router.event(LocationShared, access=ANYONE)
async def location(_event: LocationShared, ctx: Context) -> list[Reply]:
    """Locations are not used yet; say so rather than stay silent."""
    if ctx.member is None:
        return await greet(ctx)
    return [main_menu(ctx, ctx.t("help.location_received"))]


@router.chat_event(JoinedGroup)
async def joined_group(_event: JoinedGroup, ctx: ChatContext) -> list[Reply]:
    """Added to a group, maybe again after a removal: explain how it becomes a city team's chat."""
    ctx.chat.active = True
    return [Text(text=ctx.t("groups.joined"))]


@router.chat_event(LeftGroup)
async def left_group(_event: LeftGroup, ctx: ChatContext) -> list[Reply]:
    """Removed from a group: stop sending there."""
    ctx.chat.active = False
    return []


def is_a_nod(text: str) -> bool:
    """👍, 🙏🙏 or "..." with no letter or digit: a nod, not a question."""
    return bool(text.strip()) and not any(char.isalnum() for char in text)


@router.fallback(access=ANYONE)
async def fallback(event: Event, ctx: Context) -> list[Reply]:
    """Newcomers are greeted; members get the FAQ's answers, or a hint and their menu."""
    if ctx.member is None:
        return await greet(ctx)
    if isinstance(event, TextReceived):
        command = parse_command(event.text)
        if command is not None:
            return [main_menu(ctx, ctx.t("help.unknown_command", command=command[0][:32]))]
        if is_a_nod(event.text):
            return [main_menu(ctx, ctx.t("help.emoji"))]
        # Words nobody understood may be a question the FAQ answers, or one for depa.
        return await questions.unplaced(event, ctx, main_menu(ctx, ctx.t("help.unknown")))
    return [main_menu(ctx, ctx.t("help.unknown"))]
