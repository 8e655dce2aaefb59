"""Community needs for depa staff: what members ask and write about, by domain and month, as
an SVG heat of domain × month with each domain's frequent words; no one's text is shown."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from bot.core.dates import format_month
from bot.nlu.understanding import understander_for
from bot.web.dashboard.site import Site
from handlers.community.service import community_needs
from handlers.dashboard.service import Viewer

WINDOW = timedelta(days=366)  # a year of months
CELL_WIDTH, CELL_HEIGHT, LABEL_WIDTH, HEAD_HEIGHT = 72, 28, 230, 28


def routes(site: Site) -> list[BaseRoute]:
    """`/dashboard/community`."""

    async def community(request: Request, viewer: Viewer) -> Response:
        """Counts by domain × month from the stored questions and messages of the last year."""
        understander = await understander_for(site.app.settings.content_dir)
        readers = {channel: adapter.event_from for channel, adapter in site.app.adapters.items()}
        async with site.app.sessions() as session:
            needs = await community_needs(
                session=session,
                understander=understander,
                readers=readers,
                zone=site.services.zone,
                since=site.now() - WINDOW,
            )
        return site.page(
            request,
            viewer,
            "community.html",
            needs=needs,
            month_labels={
                month: format_month(int(month[:4]), int(month[5:]), viewer.member.language)
                for month in needs.months
            },
            cell=(CELL_WIDTH, CELL_HEIGHT),
            label_width=LABEL_WIDTH,
            head_height=HEAD_HEIGHT,
            width=LABEL_WIDTH + CELL_WIDTH * max(len(needs.months), 1),
            height=HEAD_HEIGHT + CELL_HEIGHT * len(needs.domains),
        )

    return [site.route("/dashboard/community", community, depa=True)]
