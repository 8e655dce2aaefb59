"""Invites from chat: an executive invites their city's officers; depa staff invite anyone.

The feature's router: routes and who may use them. Use cases are in `service.py` (which
`citybot invite create` calls too), replies in `views.py`.
"""

from __future__ import annotations

from bot.core.authz import roles
from bot.core.context import Context
from bot.core.events import Event
from bot.core.replies import Reply, Text
from bot.core.router import Router
from db.enums import Role
from db.models import Organisation
from db.repositories.organisations import get_organisation, get_organisation_by_id
from handlers.team import service, views

router = Router("team")


async def make_invite(ctx: Context, organisation: Organisation, role: Role) -> list[Reply]:
    """Create the invite as the sender, or say why they may not."""
    assert ctx.member is not None
    try:
        invite = await service.create_invite(
            session=ctx.session,
            organisation=organisation,
            role=role,
            created_by=ctx.member,
            via=ctx.identity.channel.value,
            now=ctx.now,
        )
    except service.InviteRefused as refused:
        key = "invite.role_mismatch" if refused.reason == "role_mismatch" else "auth.denied"
        return [Text(text=ctx.t(key))]
    return [views.created(ctx, invite, organisation)]


def asks_for_officer_of(words: list[str], city: Organisation) -> bool:
    """Whether an executive's words ask only for what they may have: an officer of their city."""
    names = {city.slug, city.name_th.casefold(), city.name_en.casefold(), Role.OFFICER.value}
    return all(word.casefold() in names for word in words)


@router.command("invite", access=roles(Role.EXECUTIVE))
async def invite_officer(_event: Event, ctx: Context) -> list[Reply]:
    """`/invite`: an officer code for the executive's own city (and nothing else)."""
    assert ctx.member is not None
    city = await get_organisation_by_id(
        session=ctx.session, organisation_id=ctx.member.organisation_id
    )
    if not asks_for_officer_of(ctx.args.split(), city):
        return [views.executive_scope(ctx, city)]
    return await make_invite(ctx, city, Role.OFFICER)


@router.command("invite", access=roles(Role.COORDINATOR, Role.ADMIN))
async def invite_anyone(_event: Event, ctx: Context) -> list[Reply]:
    """`/invite ORG ROLE`: depa staff name the organisation and the role."""
    words = ctx.args.split()
    if len(words) != 2:
        return [Text(text=ctx.t("invite.usage"))]
    organisation = await get_organisation(session=ctx.session, slug=words[0].casefold())
    if organisation is None:
        return [Text(text=ctx.t("invite.unknown_organisation", slug=words[0]))]
    try:
        role = Role(words[1].casefold())
    except ValueError:
        return [Text(text=ctx.t("invite.unknown_role", role=words[1]))]
    return await make_invite(ctx, organisation, role)
