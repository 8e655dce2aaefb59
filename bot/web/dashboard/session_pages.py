"""Signing in and out: the one-time link, the explanation without a session, sign-out, and the
dashboard's stylesheet."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.web.dashboard.auth import (
    SIGNIN_PATH,
    clear_session_cookie,
    secure,
    set_session_cookie,
)
from bot.web.dashboard.site import Site
from db.enums import Language
from handlers.dashboard import service
from handlers.dashboard.service import DashboardError, Viewer

STATIC = Path(__file__).with_name("static")
STYLESHEETS = frozenset({"dashboard.css"})
# A refused link answers with what went wrong, and nothing else.
LINK_STATUS = {"link_unknown": 404, "link_expired": 410, "link_used": 410, "not_allowed": 403}


def routes(site: Site) -> list[BaseRoute]:
    """Sign-in, the explanation, sign-out and the stylesheet."""

    async def login(request: Request) -> Response:
        """A one-time link: a session and its cookie, then the overview; else why not."""
        token = request.path_params["token"]
        try:
            async with site.app.sessions() as session, session.begin():
                opened = await service.redeem_link(session=session, token=token, now=site.now())
        except DashboardError as refused:
            return site.notice(refused.reason, status=LINK_STATUS[refused.reason])
        response = RedirectResponse("/dashboard", status_code=303)
        value = service.sign(await site.keys.get(), opened.token)
        set_session_cookie(response, value, secure_only=secure(request, site.app))
        return response

    async def signin(request: Request) -> Response:
        """Where a browser without a session lands: how to get a link."""
        key = "signed_out" if request.query_params.get("out") else "sign_in"
        language = Language.EN if request.query_params.get("lang") == "en" else Language.TH
        return site.notice(key, status=200, language=language)

    async def logout(request: Request, viewer: Viewer) -> Response:
        """GET asks to confirm; POST (with the CSRF token) ends the session."""
        if request.method == "GET":
            return site.page(request, viewer, "logout.html")
        async with site.app.sessions() as session, session.begin():
            await service.sign_out(session=session, viewer=viewer, now=site.now())
        response = RedirectResponse(f"{SIGNIN_PATH}?out=1", status_code=303)
        clear_session_cookie(response)
        return response

    async def static(request: Request) -> Response:
        """The dashboard's own stylesheet (nothing from a CDN)."""
        name = request.path_params["name"]
        if name not in STYLESHEETS:
            return Response(status_code=404)
        return FileResponse(STATIC / name, headers={"Cache-Control": "public, max-age=3600"})

    return [
        Route("/dashboard/login/{token}", login, methods=["GET"]),
        Route(SIGNIN_PATH, signin, methods=["GET"]),
        Route("/dashboard/static/{name}", static, methods=["GET"]),
        site.route("/dashboard/logout", logout, ("GET", "POST")),
    ]
