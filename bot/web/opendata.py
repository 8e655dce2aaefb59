"""The open data of the City Data Platform: `GET /api/v1/progress.json`, `/api/v1/progress.csv`
and `/api/v1/datapackage.json`, the Frictionless Data Package a CKAN portal harvests them by.

Public and read-only: one record per city × milestone (`handlers.progress.records.open_record`),
nothing about people, the cities of CITYBOT_OPEN_DATA_WITHHELD left out. Every answer carries a
strong ETag of its bytes, so a harvester asking again with `If-None-Match` gets 304 and no body
until a milestone moves. With CITYBOT_OPEN_DATA off there are no such routes (404).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urljoin

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.app import App
from bot.core.csvfile import csv_bytes
from handlers.progress.records import OPEN_DATA_FIELDS, open_records, open_schema

PREFIX = "/api/v1/"
JSON_TYPE = "application/json"
CSV_TYPE = "text/csv"
MAX_AGE = 300  # seconds: milestones move a few times a day, harvesters come back daily
NAME = "smart-city-progress"
LICENSE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}


def _json(document: Any) -> bytes:
    """UTF-8 JSON with Thai as it is, keys in the order given (the ETag depends on the bytes)."""
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def _matches(header: str | None, etag: str) -> bool:
    """Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for GET)."""
    if header is None:
        return False
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in wanted or etag in wanted


def _cached(request: Request, body: bytes, media_type: str) -> Response:
    """`body` with its strong ETag, or 304 without it when the client holds these bytes."""
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={MAX_AGE}",
        # Open data: any web page may read it (a city's own dashboard, a journalist's chart).
        "Access-Control-Allow-Origin": "*",
    }
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, headers={**headers, "Content-Type": media_type})


def datapackage(*, base_url: str | None, schema: dict[str, Any]) -> dict[str, Any]:
    """The Frictionless Data Package describing both resources, paths absolute on `base_url`
    (PUBLIC_BASE_URL) or else relative to the descriptor, as the specification allows."""

    def path(name: str) -> str:
        return urljoin(f"{base_url.rstrip('/')}{PREFIX}", name) if base_url else name

    common = {"encoding": "utf-8", "profile": "tabular-data-resource", "schema": schema}
    return {
        "profile": "tabular-data-package",
        "name": NAME,
        "title": "Smart city plans: progress of Thailand's smart cities",
        "description": (
            "Each city of depa's smart-city programme and each milestone of its plans: where it "
            "stands, how far along, when it is due and when the city last reported. One record "
            "per city and milestone; nothing about the people who report."
        ),
        "keywords": ["smart city", "depa", "Thailand", "progress"],
        "licenses": [LICENSE],
        "resources": [
            {
                "name": "progress-csv",
                "title": "Progress (CSV)",
                "path": path("progress.csv"),
                "format": "csv",
                "mediatype": CSV_TYPE,
                **common,
                "dialect": {"delimiter": ",", "header": True},
            },
            {
                "name": "progress-json",
                "title": "Progress (JSON: an array of records)",
                "path": path("progress.json"),
                "format": "json",
                "mediatype": JSON_TYPE,
                **common,
            },
        ],
    }


def opendata_routes(app: App) -> list[Route]:
    """The three open-data routes, or none when CITYBOT_OPEN_DATA is off."""
    settings = app.settings
    if not settings.citybot_open_data:
        return []
    zone, withheld = settings.timezone, settings.open_data_withheld

    async def records() -> list[dict[str, Any]]:
        async with app.sessions() as session:
            return await open_records(session=session, zone=zone, withheld=withheld)

    async def progress_json(request: Request) -> Response:
        """Every record as a JSON array."""
        return _cached(request, _json(await records()), f"{JSON_TYPE}; charset=utf-8")

    async def progress_csv(request: Request) -> Response:
        """Every record as CSV with a header row."""
        body = csv_bytes(OPEN_DATA_FIELDS, await records())
        return _cached(request, body, f"{CSV_TYPE}; charset=utf-8")

    async def descriptor(request: Request) -> Response:
        """The data package describing the two resources."""
        document = datapackage(base_url=settings.public_base_url, schema=open_schema(zone))
        return _cached(request, _json(document), f"{JSON_TYPE}; charset=utf-8")

    return [
        Route(f"{PREFIX}progress.json", progress_json, methods=["GET"]),
        Route(f"{PREFIX}progress.csv", progress_csv, methods=["GET"]),
        Route(f"{PREFIX}datapackage.json", descriptor, methods=["GET"]),
    ]
