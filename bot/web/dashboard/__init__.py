"""depa's web dashboard: `/dashboard/…` pages behind a one-time link sent in chat.

Thin, as the CLI is: each page reads through the features' services (progress, submissions,
announcements, offers, questions) and renders a template; sign-in and sessions are
`handlers/dashboard/service.py`. On unless CITYBOT_DASHBOARD=0.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.app import App
from bot.web.dashboard.auth import (
    SIGNIN_PATH,
    Keys,
    clear_session_cookie,
    secure,
    set_session_cookie,
    signed_in,
)
from bot.web.dashboard.pages import Pages
from db.enums import Language, MilestoneStatus
from handlers.dashboard import service
from handlers.dashboard.service import DashboardError, Viewer
from handlers.progress import service as progress
from handlers.progress.rules import ProgressError
from handlers.progress.service import SILENT_DAYS

STATIC = Path(__file__).with_name("static")
# A refused link answers with what went wrong, and nothing else.
LINK_STATUS = {"link_unknown": 404, "link_expired": 410, "link_used": 410, "not_allowed": 403}
# The pages in the menu, by who may open them.
DEPA_NAV = (("/dashboard", "overview"),)


def dashboard_routes(app: App) -> list[BaseRoute]:
    """The dashboard's routes, or none when it is switched off."""
    if not app.settings.citybot_dashboard:
        return []
    keys = Keys(app)
    pages = Pages(app)
    clock = app.dispatcher.services.clock

    def nav(viewer: Viewer) -> tuple[tuple[str, str], ...]:
        if viewer.is_depa:
            return DEPA_NAV
        return ((f"/dashboard/cities/{viewer.organisation.slug}", "my_city"),)

    def notice(
        key: str, *, status: int, viewer: Viewer | None = None, language: Language | None = None
    ) -> Response:
        t = app.dispatcher.services.texts.bind(
            language or (viewer.member.language if viewer else Language.TH)
        )
        return pages.render(
            "notice.html",
            viewer=viewer,
            language=language,
            status=status,
            heading=t(f"dashboard.notices.{key}.heading"),
            message=t(f"dashboard.notices.{key}.message"),
            nav=nav(viewer) if viewer else (),
            current="",
        )

    def language_of(request: Request) -> Language:
        return Language.EN if request.query_params.get("lang") == "en" else Language.TH

    async def login(request: Request) -> Response:
        """A one-time link: a session and its cookie, then the overview; else why not."""
        token = request.path_params["token"]
        try:
            async with app.sessions() as session, session.begin():
                opened = await service.redeem_link(session=session, token=token, now=clock.now())
        except DashboardError as refused:
            return notice(refused.reason, status=LINK_STATUS[refused.reason])
        response = RedirectResponse("/dashboard", status_code=303)
        value = service.sign(await keys.get(), opened.token)
        set_session_cookie(response, value, secure_only=secure(request, app))
        return response

    async def signin(request: Request) -> Response:
        """Where a browser without a session lands: how to get a link."""
        key = "signed_out" if request.query_params.get("out") else "sign_in"
        return notice(key, status=200, language=language_of(request))

    async def overview(_request: Request, viewer: Viewer) -> Response:
        """depa: every city × milestone; a city executive goes to their city's page."""
        if not viewer.is_depa:
            return RedirectResponse(f"/dashboard/cities/{viewer.organisation.slug}", 303)
        now = clock.now()
        async with app.sessions() as session:
            rows = await progress.progress_rows(session=session)
        columns: dict[str, str] = {}
        for row in rows:
            title = getattr(row.milestone, f"title_{viewer.member.language.value}")
            columns.setdefault(row.milestone.key, title)
        summaries = progress.summarise(rows, now)
        silent = {
            s.organisation.id
            for s in summaries
            if s.days_silent is None or s.days_silent >= SILENT_DAYS
        }
        return pages.render(
            "overview.html",
            viewer=viewer,
            nav=nav(viewer),
            current="/dashboard",
            summaries=summaries,
            columns=list(columns.items()),
            cells={(row.organisation.id, row.milestone.key): row.milestone for row in rows},
            silent=silent,
            statuses=[status.value for status in MilestoneStatus],
        )

    async def city(request: Request, viewer: Viewer) -> Response:
        """One city's plans and milestones: depa any city, an executive their own (else 403)."""
        slug = request.path_params["slug"]
        async with app.sessions() as session:
            try:
                organisation = await progress.city_of(session=session, slug=slug)
            except ProgressError:
                return notice("not_found", status=404, viewer=viewer)
            if not viewer.may_see(organisation):
                return notice("forbidden", status=403, viewer=viewer)
            rows = await progress.city_milestones(session=session, organisation_id=organisation.id)
        return pages.render(
            "city.html",
            viewer=viewer,
            nav=nav(viewer),
            current=request.url.path,
            city=organisation,
            rows=rows,
        )

    async def logout(request: Request, viewer: Viewer) -> Response:
        """GET asks to confirm; POST (with the CSRF token) ends the session."""
        if request.method == "GET":
            return pages.render("logout.html", viewer=viewer, nav=nav(viewer), current="")
        async with app.sessions() as session, session.begin():
            await service.sign_out(session=session, viewer=viewer, now=clock.now())
        response = RedirectResponse(f"{SIGNIN_PATH}?out=1", status_code=303)
        clear_session_cookie(response)
        return response

    async def static(request: Request) -> Response:
        """The dashboard's own stylesheet (nothing from a CDN)."""
        name = request.path_params["name"]
        path = STATIC / name
        if name not in {"dashboard.css"} or not path.is_file():
            return Response(status_code=404)
        return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})

    return [
        Route("/dashboard/login/{token}", login, methods=["GET"]),
        Route(SIGNIN_PATH, signin, methods=["GET"]),
        Route("/dashboard/static/{name}", static, methods=["GET"]),
        Route("/dashboard", signed_in(app, keys, overview), methods=["GET"]),
        Route("/dashboard/cities/{slug}", signed_in(app, keys, city), methods=["GET"]),
        Route("/dashboard/logout", signed_in(app, keys, logout), methods=["GET", "POST"]),
    ]
