"""What every dashboard page shares: the app, the cookie keys, the templates, the menu, and
the notice pages (not found, forbidden, why a link failed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.app import App
from bot.web.dashboard.auth import Keys, Page, signed_in
from bot.web.dashboard.pages import Pages
from db.enums import Language
from handlers.dashboard.service import Viewer

# The menu, in order: (path, text key under dashboard.nav), and who sees each entry.
DEPA_NAV: tuple[tuple[str, str], ...] = (
    ("/dashboard", "overview"),
    ("/dashboard/competition", "competition"),
    ("/dashboard/announcements", "announcements"),
    ("/dashboard/partners", "partners"),
    ("/dashboard/questions", "questions"),
    ("/dashboard/community", "community"),
    ("/dashboard/members", "members"),
    ("/dashboard/audit", "audit"),
)


class Site:
    """The dashboard's shared parts, handed to each page module."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.keys = Keys(app)
        self.pages = Pages(app)
        self.services = app.dispatcher.services

    def now(self) -> datetime:
        """The app's clock (a test's frozen one in tests)."""
        return self.services.clock.now()

    def nav(self, viewer: Viewer) -> tuple[tuple[str, str], ...]:
        """The menu this viewer sees: depa every page, an executive their city."""
        if viewer.is_depa:
            return DEPA_NAV
        return ((f"/dashboard/cities/{viewer.organisation.slug}", "my_city"),)

    def page(
        self, request: Request, viewer: Viewer, template: str, *, status: int = 200, **values: Any
    ) -> Response:
        """`template` for a signed-in viewer, with the menu and the current path marked."""
        return self.pages.render(
            template,
            viewer=viewer,
            status=status,
            nav=self.nav(viewer),
            current=request.url.path,
            **values,
        )

    def notice(
        self,
        key: str,
        *,
        status: int,
        viewer: Viewer | None = None,
        language: Language | None = None,
    ) -> Response:
        """A page that says one thing (`dashboard.notices.<key>`): no access, not found…"""
        language = language or (viewer.member.language if viewer else Language.TH)
        t = self.services.texts.bind(language)
        return self.pages.render(
            "notice.html",
            viewer=viewer,
            language=language,
            status=status,
            heading=t(f"dashboard.notices.{key}.heading"),
            message=t(f"dashboard.notices.{key}.message"),
            nav=self.nav(viewer) if viewer else (),
            current="",
        )

    def route(
        self, path: str, page: Page, methods: tuple[str, ...] = ("GET",), *, depa: bool = False
    ) -> Route:
        """A route to `page` for signed-in viewers (POSTs checked for the CSRF token); with
        `depa`, for depa's coordinators and admins only (a city executive gets 403 and why)."""
        if depa:
            page = self._depa_only(page)
        return Route(path, signed_in(self.app, self.keys, page), methods=list(methods))

    def _depa_only(self, page: Page) -> Page:
        """`page`, refusing anyone but depa staff."""

        async def guarded(request: Request, viewer: Viewer) -> Response:
            if not viewer.is_depa:
                return self.notice("depa_only", status=403, viewer=viewer)
            return await page(request, viewer)

        return guarded
