"""The competition for depa: every stage that takes entries × every city, with each city's
state (submitted and its reference, late, not yet, past due), its file or link, and counts."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from bot.web.dashboard.site import Site
from db.repositories.organisations import list_cities
from db.repositories.submissions import current_submissions
from handlers.dashboard.service import Viewer
from handlers.deadlines.service import state_of
from handlers.submissions.service import stages_taking_entries


def routes(site: Site) -> list[BaseRoute]:
    """`/dashboard/competition`."""

    async def competition(request: Request, viewer: Viewer) -> Response:
        """depa only: stages × cities; a city executive is refused (403)."""
        async with site.app.sessions() as session:
            counts = await stages_taking_entries(session=session)
            handed = {
                (row.organisation.id, row.deadline.id): row.submission
                for row in await current_submissions(session=session)
            }
            cities = sorted(await list_cities(session=session), key=lambda city: city.slug)
        now = site.now()
        grid = {
            (city.id, deadline.id): (
                state_of(deadline, handed.get((city.id, deadline.id)), now),
                handed.get((city.id, deadline.id)),
            )
            for city in cities
            for deadline, _ in counts.stages
        }
        return site.page(
            request,
            viewer,
            "competition.html",
            stages=counts.stages,
            city_count=counts.cities,
            cities=cities,
            grid=grid,
        )

    return [site.route("/dashboard/competition", competition, depa=True)]
