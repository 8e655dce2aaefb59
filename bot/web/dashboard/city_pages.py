"""A city's page (plans, milestones, its timeline of reports, submissions and tickets) and the
evidence and entry files it links to, each served only to those who may see the city."""

from __future__ import annotations

from pathlib import PurePosixPath

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute

from bot.core.media import IMAGE_TYPES, MediaStore
from bot.web.dashboard.site import Site
from db.models import Organisation
from db.repositories.progress import city_history, update_with_city
from db.repositories.questions import tickets_with_askers
from db.repositories.submissions import current_submissions, submission_with_city
from handlers.dashboard.service import Viewer
from handlers.progress import service as progress
from handlers.progress.rules import ProgressError

TIMELINE_LENGTH = 100  # the latest reports; the workbook has every one
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


def routes(site: Site) -> list[BaseRoute]:
    """`/dashboard/cities/{slug}` and `/dashboard/files/{progress,submissions}/{id}`."""
    store = MediaStore.from_settings(site.app.settings)

    async def city(request: Request, viewer: Viewer) -> Response:
        """One city's page: depa any city, an executive their own (else 403)."""
        slug = request.path_params["slug"]
        async with site.app.sessions() as session:
            try:
                organisation = await progress.city_of(session=session, slug=slug)
            except ProgressError:
                return site.notice("not_found", status=404, viewer=viewer)
            if not viewer.may_see(organisation):
                return site.notice("forbidden", status=403, viewer=viewer)
            rows = await progress.city_milestones(session=session, organisation_id=organisation.id)
            history = await city_history(
                session=session, organisation_id=organisation.id, limit=TIMELINE_LENGTH
            )
            entries = await current_submissions(session=session, organisation_id=organisation.id)
            asked = await tickets_with_askers(session=session, organisation_id=organisation.id)
        return site.page(
            request,
            viewer,
            "city.html",
            city=organisation,
            rows=rows,
            history=history,
            entries=entries,
            # The questions' text too: only depa and the city's executives get this far.
            tickets=[ticket for ticket, _, _ in asked],
            images=IMAGE_TYPES,
        )

    def send(
        viewer: Viewer,
        organisation: Organisation,
        stored: str | None,
        content_type: str | None,
        name: str | None,
    ) -> Response:
        """A kept file to a viewer who may see its city; images inline, the rest downloaded."""
        if not viewer.may_see(organisation):
            return site.notice("forbidden", status=403, viewer=viewer)
        if stored is None or content_type is None:
            return site.notice("not_found", status=404, viewer=viewer)
        try:
            path = store.open_path(stored)
        except ValueError:
            return site.notice("not_found", status=404, viewer=viewer)
        if not path.is_file():
            return site.notice("not_found", status=404, viewer=viewer)
        image = content_type in IMAGE_TYPES
        return FileResponse(
            path,
            media_type=content_type,
            filename=name or PurePosixPath(stored).name,
            content_disposition_type="inline" if image else "attachment",
            headers=FILE_HEADERS,
        )

    async def evidence(request: Request, viewer: Viewer) -> Response:
        """The file backing a progress report."""
        async with site.app.sessions() as session:
            found = await update_with_city(
                session=session, update_id=request.path_params["update_id"]
            )
        if found is None:
            return site.notice("not_found", status=404, viewer=viewer)
        update, organisation = found
        return send(viewer, organisation, update.evidence_path, update.evidence_type, None)

    async def entry(request: Request, viewer: Viewer) -> Response:
        """The file a city handed in for a stage."""
        async with site.app.sessions() as session:
            found = await submission_with_city(
                session=session, submission_id=request.path_params["submission_id"]
            )
        if found is None:
            return site.notice("not_found", status=404, viewer=viewer)
        submission, organisation = found
        return send(
            viewer, organisation, submission.file_path, submission.file_type, submission.file_name
        )

    return [
        site.route("/dashboard/cities/{slug}", city),
        site.route("/dashboard/files/progress/{update_id:int}", evidence),
        site.route("/dashboard/files/submissions/{submission_id:int}", entry),
    ]
