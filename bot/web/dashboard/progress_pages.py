"""The overview (every city × milestone, for depa) and a city's page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from bot.web.dashboard.site import Site
from db.enums import MilestoneStatus
from handlers.dashboard.service import Viewer
from handlers.progress import service as progress
from handlers.progress.rules import ProgressError
from handlers.progress.service import SILENT_DAYS


def routes(site: Site) -> list[BaseRoute]:
    """`/dashboard` and `/dashboard/cities/{slug}`."""

    async def overview(request: Request, viewer: Viewer) -> Response:
        """depa: every city × milestone; a city executive goes to their city's page."""
        if not viewer.is_depa:
            return RedirectResponse(f"/dashboard/cities/{viewer.organisation.slug}", 303)
        async with site.app.sessions() as session:
            rows = await progress.progress_rows(session=session)
        columns: dict[str, str] = {}
        for row in rows:
            title = getattr(row.milestone, f"title_{viewer.member.language.value}")
            columns.setdefault(row.milestone.key, title)
        summaries = progress.summarise(rows, site.now())
        silent = {
            s.organisation.id
            for s in summaries
            if s.days_silent is None or s.days_silent >= SILENT_DAYS
        }
        return site.page(
            request,
            viewer,
            "overview.html",
            summaries=summaries,
            columns=list(columns.items()),
            cells={(row.organisation.id, row.milestone.key): row.milestone for row in rows},
            silent=silent,
            statuses=[status.value for status in MilestoneStatus],
        )

    async def city(request: Request, viewer: Viewer) -> Response:
        """One city's plans and milestones: depa any city, an executive their own (else 403)."""
        slug = request.path_params["slug"]
        async with site.app.sessions() as session:
            try:
                organisation = await progress.city_of(session=session, slug=slug)
            except ProgressError:
                return site.notice("not_found", status=404, viewer=viewer)
            if not viewer.may_see(organisation):
                return site.notice("forbidden", status=403, viewer=viewer)
            rows = await progress.city_milestones(session=session, organisation_id=organisation.id)
        return site.page(request, viewer, "city.html", city=organisation, rows=rows)

    return [
        site.route("/dashboard", overview),
        site.route("/dashboard/cities/{slug}", city),
    ]
