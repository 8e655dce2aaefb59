"""Invites from chat: an executive invites their city's officers; depa staff invite anyone."""

from __future__ import annotations

from datetime import timedelta

from bot.core.authz import roles
from bot.core.context import Context
from bot.core.events import Event
from bot.core.replies import Reply, Text
from bot.core.router import Router
from db.enums import ROLES_BY_KIND, Role
from db.repositories import audit
from db.repositories.invites import create_invite
from db.repositories.organisations import get_organisation, get_organisation_by_id
from handlers.menu import role_name

router = Router("team")

INVITE_VALIDITY = timedelta(days=14)
# Who may create invites for which roles; executives only for their own city.
GRANTABLE: dict[Role, frozenset[Role]] = {
    Role.EXECUTIVE: frozenset({Role.OFFICER}),
    Role.COORDINATOR: frozenset({Role.EXECUTIVE, Role.OFFICER, Role.PARTNER, Role.COORDINATOR}),
    Role.ADMIN: frozenset(Role),
}


@router.command("invite", access=roles(Role.EXECUTIVE, Role.COORDINATOR, Role.ADMIN))
async def invite(_event: Event, ctx: Context) -> list[Reply]:
    """`/invite` (executives: an officer code for their city) or `/invite ORG ROLE` (depa)."""
    assert ctx.member is not None
    words = ctx.args.split()
    if ctx.member.role is Role.EXECUTIVE:
        organisation = await get_organisation_by_id(
            session=ctx.session, organisation_id=ctx.member.organisation_id
        )
        role = Role.OFFICER
    else:
        if len(words) != 2:
            return [Text(text=ctx.t("invite.usage"))]
        found = await get_organisation(session=ctx.session, slug=words[0].casefold())
        if found is None:
            return [Text(text=ctx.t("invite.unknown_organisation", slug=words[0]))]
        organisation = found
        try:
            role = Role(words[1].casefold())
        except ValueError:
            return [Text(text=ctx.t("invite.unknown_role", role=words[1]))]
        if role not in ROLES_BY_KIND[organisation.kind]:
            return [Text(text=ctx.t("invite.role_mismatch"))]
    if role not in GRANTABLE[ctx.member.role]:
        return [Text(text=ctx.t("auth.denied"))]
    created = await create_invite(
        session=ctx.session,
        organisation_id=organisation.id,
        role=role,
        valid_for=INVITE_VALIDITY,
        created_by_member_id=ctx.member.id,
        now=ctx.now,
    )
    await audit.record(
        session=ctx.session,
        action="invite.create",
        now=ctx.now,
        actor_member_id=ctx.member.id,
        target=f"organisation:{organisation.slug}",
        details={"role": role.value, "invite_id": created.id, "via": ctx.identity.channel.value},
    )
    text = ctx.t(
        "invite.created",
        code=created.code,
        organisation=ctx.local(organisation, "name"),
        role=role_name(ctx, role),
        until=ctx.when(created.expires_at),
    )
    return [Text(text=text)]
