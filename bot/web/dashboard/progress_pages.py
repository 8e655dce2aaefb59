"""The overview: every city × milestone for depa, with completion per domain and per city."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from bot.web.dashboard.charts import Bar, bar_chart
from bot.web.dashboard.site import Site
from db.enums import MilestoneStatus
from db.repositories.organisations import list_domains
from handlers.dashboard.service import Viewer
from handlers.progress import service as progress


def routes(site: Site) -> list[BaseRoute]:
    """`/dashboard`."""

    async def overview(request: Request, viewer: Viewer) -> Response:
        """depa: every city × milestone; a city executive goes to their city's page."""
        if not viewer.is_depa:
            return RedirectResponse(f"/dashboard/cities/{viewer.organisation.slug}", 303)
        async with site.app.sessions() as session:
            rows = await progress.progress_rows(session=session)
            domains = await list_domains(session=session)
        language = viewer.member.language.value
        t = site.services.texts.bind(viewer.member.language)
        columns: dict[str, str] = {}
        for row in rows:
            columns.setdefault(row.milestone.key, getattr(row.milestone, f"title_{language}"))
        summaries = progress.summarise(rows, site.now())
        by_domain = progress.per_domain(rows, domains)
        domain_chart = bar_chart(
            [
                Bar(
                    label=(
                        getattr(item.domain, f"name_{language}")
                        if item.domain is not None
                        else t("dashboard.charts.no_domain")
                    ),
                    percent=item.completion,
                    figure=f"{item.completion}% · {item.done}/{item.total}",
                )
                for item in by_domain
            ],
            title=t("dashboard.charts.per_domain"),
            chart_id="chart-domains",
        )
        city_chart = bar_chart(
            [
                Bar(
                    label=getattr(s.organisation, f"name_{language}"),
                    percent=s.completion,
                    figure=f"{s.completion}% · {s.done}/{s.total}",
                    href=f"/dashboard/cities/{s.organisation.slug}",
                )
                for s in summaries
            ],
            title=t("dashboard.charts.per_city"),
            chart_id="chart-cities",
        )
        return site.page(
            request,
            viewer,
            "overview.html",
            summaries=summaries,
            columns=list(columns.items()),
            cells={(row.organisation.id, row.milestone.key): row.milestone for row in rows},
            silent={s.organisation.id for s in summaries if progress.is_silent(s)},
            statuses=[status.value for status in MilestoneStatus],
            domain_chart=domain_chart,
            city_chart=city_chart,
        )

    return [site.route("/dashboard", overview)]
