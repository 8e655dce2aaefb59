"""Announcements from chat: depa staff write one (text → audience → preview → send).

A coordinator's announcement waits for an admin who is not its author (the two-person rule); an
admin's goes out at once. Admins decide from the buttons sent to them or with `/announce approve`.
Flow diagram: handlers/announce.mmd.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.core.authz import DEPA_STAFF
from bot.core.context import Context
from bot.core.dates import format_datetime
from bot.core.events import Event, TextReceived
from bot.core.replies import (
    MAX_CARDS,
    MAX_CHOICES,
    Button,
    Card,
    Cards,
    Choice,
    Choices,
    Reply,
    Text,
)
from bot.core.router import Router
from bot.core.texts import Translator
from bot.delivery.announcements import (
    MAX_TEXT_LENGTH,
    AnnouncementStats,
    announcement_text,
    parse_send_time,
    push_channels,
    release,
    stats,
)
from bot.delivery.notices import notify_members
from db.enums import AnnouncementStatus, OrganisationKind, Role
from db.models import Announcement, Competition, Domain, Organisation
from db.repositories import announcements as announcement_repo
from db.repositories import audit
from db.repositories.audiences import (
    Audience,
    AudienceError,
    AudienceKind,
    Resolution,
    audience_subject,
    parse_audience,
    resolve_audience,
)
from db.repositories.members import get_member
from db.repositories.organisations import list_domains, list_organisations
from handlers.materials import shorten

router = Router("announce")

FLOW_TTL = timedelta(hours=1)  # long texts take a while to write
PAYLOAD = "ann"
MAX_PAYLOAD = 40
# The audience buttons: the text under `announce.choose`, and the audience spec.
AUDIENCE_CHOICES = (
    ("all", "all"),
    ("executives", "role:executive"),
    ("officers", "role:officer"),
    ("partners", "role:partner"),
    ("entrants", "entrants"),
)


class Announce(StrEnum):
    """Steps of writing an announcement."""

    AWAIT_TEXT = "announce.await_text"
    AWAIT_AUDIENCE = "announce.await_audience"
    AWAIT_CITY = "announce.await_city"
    PREVIEW = "announce.preview"
    AWAIT_TIME = "announce.await_time"


Subject = Organisation | Domain | Competition


@dataclass(frozen=True, slots=True)
class Target:
    """An audience with what it names (for words) and whom it reaches now (for counts)."""

    audience: Audience
    subject: Subject | None
    resolution: Resolution | None = None

    @property
    def count(self) -> str:
        """How many people it reaches, as shown."""
        return f"{len(self.resolution.recipients) if self.resolution else 0:,}"

    def words(self, t: Translator) -> str:
        """The audience as people say it, in the translator's language."""
        name = self.audience.value or ""
        if self.subject is not None:
            field = "title" if isinstance(self.subject, Competition) else "name"
            name = str(getattr(self.subject, f"{field}_{t.language.value}"))
        match self.audience.kind:
            case AudienceKind.ALL:
                return t("announce.audience.all")
            case AudienceKind.ROLE:
                return t("announce.audience.role", role=t(f"roles.{self.audience.value}"))
            case AudienceKind.ORG:
                return t("announce.audience.org", organisation=name)
            case AudienceKind.DOMAIN:
                return t("announce.audience.domain", domain=name)
            case AudienceKind.ENTRANTS:
                if self.audience.value is None:
                    return t("announce.audience.entrants")
                return t("announce.audience.entrants_of", competition=name)


async def target_of(ctx: Context, spec: str, *, resolve: bool = True) -> Target:
    """The target of an audience spec; AudienceError if it names nothing we know."""
    audience = parse_audience(spec)
    resolution = None
    if resolve:
        resolution = await resolve_audience(
            session=ctx.session, audience=audience, channels=push_channels(ctx.services.settings)
        )
    subject = await audience_subject(session=ctx.session, audience=audience)
    return Target(audience, subject, resolution)


def state_name(ctx: Context, status: AnnouncementStatus) -> str:
    """An announcement's status in words."""
    return ctx.t(f"announce.states.{status.value}")


def discard_choice(ctx: Context) -> Choice:
    """The way out of the flow, offered at every step."""
    return Choice(label=ctx.t("announce.discard"), payload=f"{PAYLOAD}:discard")


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


async def find(ctx: Context, typed: str) -> Announcement | None:
    """The announcement whose number was typed (`12` or `#12`)."""
    number = typed.strip().lstrip("#")
    if not number.isdigit():
        return None
    return await announcement_repo.get_announcement(
        session=ctx.session, announcement_id=int(number)
    )


def stale(ctx: Context) -> list[Reply]:
    """A button of a flow that is over."""
    return [Text(text=ctx.t("announce.stale"))]


# --- writing ----------------------------------------------------------------------------------


async def ask_text(ctx: Context) -> list[Reply]:
    """Start: ask for the text."""
    await ctx.state.go(Announce.AWAIT_TEXT, {}, ttl=FLOW_TTL)
    return [
        Choices(
            text=ctx.t("announce.ask_text", limit=f"{MAX_TEXT_LENGTH:,}"),
            options=(discard_choice(ctx),),
        )
    ]


async def take_text(ctx: Context, typed: str) -> list[Reply]:
    """Keep the text if it fits, then ask whom it goes to."""
    text = typed.strip()
    if len(text) > MAX_TEXT_LENGTH:
        await ctx.state.go(Announce.AWAIT_TEXT, {}, ttl=FLOW_TTL)
        return [
            Text(
                text=ctx.t(
                    "announce.too_long", length=f"{len(text):,}", limit=f"{MAX_TEXT_LENGTH:,}"
                )
            )
        ]
    await ctx.state.go(Announce.AWAIT_AUDIENCE, {"text": text}, ttl=FLOW_TTL)
    return [audience_question(ctx)]


def audience_question(ctx: Context) -> Choices:
    """Whom to: the common audiences, then domain and city pickers."""
    options = [
        Choice(label=ctx.t(f"announce.choose.{key}"), payload=f"{PAYLOAD}:aud:{spec}")
        for key, spec in AUDIENCE_CHOICES
    ]
    options += [
        Choice(label=ctx.t("announce.choose.domain"), payload=f"{PAYLOAD}:domains"),
        Choice(label=ctx.t("announce.choose.city"), payload=f"{PAYLOAD}:cities"),
        discard_choice(ctx),
    ]
    return Choices(text=ctx.t("announce.ask_audience"), options=tuple(options))


async def ask_domain(ctx: Context) -> list[Reply]:
    """The seven domains as buttons."""
    if draft(ctx) is None:
        return stale(ctx)
    domains = await list_domains(session=ctx.session)
    options = [
        Choice(label=ctx.local(domain, "name"), payload=f"{PAYLOAD}:aud:domain:{domain.slug}")
        for domain in domains[: MAX_CHOICES - 1]
    ]
    return [Choices(text=ctx.t("announce.ask_domain"), options=(*options, discard_choice(ctx)))]


async def ask_city(ctx: Context) -> list[Reply]:
    """Every city by name and slug; the first few as buttons, any organisation typed."""
    if draft(ctx) is None:
        return stale(ctx)
    await ctx.state.go(Announce.AWAIT_CITY, ttl=FLOW_TTL)
    cities = sorted(
        (
            o
            for o in await list_organisations(session=ctx.session)
            if o.kind is OrganisationKind.CITY
        ),
        key=lambda city: ctx.local(city, "name"),
    )
    listed = "\n".join(f"• {ctx.local(city, 'name')} ({city.slug})" for city in cities)
    payloads = [(city, f"{PAYLOAD}:aud:org:{city.slug}") for city in cities]
    options = [
        Choice(label=ctx.local(city, "name"), payload=payload)
        for city, payload in payloads
        if len(payload) <= MAX_PAYLOAD
    ][: MAX_CHOICES - 1]
    return [
        Choices(
            text=ctx.t("announce.ask_city", organisations=listed),
            options=(*options, discard_choice(ctx)),
        )
    ]


async def choose_audience(ctx: Context, spec: str) -> list[Reply]:
    """An audience was picked or typed: show the preview (or ask again if it names nothing)."""
    data = draft(ctx)
    if data is None:
        return stale(ctx)
    try:
        target = await target_of(ctx, spec)
    except AudienceError:
        return [audience_question(ctx)]
    data["audience"] = target.audience.spec
    await ctx.state.go(Announce.PREVIEW, data, ttl=FLOW_TTL)
    return preview(ctx, data, target)


def preview(ctx: Context, data: dict[str, Any], target: Target) -> list[Reply]:
    """The text as it will appear, whom it goes to in words, how many, and what next."""
    assert ctx.member is not None
    assert target.resolution is not None
    at = send_at(data)
    skipped = ""
    if target.resolution.blocked_total or target.resolution.unreachable:
        skipped = ctx.t(
            "announce.preview_skipped",
            blocked=f"{target.resolution.blocked_total:,}",
            unreachable=f"{target.resolution.unreachable:,}",
        )
    if ctx.member.role is not Role.ADMIN:
        send_key = "announce.send_for_approval"
    else:
        send_key = "announce.confirm_schedule" if at else "announce.send_now"
    options = (
        Choice(label=ctx.t(send_key), payload=f"{PAYLOAD}:send"),
        Choice(
            label=ctx.t("announce.change_time" if at else "announce.schedule"),
            payload=f"{PAYLOAD}:schedule",
        ),
        discard_choice(ctx),
    )
    question = ctx.t(
        "announce.preview",
        audience=target.words(ctx.t),
        count=target.count,
        skipped=skipped,
        when=ctx.t("announce.preview_when", when=ctx.when(at)) if at else "",
    )
    return [
        Text(text=announcement_text(ctx.services.texts, ctx.language, data["text"])),
        Choices(text=question, options=options),
    ]


async def show_preview(ctx: Context, data: dict[str, Any]) -> list[Reply]:
    """The preview of the draft as it stands (its audience was checked when chosen)."""
    try:
        target = await target_of(ctx, data["audience"])
    except AudienceError:  # removed since it was chosen
        await ctx.state.go(Announce.AWAIT_AUDIENCE, ttl=FLOW_TTL)
        return [audience_question(ctx)]
    return preview(ctx, data, target)


async def ask_time(ctx: Context) -> list[Reply]:
    """Schedule: ask when."""
    data = draft(ctx, needs_audience=True)
    if data is None:
        return stale(ctx)
    await ctx.state.go(Announce.AWAIT_TIME, ttl=FLOW_TTL)
    return [Choices(text=ctx.t("announce.ask_time"), options=(discard_choice(ctx),))]


async def discard(ctx: Context) -> list[Reply]:
    """Leave the flow; nothing was stored."""
    await ctx.state.clear()
    return [Text(text=ctx.t("announce.discarded"))]


@router.step(Announce.AWAIT_TEXT, access=DEPA_STAFF)
async def text_typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """The announcement's text."""
    return await take_text(ctx, event.text)


@router.step(Announce.AWAIT_AUDIENCE, access=DEPA_STAFF)
async def audience_typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """A spec such as `org:khon-kaen` typed instead of a button is taken; else asks again."""
    return await choose_audience(ctx, event.text)


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


@router.step(Announce.AWAIT_CITY, access=DEPA_STAFF)
async def city_typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """A city or organisation by slug or by name, in either language."""
    organisations = await list_organisations(session=ctx.session)
    found = match_organisation(event.text, organisations)
    if found is not None:
        return await choose_audience(ctx, f"org:{found.slug}")
    return [
        Text(text=ctx.t("announce.unknown_city", typed=event.text.strip()[:60])),
        *await ask_city(ctx),
    ]


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
    if at <= ctx.now:
        return [Text(text=ctx.t("announce.past_time", when=ctx.when(at)))]
    data["at"] = at.isoformat()
    await ctx.state.go(Announce.PREVIEW, data, ttl=FLOW_TTL)
    return await show_preview(ctx, data)


# --- sending and approval ---------------------------------------------------------------------


async def store(
    ctx: Context,
    text: str,
    target: Target,
    at: datetime | None,
    status: AnnouncementStatus,
    *,
    approved_by: int | None = None,
) -> Announcement:
    """Store the sender's announcement to `target`; its status depends on the sender's role."""
    assert ctx.member is not None
    return await announcement_repo.create_announcement(
        session=ctx.session,
        author_member_id=ctx.member.id,
        text=text,
        audience=target.audience.spec,
        status=status,
        now=ctx.now,
        approved_by_member_id=approved_by,
        scheduled_at=at,
    )


async def audit_action(
    ctx: Context, action: str, announcement: Announcement, **details: Any
) -> None:
    """Audit what the sender did to `announcement`, and from which channel."""
    assert ctx.member is not None
    await audit.record(
        session=ctx.session,
        action=action,
        now=ctx.now,
        actor_member_id=ctx.member.id,
        target=f"announcement:{announcement.id}",
        details={"via": ctx.identity.channel.value, **details},
    )


async def notify(
    ctx: Context,
    announcement: Announcement,
    member_ids: Collection[int],
    compose: Callable[[Translator], list[Reply]],
    step: str,
) -> int:
    """Tell `member_ids` about `announcement` on their chat apps, once per `step` of its life."""
    return await notify_members(
        session=ctx.session,
        member_ids=member_ids,
        texts=ctx.services.texts,
        compose=compose,
        now=ctx.now,
        channels=push_channels(ctx.services.settings),
        tag=f"ann:{announcement.id}:{step}",
    )


async def submit(ctx: Context) -> list[Reply]:
    """Send (an admin's) or submit for approval (a coordinator's) what the preview showed."""
    data = draft(ctx, needs_audience=True)
    assert ctx.member is not None
    if data is None:
        return stale(ctx)
    at = send_at(data)
    if at is not None and at <= ctx.now:
        await ctx.state.go(Announce.AWAIT_TIME, ttl=FLOW_TTL)
        return [Text(text=ctx.t("announce.past_time", when=ctx.when(at)))]
    target = await target_of(ctx, data["audience"])
    await ctx.state.clear()
    if ctx.member.role is Role.ADMIN:
        return await send_as_admin(ctx, data["text"], target, at)
    return await submit_for_approval(ctx, data["text"], target, at)


async def send_as_admin(
    ctx: Context, text: str, target: Target, at: datetime | None
) -> list[Reply]:
    """An admin's announcement is approved by its author: out now, or at its time."""
    assert ctx.member is not None
    status = AnnouncementStatus.SCHEDULED if at else AnnouncementStatus.APPROVED
    announcement = await store(ctx, text, target, at, status, approved_by=ctx.member.id)
    await audit_action(
        ctx,
        "announce.send",
        announcement,
        audience=announcement.audience,
        scheduled_at=at.isoformat() if at else None,
    )
    if at is not None:
        text = ctx.t("announce.scheduled", id=announcement.id, when=ctx.when(at))
        return [Text(text=text)]
    report = await release_now(ctx, announcement)
    return [Text(text=ctx.t("announce.queued", id=announcement.id, count=report))]


async def release_now(ctx: Context, announcement: Announcement) -> str:
    """Queue an approved announcement; how many people it goes to, as shown."""
    report = await release(
        session=ctx.session,
        announcement=announcement,
        now=ctx.now,
        texts=ctx.services.texts,
        channels=push_channels(ctx.services.settings),
    )
    return f"{report.people_total:,}"


def approval_request(
    ctx: Context, announcement: Announcement, target: Target
) -> Callable[[Translator], list[Reply]]:
    """The message that asks each admin, in their language, to approve or reject."""
    assert ctx.member is not None
    author = ctx.member.display_name
    zone = ctx.services.zone

    def compose(t: Translator) -> list[Reply]:
        at = announcement.scheduled_at
        when = t("announce.preview_when", when=format_datetime(at, t.language, zone)) if at else ""
        question = t(
            "announce.approval_request",
            author=author or t("announce.someone"),
            id=announcement.id,
            audience=target.words(t),
            count=target.count,
            when=when,
        )
        return [
            Text(text=announcement_text(t.texts, t.language, announcement.text)),
            Choices(
                text=question,
                options=(
                    Choice(
                        label=t("announce.approve"), payload=f"{PAYLOAD}:approve:{announcement.id}"
                    ),
                    Choice(
                        label=t("announce.reject"), payload=f"{PAYLOAD}:reject:{announcement.id}"
                    ),
                ),
            ),
        ]

    return compose


async def submit_for_approval(
    ctx: Context, text: str, target: Target, at: datetime | None
) -> list[Reply]:
    """A coordinator's announcement waits; every other admin is asked, on LINE or Telegram."""
    assert ctx.member is not None
    announcement = await store(ctx, text, target, at, AnnouncementStatus.PENDING_APPROVAL)
    await audit_action(ctx, "announce.submit", announcement, audience=announcement.audience)
    admins = await announcement_repo.approver_ids(
        session=ctx.session, author_member_id=ctx.member.id
    )
    notified = await notify(
        ctx, announcement, admins, approval_request(ctx, announcement, target), "review"
    )
    key = "announce.submitted" if notified else "announce.submitted_nobody"
    return [Text(text=ctx.t(key, id=announcement.id))]


async def decide(ctx: Context, typed: str, *, approve: bool) -> list[Reply]:
    """An admin approves (out now, or at its time) or rejects; the author is told either way."""
    announcement = await find(ctx, typed)
    if announcement is None:
        return [Text(text=ctx.t("announce.not_found", id=typed.strip()[:20]))]
    status = announcement.status
    try:
        if approve:
            status = await announcement_repo.approve(
                session=ctx.session, announcement=announcement, approver=ctx.member, now=ctx.now
            )
        else:
            await announcement_repo.reject(
                session=ctx.session, announcement=announcement, reviewer=ctx.member, now=ctx.now
            )
    except announcement_repo.ApprovalRefused as refused:
        text = ctx.t(
            f"announce.refused.{refused.reason}",
            id=announcement.id,
            status=state_name(ctx, announcement.status),
        )
        return [Text(text=text)]
    await audit_action(ctx, "announce.approve" if approve else "announce.reject", announcement)
    if announcement.author_member_id is not None:
        key = "announce.author_approved" if approve else "announce.author_rejected"
        await notify(
            ctx,
            announcement,
            [announcement.author_member_id],
            lambda t: [Text(text=t(key, id=announcement.id))],
            "decided",
        )
    if not approve:
        return [Text(text=ctx.t("announce.rejected", id=announcement.id))]
    if status is AnnouncementStatus.SCHEDULED and announcement.scheduled_at is not None:
        when = ctx.when(announcement.scheduled_at)
        return [Text(text=ctx.t("announce.approved_scheduled", id=announcement.id, when=when))]
    count = await release_now(ctx, announcement)
    return [Text(text=ctx.t("announce.approved_queued", id=announcement.id, count=count))]


async def cancel(ctx: Context, typed: str) -> list[Reply]:
    """Withdraw one not yet sent: authors their own, admins any."""
    assert ctx.member is not None
    announcement = await find(ctx, typed)
    if announcement is None:
        return [Text(text=ctx.t("announce.not_found", id=typed.strip()[:20]))]
    if ctx.member.role is not Role.ADMIN and announcement.author_member_id != ctx.member.id:
        return [Text(text=ctx.t("announce.not_yours"))]
    if not await announcement_repo.cancel(
        session=ctx.session, announcement=announcement, now=ctx.now
    ):
        status = state_name(ctx, announcement.status)
        return [Text(text=ctx.t("announce.too_late", id=announcement.id, status=status))]
    await audit_action(ctx, "announce.cancel", announcement)
    return [Text(text=ctx.t("announce.cancelled", id=announcement.id))]


# --- reading ----------------------------------------------------------------------------------


def duration(ctx: Context, span: timedelta) -> str:
    """A span as people read it: seconds, minutes and seconds, or hours and minutes."""
    seconds = max(int(span.total_seconds()), 0)
    if seconds < 60:
        return ctx.t("announce.duration.seconds", seconds=seconds)
    if seconds < 3600:
        return ctx.t("announce.duration.minutes", minutes=seconds // 60, seconds=seconds % 60)
    return ctx.t("announce.duration.hours", hours=seconds // 3600, minutes=seconds % 3600 // 60)


def status_lines(ctx: Context, found: AnnouncementStats) -> list[str]:
    """Per channel counts, the unreachable, and timing."""
    lines: list[str] = []
    for channel in found.channels:
        assert channel.channel is not None
        line = ctx.t(
            "announce.status.channel",
            channel=ctx.t(f"channels.{channel.channel.value}"),
            recipients=f"{channel.recipients:,}",
            sent=f"{channel.sent:,}",
            failed=f"{channel.failed:,}",
            blocked=f"{channel.blocked:,}",
            pending=f"{channel.pending:,}",
        )
        if channel.dead or channel.cancelled:
            line += ctx.t(
                "announce.status.channel_more",
                dead=f"{channel.dead:,}",
                cancelled=f"{channel.cancelled:,}",
            )
        lines.append(line)
    if found.unreachable:
        lines.append(ctx.t("announce.status.unreachable", count=f"{found.unreachable:,}"))
    if found.released_at is not None:
        lines.append(ctx.t("announce.status.released", when=ctx.when(found.released_at)))
        if found.total.pending:
            elapsed = duration(ctx, ctx.now - found.released_at)
            lines.append(ctx.t("announce.status.sending", duration=elapsed))
        elif found.time_to_deliver is not None:
            took = duration(ctx, found.time_to_deliver)
            lines.append(ctx.t("announce.status.took", duration=took))
    return lines


async def show_status(ctx: Context, typed: str) -> list[Reply]:
    """One announcement's delivery (the latest without a number), in Bangkok time."""
    if typed.strip():
        announcement = await find(ctx, typed)
        if announcement is None:
            return [Text(text=ctx.t("announce.not_found", id=typed.strip()[:20]))]
    else:
        announcement = await announcement_repo.latest_announcement(session=ctx.session)
        if announcement is None:
            return [Text(text=ctx.t("announce.none_yet"))]
    found = await stats(session=ctx.session, announcement_id=announcement.id)
    assert found is not None
    target = await target_of(ctx, announcement.audience, resolve=False)
    lines = [
        ctx.t(
            "announce.status.head",
            id=announcement.id,
            status=state_name(ctx, found.status),
            audience=target.words(ctx.t),
        )
    ]
    if found.released_at is None:
        if announcement.scheduled_at is not None and found.status in announcement_repo.UNRELEASED:
            lines.append(
                ctx.t("announce.status.scheduled_for", when=ctx.when(announcement.scheduled_at))
            )
        lines.append(ctx.t("announce.status.not_released"))
    lines += status_lines(ctx, found)
    return [Text(text="\n".join(lines))]


async def show_pending(ctx: Context) -> list[Reply]:
    """Admins: what awaits approval, each with approve and reject buttons."""
    assert ctx.member is not None
    if ctx.member.role is not Role.ADMIN:
        return [Text(text=ctx.t("auth.denied"))]
    pending = await announcement_repo.list_pending(session=ctx.session, limit=MAX_CARDS)
    if not pending:
        return [Text(text=ctx.t("announce.pending_none"))]
    cards = []
    for announcement in pending:
        target = await target_of(ctx, announcement.audience, resolve=False)
        author = None
        if announcement.author_member_id is not None:
            author = await get_member(session=ctx.session, member_id=announcement.author_member_id)
        name = (author.display_name if author else None) or ctx.t("announce.someone")
        cards.append(
            Card(
                title=ctx.t(
                    "announce.pending_card", id=announcement.id, audience=target.words(ctx.t)
                ),
                subtitle=f"{name}: {shorten(announcement.text)}",
                buttons=(
                    Button(
                        label=ctx.t("announce.approve"),
                        payload=f"{PAYLOAD}:approve:{announcement.id}",
                    ),
                    Button(
                        label=ctx.t("announce.reject"),
                        payload=f"{PAYLOAD}:reject:{announcement.id}",
                    ),
                ),
            )
        )
    text = ctx.t("announce.pending_list", count=len(pending))
    return [Cards(text=text, cards=tuple(cards))]


# --- routes -----------------------------------------------------------------------------------


@router.command("announce", access=DEPA_STAFF)
async def announce(_event: Event, ctx: Context) -> list[Reply]:
    """`/announce` writes one; `status|pending|approve|reject|cancel [ID]` manage them."""
    action, _, rest = ctx.args.strip().partition(" ")
    match action.casefold():
        case "":
            return await ask_text(ctx)
        case "status":
            return await show_status(ctx, rest)
        case "pending":
            return await show_pending(ctx)
        case "approve":
            return await decide(ctx, rest, approve=True)
        case "reject":
            return await decide(ctx, rest, approve=False)
        case "cancel":
            return await cancel(ctx, rest)
        case "help":
            return [Text(text=ctx.t("announce.usage"))]
    # `/announce Meeting moved to Friday`: the text came with the command.
    return await take_text(ctx, ctx.args)


@router.choice(PAYLOAD, access=DEPA_STAFF)
async def chosen(_event: Event, ctx: Context) -> list[Reply]:
    """The flow's buttons, and the approve/reject buttons sent to admins."""
    action, _, rest = ctx.args.partition(":")
    match action:
        case "aud":
            return await choose_audience(ctx, rest)
        case "domains":
            return await ask_domain(ctx)
        case "cities":
            return await ask_city(ctx)
        case "send":
            return await submit(ctx)
        case "schedule":
            return await ask_time(ctx)
        case "discard":
            return await discard(ctx)
        case "approve":
            return await decide(ctx, rest, approve=True)
        case "reject":
            return await decide(ctx, rest, approve=False)
    return stale(ctx)
