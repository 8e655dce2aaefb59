"""Announcements from chat: depa staff write one (text → audience → preview → send).

The feature's router: routes and who may use them; every sub-command is a route of its own.
Use cases are in `service.py` (which `citybot announce` calls too), replies in `views.py`, the
flow's diagram in `flow.mmd`. A coordinator's announcement waits for an admin who is not its
author (the two-person rule); an admin's goes out at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.core.authz import ADMINS, DEPA_STAFF
from bot.core.context import Context
from bot.core.events import Event, TextReceived
from bot.core.replies import MAX_CARDS, Reply, Text
from bot.core.router import Router
from bot.delivery.announcements import parse_send_time, push_channels
from db.enums import Channel, OrganisationKind, Role
from db.models import Domain, Organisation
from db.repositories.organisations import list_domains, list_organisations
from handlers.announce import service, views
from handlers.announce.payloads import (
    Approve,
    AudiencePicked,
    CityPage,
    CityPicked,
    DomainPicked,
    Reject,
    Step,
    StepPressed,
)

router = Router("announce")

FLOW_TTL = timedelta(hours=1)  # long texts take a while to write
LIST_LIMIT = 10


class Announce(StrEnum):
    """Steps of writing an announcement."""

    AWAIT_TEXT = "announce.await_text"
    AWAIT_AUDIENCE = "announce.await_audience"
    AWAIT_CITY = "announce.await_city"
    PREVIEW = "announce.preview"
    AWAIT_TIME = "announce.await_time"


def channels(ctx: Context) -> tuple[Channel, ...]:
    """The channels this deployment can push announcements on."""
    return push_channels(ctx.services.settings)


def via(ctx: Context) -> str:
    """The channel an action came from, for the audit log."""
    return ctx.identity.channel.value


def draft(ctx: Context, *, needs_audience: bool = False) -> dict[str, Any] | None:
    """The announcement being written, if the sender is in the flow (and has chosen whom to)."""
    data = ctx.state.data
    in_flow = (ctx.state.step or "").startswith("announce.")
    if not in_flow or not isinstance(data.get("text"), str):
        return None
    if needs_audience and not isinstance(data.get("audience"), str):
        return None
    return data


def send_at(data: dict[str, Any]) -> datetime | None:
    """The chosen send time of a draft, if any."""
    at = data.get("at")
    return datetime.fromisoformat(at) if isinstance(at, str) else None


def stale(ctx: Context) -> list[Reply]:
    """A button of a flow that is over."""
    return [Text(text=ctx.t("announce.stale"))]


# --- writing ----------------------------------------------------------------------------------


async def take_text(ctx: Context, typed: str) -> list[Reply]:
    """Keep the text if it fits, then ask whom it goes to."""
    try:
        text = service.check_text(typed)
    except service.AnnounceError as problem:
        await ctx.state.go(Announce.AWAIT_TEXT, {}, ttl=FLOW_TTL)
        return views.error(ctx, problem)
    await ctx.state.go(Announce.AWAIT_AUDIENCE, {"text": text}, ttl=FLOW_TTL)
    return [views.audience_question(ctx)]


async def choose_audience(ctx: Context, spec: str) -> list[Reply]:
    """An audience was picked or typed: show the preview (or ask again if it names nothing)."""
    data = draft(ctx)
    if data is None:
        return stale(ctx)
    try:
        target = await service.target_of(session=ctx.session, spec=spec, channels=channels(ctx))
    except service.AnnounceError:
        await ctx.state.go(Announce.AWAIT_AUDIENCE, data, ttl=FLOW_TTL)
        return [views.audience_question(ctx)]
    data["audience"] = target.audience.spec
    await ctx.state.go(Announce.PREVIEW, data, ttl=FLOW_TTL)
    return views.preview(ctx, data["text"], target, send_at(data))


async def show_preview(ctx: Context, data: dict[str, Any]) -> list[Reply]:
    """The preview of the draft as it stands (its audience may have gone since it was chosen)."""
    try:
        target = await service.target_of(
            session=ctx.session, spec=data["audience"], channels=channels(ctx)
        )
    except service.AnnounceError:
        await ctx.state.go(Announce.AWAIT_AUDIENCE, data, ttl=FLOW_TTL)
        return [views.audience_question(ctx)]
    return views.preview(ctx, data["text"], target, send_at(data))


async def city_list(ctx: Context) -> list[Organisation]:
    """The cities, by name in the sender's language, for the picker."""
    cities = [
        o for o in await list_organisations(session=ctx.session) if o.kind is OrganisationKind.CITY
    ]
    return sorted(cities, key=lambda city: ctx.local(city, "name"))


async def ask_city(ctx: Context, page: int) -> list[Reply]:
    """Every city named in the text, and a page of them as buttons; any organisation typed."""
    if draft(ctx) is None:
        return stale(ctx)
    await ctx.state.go(Announce.AWAIT_CITY, ttl=FLOW_TTL)
    return [views.city_question(ctx, await city_list(ctx), page)]


def match_organisation(typed: str, organisations: list[Organisation]) -> Organisation | None:
    """The organisation a person means: its slug or full name, else the one name containing it.

    People type `ขอนแก่น` for จังหวัดขอนแก่น; a fragment that fits several names matches none.
    """
    wanted = " ".join(typed.split()).casefold()
    if not wanted:
        return None
    for organisation in organisations:
        names = {
            organisation.slug,
            organisation.name_th.casefold(),
            organisation.name_en.casefold(),
        }
        if wanted in names:
            return organisation
    containing = [
        organisation
        for organisation in organisations
        if wanted in organisation.name_th.casefold() or wanted in organisation.name_en.casefold()
    ]
    return containing[0] if len(containing) == 1 else None


async def submit(ctx: Context) -> list[Reply]:
    """Send (an admin's) or submit for approval (a coordinator's) what the preview showed."""
    data = draft(ctx, needs_audience=True)
    assert ctx.member is not None
    if data is None:
        return stale(ctx)
    arguments: dict[str, Any] = {
        "session": ctx.session,
        "text": data["text"],
        "spec": data["audience"],
        "at": send_at(data),
        "via": via(ctx),
        "texts": ctx.services.texts,
        "channels": channels(ctx),
        "now": ctx.now,
    }
    try:
        if ctx.member.role is Role.ADMIN:
            sent = await service.send(author=ctx.member, **arguments)
            reply = views.sent(ctx, sent)
        else:
            request = views.approval_request(ctx.member, ctx.services.zone)
            submitted = await service.submit(author=ctx.member, request=request, **arguments)
            reply = views.submitted(ctx, submitted)
    except service.AnnounceError as problem:
        if problem.reason == "past_time":
            await ctx.state.go(Announce.AWAIT_TIME, ttl=FLOW_TTL)
        return views.error(ctx, problem)
    await ctx.state.clear()
    return [reply]


@router.command("announce", access=DEPA_STAFF)
async def announce(_event: Event, ctx: Context) -> list[Reply]:
    """`/announce` writes one; `/announce TEXT` starts with its text."""
    try:
        service.require_channels(channels(ctx))
    except service.AnnounceError as problem:
        return views.error(ctx, problem)
    if ctx.args.strip():
        return await take_text(ctx, ctx.args)
    await ctx.state.go(Announce.AWAIT_TEXT, {}, ttl=FLOW_TTL)
    return [views.ask_text(ctx)]


@router.step(Announce.AWAIT_TEXT, access=DEPA_STAFF)
async def text_typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """The announcement's text."""
    return await take_text(ctx, event.text)


@router.step(Announce.AWAIT_AUDIENCE, access=DEPA_STAFF)
async def audience_typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """A spec such as `org:khon-kaen` typed instead of a button is taken; else asks again."""
    return await choose_audience(ctx, event.text)


@router.step(Announce.AWAIT_CITY, access=DEPA_STAFF)
async def city_typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """A city or organisation by slug or by name, in either language."""
    found = match_organisation(event.text, await list_organisations(session=ctx.session))
    if found is not None:
        return await choose_audience(ctx, f"org:{found.slug}")
    unknown = Text(text=ctx.t("announce.unknown_city", typed=event.text.strip()[:60]))
    return [unknown, *await ask_city(ctx, 0)]


@router.step(Announce.PREVIEW, access=DEPA_STAFF)
async def preview_typed(_event: TextReceived, ctx: Context) -> list[Reply]:
    """Typing at the preview shows it again: the buttons decide."""
    data = draft(ctx, needs_audience=True)
    return stale(ctx) if data is None else await show_preview(ctx, data)


@router.step(Announce.AWAIT_TIME, access=DEPA_STAFF)
async def time_typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """A send time, `25/12/2569 09:00` or ISO, Thailand time unless it says otherwise."""
    data = draft(ctx, needs_audience=True)
    if data is None:
        return stale(ctx)
    at = parse_send_time(event.text, ctx.services.zone)
    if at is None:
        return [Text(text=ctx.t("announce.bad_time", typed=event.text.strip()[:60]))]
    try:
        service.check_time(at, ctx.now)
    except service.AnnounceError as problem:
        return views.error(ctx, problem)
    data["at"] = at.isoformat()
    await ctx.state.go(Announce.PREVIEW, data, ttl=FLOW_TTL)
    return await show_preview(ctx, data)


@router.choice(StepPressed, access=DEPA_STAFF)
async def step_pressed(pressed: StepPressed, ctx: Context) -> list[Reply]:
    """The flow's buttons: the domain picker, send, schedule, discard."""
    match pressed.step:
        case Step.DISCARD:
            await ctx.state.clear()
            return [Text(text=ctx.t("announce.discarded"))]
        case Step.SEND:
            return await submit(ctx)
        case Step.SCHEDULE:
            if draft(ctx, needs_audience=True) is None:
                return stale(ctx)
            await ctx.state.go(Announce.AWAIT_TIME, ttl=FLOW_TTL)
            return [views.ask_time(ctx)]
        case Step.DOMAINS:
            if draft(ctx) is None:
                return stale(ctx)
            domains: list[Domain] = await list_domains(session=ctx.session)
            return [views.domain_question(ctx, domains)]


@router.choice(AudiencePicked, access=DEPA_STAFF)
async def audience_picked(picked: AudiencePicked, ctx: Context) -> list[Reply]:
    """Everyone, a role, or the entrants."""
    return await choose_audience(ctx, picked.spec)


@router.choice(CityPage, access=DEPA_STAFF)
async def city_page(page: CityPage, ctx: Context) -> list[Reply]:
    """A page of the city picker."""
    return await ask_city(ctx, page.page)


@router.choice(CityPicked, access=DEPA_STAFF)
async def city_picked(picked: CityPicked, ctx: Context) -> list[Reply]:
    """A city from the picker."""
    organisation = await ctx.session.get(Organisation, picked.organisation_id)
    return (
        stale(ctx)
        if organisation is None
        else await choose_audience(ctx, f"org:{organisation.slug}")
    )


@router.choice(DomainPicked, access=DEPA_STAFF)
async def domain_picked(picked: DomainPicked, ctx: Context) -> list[Reply]:
    """A domain from the picker."""
    domain = await ctx.session.get(Domain, picked.domain_id)
    return stale(ctx) if domain is None else await choose_audience(ctx, f"domain:{domain.slug}")


# --- approval, cancelling, reading --------------------------------------------------------------


async def decide(ctx: Context, typed_id: str, *, approve: bool) -> list[Reply]:
    """An admin approves (out now, or at its time) or rejects; the author is told either way."""
    try:
        decision = await service.decide(
            session=ctx.session,
            typed_id=typed_id,
            approve=approve,
            decider=ctx.member,
            via=via(ctx),
            texts=ctx.services.texts,
            channels=channels(ctx),
            now=ctx.now,
            tell_author=views.tell_author,
        )
    except service.AnnounceError as problem:
        return views.error(ctx, problem)
    return [views.decided(ctx, decision)]


@router.command("announce", sub="approve", access=ADMINS)
async def approve_typed(_event: Event, ctx: Context) -> list[Reply]:
    """`/announce approve ID`."""
    return await decide(ctx, ctx.args, approve=True)


@router.command("announce", sub="reject", access=ADMINS)
async def reject_typed(_event: Event, ctx: Context) -> list[Reply]:
    """`/announce reject ID`."""
    return await decide(ctx, ctx.args, approve=False)


@router.choice(Approve, access=ADMINS)
async def approve_pressed(pressed: Approve, ctx: Context) -> list[Reply]:
    """The approve button sent to admins."""
    return await decide(ctx, str(pressed.announcement_id), approve=True)


@router.choice(Reject, access=ADMINS)
async def reject_pressed(pressed: Reject, ctx: Context) -> list[Reply]:
    """The reject button sent to admins."""
    return await decide(ctx, str(pressed.announcement_id), approve=False)


@router.command("announce", sub="cancel", access=DEPA_STAFF)
async def cancel(_event: Event, ctx: Context) -> list[Reply]:
    """`/announce cancel ID`: authors withdraw their own, admins any, before it goes out."""
    try:
        withdrawn = await service.cancel(
            session=ctx.session, typed_id=ctx.args, actor=ctx.member, via=via(ctx), now=ctx.now
        )
    except service.AnnounceError as problem:
        return views.error(ctx, problem)
    return [Text(text=ctx.t("announce.cancelled", id=withdrawn.id))]


@router.command("announce", sub="status", access=DEPA_STAFF)
async def status(_event: Event, ctx: Context) -> list[Reply]:
    """`/announce status [ID]`: one announcement's delivery (the latest without a number)."""
    try:
        announcement, found = await service.delivery(session=ctx.session, typed_id=ctx.args)
    except service.AnnounceError as problem:
        return views.error(ctx, problem)
    target = await service.describe(session=ctx.session, spec=announcement.audience)
    return [views.status(ctx, announcement, found, target)]


@router.command("announce", sub="pending", access=ADMINS)
async def pending(_event: Event, ctx: Context) -> list[Reply]:
    """`/announce pending`: what awaits approval, each with approve and reject buttons."""
    found = await service.pending(session=ctx.session, limit=MAX_CARDS)
    if not found:
        return [Text(text=ctx.t("announce.pending_none"))]
    listed = [
        (
            announcement,
            author,
            await service.describe(session=ctx.session, spec=announcement.audience),
        )
        for announcement, author in found
    ]
    return [views.pending_cards(ctx, listed)]


@router.command("announce", sub="list", access=DEPA_STAFF)
async def recent(_event: Event, ctx: Context) -> list[Reply]:
    """`/announce list`: the newest announcements, as `citybot announce list` shows them."""
    return [views.recent_list(ctx, await service.recent(session=ctx.session, limit=LIST_LIMIT))]


@router.command("announce", sub="help", access=DEPA_STAFF)
async def usage(_event: Event, ctx: Context) -> list[Reply]:
    """`/announce help`: the sub-commands."""
    return [Text(text=ctx.t("announce.usage"))]
