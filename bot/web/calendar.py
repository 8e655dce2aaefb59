"""The calendar feeds: `GET /calendar/competition.ics` (public) and `GET /calendar/{token}.ics`.

A token that is unknown, revoked or an erased member's is answered exactly as a path that does
not exist (Starlette's plain 404), so a feed's address reveals nothing about other addresses.
Both feeds take a fixed number of queries, whatever the data.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.app import App
from db.enums import Language
from handlers.calendar import service

MEDIA_TYPE = "text/calendar; charset=utf-8"
MAX_AGE = 300  # seconds; calendar apps refresh far less often than this


def _feed(body: bytes, *, private: bool, filename: str) -> Response:
    return Response(
        body,
        headers={
            "Content-Type": MEDIA_TYPE,
            "Cache-Control": f"{'private' if private else 'public'}, max-age={MAX_AGE}",
            "Content-Disposition": f'inline; filename="{filename}"',
        },
    )


def calendar_routes(app: App) -> list[Route]:
    """The two feed routes, reading through `app`'s sessions."""
    services = app.dispatcher.services

    async def competition(request: Request) -> Response:
        """The competition's stages; `?lang=en` for English titles, Thai otherwise."""
        language = Language.EN if request.query_params.get("lang") == "en" else Language.TH
        async with app.sessions() as session:
            body = await service.competition_calendar(
                session=session, texts=services.texts, language=language, zone=services.zone
            )
        return _feed(body, private=False, filename="competition.ics")

    async def member(request: Request) -> Response:
        """A member's private feed, or the same 404 as any unknown path."""
        token = request.path_params["token"]
        async with app.sessions() as session:
            body = await service.member_calendar(
                session=session, texts=services.texts, token=token, zone=services.zone
            )
        if body is None:
            raise HTTPException(status_code=404)
        return _feed(body, private=True, filename="citybot.ics")

    return [
        # Starlette tries routes in order: the fixed name before the token pattern.
        Route("/calendar/competition.ics", competition, methods=["GET"]),
        Route("/calendar/{token}.ics", member, methods=["GET"]),
    ]
