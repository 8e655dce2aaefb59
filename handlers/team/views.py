"""The team's chat replies: a created invite code, and what an executive may invite."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.payloads import Command
from bot.core.replies import Choice, Choices, Text
from db.models import Invite, Organisation
from handlers.menu import role_name


def created(ctx: Context, invite: Invite, organisation: Organisation) -> Text:
    """The code, whom it is for and until when."""
    return Text(
        text=ctx.t(
            "invite.created",
            code=invite.code,
            organisation=ctx.local(organisation, "name"),
            role=role_name(ctx, invite.role),
            until=ctx.when(invite.expires_at),
        )
    )


def executive_scope(ctx: Context, city: Organisation) -> Choices:
    """An executive asked for another organisation or role: what they may invite, as a button."""
    return Choices(
        text=ctx.t("invite.executive_scope", organisation=ctx.local(city, "name")),
        options=(Choice(label=ctx.t("invite.officer_code"), payload=Command("invite").pack()),),
    )
