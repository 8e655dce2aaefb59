"""depa's web dashboard: `/dashboard/…` pages behind a one-time link sent in chat.

Thin, as the CLI is: each page module reads through the features' services (progress,
submissions, announcements, offers, questions) and renders a template; sign-in and sessions are
`handlers/dashboard/service.py`, what pages share is `site.py`. On unless CITYBOT_DASHBOARD=0.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from bot.app import App
from bot.web.dashboard import (
    announcement_pages,
    audit_pages,
    city_pages,
    community_pages,
    competition_pages,
    export_pages,
    member_pages,
    partner_pages,
    progress_pages,
    question_pages,
    session_pages,
)
from bot.web.dashboard.site import Site


def dashboard_routes(app: App) -> list[BaseRoute]:
    """The dashboard's routes, or none when it is switched off."""
    if not app.settings.citybot_dashboard:
        return []
    site = Site(app)
    return [
        *session_pages.routes(site),
        *progress_pages.routes(site),
        *city_pages.routes(site),
        *competition_pages.routes(site),
        *export_pages.routes(site),
        *announcement_pages.routes(site),
        *partner_pages.routes(site),
        *question_pages.routes(site),
        *member_pages.routes(site),
        *audit_pages.routes(site),
        *community_pages.routes(site),
    ]
