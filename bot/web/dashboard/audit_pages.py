"""The audit log for depa staff: newest first, fifty a page, filtered by action (a prefix such
as `dashboard.`), by who acted and by Bangkok dates; details shown as escaped JSON."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from bot.web.dashboard.site import Site
from db.repositories import audit
from handlers.dashboard.service import Viewer

PAGE_SIZE = 50
FILTERS = ("action", "actor", "since", "until")


def day_start(text: str, zone: ZoneInfo) -> datetime | None:
    """The start of a `YYYY-MM-DD` day in `zone`; None for an empty field. ValueError if bad."""
    if not text:
        return None
    return datetime.combine(date.fromisoformat(text), time(), tzinfo=zone)


def routes(site: Site) -> list[BaseRoute]:
    """`/dashboard/audit`."""

    async def log(request: Request, viewer: Viewer) -> Response:
        """One page of the filtered log; a date that is not a date is a 400 with the form."""
        asked = {name: request.query_params.get(name, "").strip() for name in FILTERS}
        page = max(int(p) if (p := request.query_params.get("page", "1")).isdigit() else 1, 1)
        actor = int(asked["actor"]) if asked["actor"].isdigit() else None
        zone = site.services.zone
        try:
            since = day_start(asked["since"], zone)
            until_day = day_start(asked["until"], zone)
        except ValueError:
            since = until_day = None
            bad_date = True
        else:
            bad_date = False
        until = until_day + timedelta(days=1) if until_day else None  # the whole last day
        async with site.app.sessions() as session:
            entries, total = await audit.page_of_entries(
                session=session,
                action_prefix=asked["action"] or None,
                actor_member_id=actor,
                since=since,
                until=until,
                offset=(page - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
            )
            actors = await audit.actors(session=session)
        names = {m.id: m for m in actors}
        kept = {name: value for name, value in asked.items() if value}
        return site.page(
            request,
            viewer,
            "audit.html",
            status=400 if bad_date else 200,
            entries=[
                (e, json.dumps(e.details, ensure_ascii=False, sort_keys=True)) for e in entries
            ],
            total=total,
            asked=asked,
            actors=actors,
            names=names,
            bad_date=bad_date,
            newer=urlencode({**kept, "page": page - 1}) if page > 1 else None,
            older=urlencode({**kept, "page": page + 1}) if page * PAGE_SIZE < total else None,
        )

    return [site.route("/dashboard/audit", log, depa=True)]
