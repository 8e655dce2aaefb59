"""Downloads for depa: the progress workbook and CSV, the submissions CSV and the ticket
statistics, each the feature's own export, each download audited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from bot.web.dashboard.site import Site
from db.repositories import audit
from handlers.dashboard.service import Viewer
from handlers.progress.records import progress_csv
from handlers.progress.report import workbook
from handlers.questions.records import ticket_statistics_csv
from handlers.submissions.service import submissions_csv

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"

Export = Callable[[AsyncSession, Viewer], Awaitable[bytes]]


def routes(site: Site) -> list[BaseRoute]:
    """`/dashboard/export/{progress.xlsx,progress.csv,submissions.csv,tickets.csv}`."""
    zone = site.services.zone

    def download(name: str, media_type: str, export: Export) -> BaseRoute:
        """A route serving `export`'s bytes as the attachment `name`, to depa, audited."""

        async def page(_request: Request, viewer: Viewer) -> Response:
            async with site.app.sessions() as session, session.begin():
                body = await export(session, viewer)
                await audit.record(
                    session=session,
                    action="dashboard.export",
                    now=site.now(),
                    actor_member_id=viewer.member.id,
                    target=name,
                )
            return Response(
                body,
                media_type=media_type,
                headers={
                    "Content-Disposition": f'attachment; filename="{name}"',
                    "Cache-Control": "no-store",
                    "X-Content-Type-Options": "nosniff",
                },
            )

        return site.route(f"/dashboard/export/{name}", page, depa=True)

    async def progress_book(session: AsyncSession, viewer: Viewer) -> bytes:
        t = site.services.texts.bind(viewer.member.language)
        return await workbook(session=session, now=site.now(), zone=zone, t=t)

    async def progress_table(session: AsyncSession, _viewer: Viewer) -> bytes:
        return await progress_csv(session=session, now=site.now(), zone=zone)

    async def entries(session: AsyncSession, _viewer: Viewer) -> bytes:
        return await submissions_csv(session=session, zone=zone)

    async def tickets(session: AsyncSession, _viewer: Viewer) -> bytes:
        return await ticket_statistics_csv(session=session)

    return [
        download("progress.xlsx", XLSX, progress_book),
        download("progress.csv", CSV, progress_table),
        download("submissions.csv", CSV, entries),
        download("tickets.csv", CSV, tickets),
    ]
