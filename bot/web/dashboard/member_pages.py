"""Members by organisation, and the invites that let people join: list, create (with the code
large and a QR code of the Telegram deep link), revoke. depa staff only; invites go through
`handlers/team/service.py`, as `/invite` in chat and `citybot invite` do."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import segno
from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from bot.web.dashboard.site import Site
from db.enums import ROLES_BY_KIND, Role
from db.repositories import invites as invite_repo
from db.repositories import members as member_repo
from db.repositories import organisations as organisation_repo
from handlers.dashboard.service import Viewer
from handlers.team import service as team
from handlers.team.service import InviteRefused

MEMBERS_PATH = "/dashboard/members"
# A refused form answers with why, and the status that says it.
REFUSED_STATUS = {"not_allowed": 403, "unknown": 404}


def deep_link(username: str, code: str) -> str:
    """The Telegram link that opens the bot with the code already typed."""
    return f"https://t.me/{quote(username.removeprefix('@'))}?start={code}"


def qr_svg(url: str, title: str) -> Markup:
    """`url` as an inline SVG QR code (segno escapes the title; the rest is its own drawing)."""
    return Markup(segno.make(url, error="m").svg_inline(scale=4, title=title))  # noqa: S704  # segno's own SVG


def whole(form: FormData, name: str) -> int | None:
    """A form field as a whole number, or None."""
    value = form.get(name)
    return int(value) if isinstance(value, str) and value.strip().isdigit() else None


def routes(site: Site) -> list[BaseRoute]:
    """`/dashboard/members`, and the invite forms it posts."""

    async def members(
        request: Request, viewer: Viewer, *, error: str | None = None, status: int = 200
    ) -> Response:
        """Members by organisation and the invites, with a created code shown large."""
        now = site.now()
        async with site.app.sessions() as session:
            rows = await member_repo.members_by_organisation(session=session)
            invites = await invite_repo.list_invites(
                session=session, include_inactive=True, now=now
            )
            organisations = await organisation_repo.list_organisations(session=session)
            created = request.query_params.get("created")
            shown = (
                await invite_repo.get_invite(session=session, code=created) if created else None
            )
        by_id = {organisation.id: organisation for organisation in organisations}
        username = site.app.settings.telegram_bot_username
        link = deep_link(username, shown.code) if shown and username else None
        grantable = team.GRANTABLE.get(viewer.member.role, frozenset())
        return site.page(
            request,
            viewer,
            "members.html",
            status=status,
            rows=rows,
            invites=[
                (i, by_id[i.organisation_id], invite_repo.invite_state(i, now=now))
                for i in invites
            ],
            organisations=organisations,
            roles=[role for role in Role if role in grantable],
            roles_by_kind={o.slug: sorted(ROLES_BY_KIND[o.kind]) for o in organisations},
            shown=shown,
            shown_organisation=by_id[shown.organisation_id] if shown else None,
            link=link,
            qr=qr_svg(link, shown.code) if link and shown else None,
            error=error,
            max_days=team.MAX_INVITE_DAYS,
            max_uses=team.MAX_INVITE_USES,
        )

    async def show(request: Request, viewer: Viewer) -> Response:
        return await members(request, viewer)

    async def create(request: Request, viewer: Viewer) -> Response:
        """Create an invite as the viewer (chat's rules on who may invite whom), audited."""
        form = await request.form()
        slug, role_value = form.get("organisation"), form.get("role")
        uses, days = whole(form, "uses"), whole(form, "days")
        if uses is None or days is None or role_value not in {r.value for r in Role}:
            return await members(request, viewer, error="limits", status=400)
        async with site.app.sessions() as session, session.begin():
            found = await organisation_repo.get_organisation(session=session, slug=str(slug))
            if found is None:
                return await members(request, viewer, error="unknown", status=404)
            try:
                invite = await team.create_invite(
                    session=session,
                    organisation=found,
                    role=Role(str(role_value)),
                    now=site.now(),
                    via="dashboard",
                    created_by=viewer.member,
                    max_uses=uses,
                    valid_for=timedelta(days=days),
                )
            except InviteRefused as refused:
                status = REFUSED_STATUS.get(refused.reason, 400)
                return await members(request, viewer, error=refused.reason, status=status)
        return RedirectResponse(f"{MEMBERS_PATH}?created={invite.code}", status_code=303)

    async def revoke(request: Request, viewer: Viewer) -> Response:
        """Revoke an invite (audited): nobody else can register with it."""
        async with site.app.sessions() as session, session.begin():
            try:
                await team.revoke_invite(
                    session=session,
                    code=request.path_params["code"],
                    now=site.now(),
                    via="dashboard",
                    revoked_by=viewer.member,
                )
            except InviteRefused as refused:
                status = REFUSED_STATUS.get(refused.reason, 400)
                return await members(request, viewer, error=refused.reason, status=status)
        return RedirectResponse(MEMBERS_PATH, status_code=303)

    return [
        site.route(MEMBERS_PATH, show, depa=True),
        site.route(f"{MEMBERS_PATH}/invites", create, ("POST",), depa=True),
        site.route(f"{MEMBERS_PATH}/invites/{{code}}/revoke", revoke, ("POST",), depa=True),
    ]
