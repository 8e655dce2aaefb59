"""The web fonts our pages use, served by the app itself: Thai must render on any machine.

A computer without Thai fonts shows every Thai character as a box, and our pages may fetch
nothing from elsewhere (their CSP is `font-src 'self'`), so the fonts ship in the package
(`static/fonts/`, where README.md says where they come from and OFL.txt is their licence).
"""

from __future__ import annotations

from importlib import resources
from pathlib import PurePath

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

FONTS_PATH = "/fonts"
FONT_MEDIA_TYPES = {".woff2": "font/woff2"}
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # A font changes only with its file name, so browsers may keep it for a day.
    "Cache-Control": "public, max-age=86400",
}


def _load_fonts() -> dict[str, bytes]:
    """Every font file in `static/fonts/` by name, read once (they ship as package data)."""
    folder = resources.files(__package__ or __name__).joinpath("static", "fonts")
    return {
        entry.name: entry.read_bytes()
        for entry in folder.iterdir()
        if PurePath(entry.name).suffix in FONT_MEDIA_TYPES
    }


def font_routes() -> list[Route]:
    """`GET /fonts/{name}`: only the font files the package ships, so no path leads elsewhere."""
    fonts = _load_fonts()

    async def font(request: Request) -> Response:
        """One font file with its media type, or 404."""
        name = request.path_params["name"]
        body = fonts.get(name)
        if body is None:
            return JSONResponse({"detail": "not found"}, status_code=404)
        media_type = FONT_MEDIA_TYPES[PurePath(name).suffix]
        return Response(body, media_type=media_type, headers=_HEADERS)

    return [Route(FONTS_PATH + "/{name}", font, methods=["GET"])]
