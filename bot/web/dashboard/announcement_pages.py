"""Announcements at a desk: compose with a live count per channel, the approval queue under the
two-person rule, cancelling, and delivery per channel while it goes out.

Every step is `handlers/announce/service.py`'s, as chat's `/announce` takes it: a coordinator's
waits for another admin, an admin's goes at once (or at its time); the admins are asked and the
author told in chat, in words the chat's own views write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from bot.core.dates import format_datetime
from bot.core.texts import Translator
from bot.delivery.announcements import (
    MAX_TEXT_LENGTH,
    AnnouncementStats,
    parse_send_time,
    push_channels,
)
from bot.web.dashboard import desk
from bot.web.dashboard.site import Site
from db.enums import AnnouncementStatus, Channel, Role
from db.models import Announcement, Member
from db.repositories.audiences import Audience
from db.repositories.organisations import list_domains, list_organisations
from handlers.announce import service, views
from handlers.announce.payloads import AUDIENCE_BUTTONS
from handlers.dashboard.service import Viewer

PATH = "/dashboard/announcements"
VIA = "dashboard"  # where the audit log says an action came from
RECENT = 10  # announcements whose delivery is shown
QUEUE = 50  # awaiting approval, shown at most
REFRESH_SECONDS = 10  # how often the page reloads itself while something is being sent
DONE = frozenset({"sent", "scheduled", "submitted", "approved", "rejected", "cancelled"})
ACTS = frozenset({"approve", "reject", "cancel"})
Options = list[tuple[str, list[tuple[str, str]]]]


@dataclass(frozen=True, slots=True)
class Draft:
    """The compose form as typed: kept on the page after a preview or a refusal."""

    text: str = ""
    audience: str = "all"
    at: str = ""  # `YYYY-MM-DDTHH:MM` in Bangkok time, as a datetime-local field sends it


@dataclass(frozen=True, slots=True)
class Preview:
    """Whom the draft reaches now: its audience in words, people per channel, who is skipped."""

    audience: str
    people: dict[Channel, int]
    blocked: dict[Channel, int]
    unreachable: int
    at: datetime | None

    @property
    def total(self) -> int:
        """Everyone it reaches."""
        return sum(self.people.values())


@dataclass(frozen=True, slots=True)
class Queued:
    """An announcement awaiting approval, its author and audience in words, and whether this
    viewer may decide on it (an admin who is not its author)."""

    announcement: Announcement
    author: Member | None
    audience: str
    decides: bool


@dataclass(frozen=True, slots=True)
class Delivered:
    """A recent announcement, its audience in words, its delivery so far, and whether this
    viewer may still cancel it."""

    announcement: Announcement
    audience: str
    stats: AnnouncementStats
    cancellable: bool

    @property
    def sending(self) -> bool:
        """Still going out: the page reloads itself until it is done."""
        return self.stats.total.pending > 0 or self.stats.status is AnnouncementStatus.SENDING


def name_of(t: Translator, item: Any) -> str:
    """An organisation's or domain's name in the translator's language."""
    return str(getattr(item, f"name_{t.language.value}"))


async def audience_options(session: AsyncSession, t: Translator) -> Options:
    """The audience picker, (group, [(spec, words)]): chat's buttons, then every organisation
    and every domain, as `citybot announce send --audience` takes them."""
    common = [
        (Audience(kind, value or None).spec, t(f"announce.choose.{key}"))
        for key, kind, value in AUDIENCE_BUTTONS
    ]
    organisations = sorted(await list_organisations(session=session), key=lambda o: name_of(t, o))
    domains = await list_domains(session=session)
    return [
        (t("dashboard.announcements_page.common"), common),
        (t("announce.choose.city"), [(f"org:{o.slug}", name_of(t, o)) for o in organisations]),
        (t("announce.choose.domain"), [(f"domain:{d.slug}", name_of(t, d)) for d in domains]),
    ]


def refused(site: Site, t: Translator, problem: service.AnnounceError) -> str:
    """An AnnounceError in the viewer's words, as chat says it."""
    params = dict(problem.params)
    if isinstance(params.get("status"), AnnouncementStatus):
        params["status"] = views.state_name(t, params["status"])
    if isinstance(params.get("at"), datetime):
        params["when"] = format_datetime(params.pop("at"), t.language, site.services.zone)
    for name in ("length", "limit"):
        if isinstance(params.get(name), int):
            params[name] = f"{params[name]:,}"
    return t(f"announce.errors.{problem.reason}", **params)


def routes(site: Site) -> list[BaseRoute]:
    """`/dashboard/announcements` (compose, preview, send) and each one's approve, reject and
    cancel."""

    def channels() -> tuple[Channel, ...]:
        return push_channels(site.services.settings)

    async def delivered(
        session: AsyncSession, t: Translator, viewer: Viewer, announcement: Announcement
    ) -> Delivered:
        _, stats = await service.delivery(session=session, typed_id=str(announcement.id))
        target = await service.describe(session=session, spec=announcement.audience)
        may_cancel = viewer.member.role is Role.ADMIN or (
            announcement.author_member_id == viewer.member.id
        )
        return Delivered(
            announcement,
            views.target_words(t, target),
            stats,
            may_cancel and announcement.status in service.UNRELEASED,
        )

    async def page(
        request: Request,
        viewer: Viewer,
        *,
        draft: Draft | None = None,
        preview: Preview | None = None,
        problem: str | None = None,
        status: int = 200,
    ) -> Response:
        """The page: compose (with a preview or a refusal), the queue, recent deliveries."""
        t = desk.translator(site, viewer)
        admin = viewer.member.role is Role.ADMIN
        async with site.app.sessions() as session, session.begin():
            options = await audience_options(session, t)
            queue = [
                Queued(
                    announcement,
                    author,
                    views.target_words(
                        t, await service.describe(session=session, spec=announcement.audience)
                    ),
                    admin and announcement.author_member_id != viewer.member.id,
                )
                for announcement, author in await service.pending(session=session, limit=QUEUE)
            ]
            recent = [
                await delivered(session, t, viewer, announcement)
                for announcement in await service.recent(session=session, limit=RECENT)
            ]
        response = site.page(
            request,
            viewer,
            "announcements.html",
            status=status,
            draft=draft or Draft(),
            preview=preview,
            problem=problem,
            done=desk.outcome(request, t, "announcements_page", DONE),
            options=options,
            queue=queue,
            recent=recent,
            limit=MAX_TEXT_LENGTH,
            admin=admin,
            channels=channels(),
        )
        if any(item.sending for item in recent):
            response.headers["Refresh"] = str(REFRESH_SECONDS)
        return response

    async def previewed(t: Translator, draft: Draft, at: datetime | None) -> Preview:
        """What chat's preview checks and counts; nothing is stored."""
        service.require_channels(channels())
        service.check_text(draft.text)
        service.check_time(at, site.now())
        async with site.app.sessions() as session:
            target = await service.target_of(
                session=session, spec=draft.audience, channels=channels()
            )
        assert target.resolution is not None  # target_of resolves
        return Preview(
            audience=views.target_words(t, target),
            people=target.resolution.people_by_channel(),
            blocked=dict(target.resolution.blocked),
            unreachable=target.resolution.unreachable,
            at=at,
        )

    async def send(viewer: Viewer, draft: Draft, at: datetime | None) -> Response:
        """An admin's goes out (or waits for its time); a coordinator's waits for an admin."""
        arguments: dict[str, Any] = {
            "text": draft.text,
            "spec": draft.audience,
            "at": at,
            "via": VIA,
            "texts": site.services.texts,
            "channels": channels(),
            "now": site.now(),
        }
        async with site.app.sessions() as session, session.begin():
            if viewer.member.role is Role.ADMIN:
                sent = await service.send(session=session, author=viewer.member, **arguments)
                outcome = "scheduled" if sent.report is None else "sent"
                return desk.done(PATH, outcome, sent.announcement.id)
            request = views.approval_request(viewer.member, site.services.zone)
            submitted = await service.submit(
                session=session, author=viewer.member, request=request, **arguments
            )
        return desk.done(PATH, "submitted", submitted.announcement.id)

    async def announcements(request: Request, viewer: Viewer) -> Response:
        """GET shows the page; POST previews the draft (`act=preview`) or sends it."""
        if request.method == "GET":
            return await page(request, viewer)
        form = await request.form()
        draft = Draft(
            desk.field(form, "text"),
            desk.field(form, "audience"),
            desk.field(form, "at").strip(),
        )
        t = desk.translator(site, viewer)
        at = parse_send_time(draft.at, site.services.zone) if draft.at else None
        if draft.at and at is None:
            problem = t("dashboard.announcements_page.bad_time")
            return await page(request, viewer, draft=draft, problem=problem, status=400)
        try:
            if desk.field(form, "act") == "send":
                return await send(viewer, draft, at)
            preview = await previewed(t, draft, at)
        except service.AnnounceError as problem:
            words = refused(site, t, problem)
            return await page(request, viewer, draft=draft, problem=words, status=400)
        return await page(request, viewer, draft=draft, preview=preview)

    async def act(request: Request, viewer: Viewer) -> Response:
        """Approve or reject (admins, not their own), or cancel (the author, or an admin)."""
        number, verb = request.path_params["id"], request.path_params["act"]
        if verb not in ACTS:
            return site.notice("not_found", status=404, viewer=viewer)
        now = site.now()
        try:
            async with site.app.sessions() as session, session.begin():
                if verb == "cancel":
                    await service.cancel(
                        session=session,
                        typed_id=str(number),
                        actor=viewer.member,
                        via=VIA,
                        now=now,
                    )
                    return desk.done(PATH, "cancelled", number)
                await service.decide(
                    session=session,
                    typed_id=str(number),
                    approve=verb == "approve",
                    decider=viewer.member,
                    via=VIA,
                    texts=site.services.texts,
                    channels=channels(),
                    now=now,
                    tell_author=views.tell_author,
                )
        except service.AnnounceError as problem:
            words = refused(site, desk.translator(site, viewer), problem)
            return await page(request, viewer, problem=words, status=409)
        return desk.done(PATH, "approved" if verb == "approve" else "rejected", number)

    return [
        site.route(PATH, announcements, ("GET", "POST"), depa=True),
        site.route(f"{PATH}/{{id:int}}/{{act}}", act, ("POST",), depa=True),
    ]
