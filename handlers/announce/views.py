"""Announcements' chat replies: the pickers, the preview, approval requests, delivery status."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.context import Context
from bot.core.dates import format_datetime
from bot.core.replies import MAX_CHOICES, Button, Card, Cards, Choice, Choices, Reply, Text
from bot.core.texts import Translator, shorten
from bot.delivery.announcements import (
    MAX_TEXT_LENGTH,
    AnnouncementStats,
    ReleaseReport,
    announcement_text,
)
from bot.delivery.notices import Compose
from db.enums import AnnouncementStatus, Role
from db.models import Announcement, Competition, Domain, Member, Organisation
from db.repositories.audiences import AudienceKind
from handlers.announce import payloads as buttons
from handlers.announce import service

CITIES_PER_PAGE = 10  # with "more", "back" and "cancel", within a quick reply's 13
PENDING_EXCERPT = 120


def target_words(t: Translator, target: service.Target) -> str:
    """The audience as people say it, in the translator's language."""
    audience, subject = target.audience, target.subject
    name = audience.value or ""
    if subject is not None:
        field = "title" if isinstance(subject, Competition) else "name"
        name = str(getattr(subject, f"{field}_{t.language.value}"))
    match audience.kind:
        case AudienceKind.ALL:
            return t("announce.audience.all")
        case AudienceKind.ROLE:
            return t("announce.audience.role", role=t(f"roles.{audience.value}"))
        case AudienceKind.ORG:
            return t("announce.audience.org", organisation=name)
        case AudienceKind.DOMAIN:
            return t("announce.audience.domain", domain=name)
        case AudienceKind.ENTRANTS:
            if audience.value is None:
                return t("announce.audience.entrants")
            return t("announce.audience.entrants_of", competition=name)


def state_name(t: Translator, status: AnnouncementStatus) -> str:
    """An announcement's status in words."""
    return t(f"announce.states.{status.value}")


def error(ctx: Context, problem: service.AnnounceError) -> list[Reply]:
    """An AnnounceError in the person's language."""
    params = dict(problem.params)
    if isinstance(params.get("status"), AnnouncementStatus):
        params["status"] = state_name(ctx.t, params["status"])
    if isinstance(params.get("at"), datetime):
        params["when"] = ctx.when(params.pop("at"))
    for name in ("length", "limit"):
        if isinstance(params.get(name), int):
            params[name] = f"{params[name]:,}"
    return [Text(text=ctx.t(f"announce.errors.{problem.reason}", **params))]


def discard_choice(ctx: Context) -> Choice:
    """The way out of the flow, offered at every step."""
    return Choice(
        label=ctx.t("announce.discard"), payload=buttons.StepPressed(buttons.Step.DISCARD).pack()
    )


def ask_text(ctx: Context) -> Choices:
    """Start: ask for the text."""
    return Choices(
        text=ctx.t("announce.ask_text", limit=f"{MAX_TEXT_LENGTH:,}"),
        options=(discard_choice(ctx),),
    )


def audience_question(ctx: Context) -> Choices:
    """Whom to: the common audiences, then domain and city pickers."""
    options = [
        Choice(
            label=ctx.t(f"announce.choose.{key}"),
            payload=buttons.AudiencePicked(kind, value).pack(),
        )
        for key, kind, value in buttons.AUDIENCE_BUTTONS
    ]
    options += [
        Choice(
            label=ctx.t("announce.choose.domain"),
            payload=buttons.StepPressed(buttons.Step.DOMAINS).pack(),
        ),
        Choice(label=ctx.t("announce.choose.city"), payload=buttons.CityPage(0).pack()),
        discard_choice(ctx),
    ]
    return Choices(text=ctx.t("announce.ask_audience"), options=tuple(options))


def domain_question(ctx: Context, domains: list[Domain]) -> Choices:
    """The domains as buttons."""
    options = [
        Choice(label=ctx.local(domain, "name"), payload=buttons.DomainPicked(domain.id).pack())
        for domain in domains[: MAX_CHOICES - 1]
    ]
    return Choices(text=ctx.t("announce.ask_domain"), options=(*options, discard_choice(ctx)))


def city_question(ctx: Context, cities: list[Organisation], page: int) -> Choices:
    """Every city by name and slug in the text; a page of them as buttons, with paging."""
    listed = "\n".join(f"• {ctx.local(city, 'name')} ({city.slug})" for city in cities)
    pages = max((len(cities) + CITIES_PER_PAGE - 1) // CITIES_PER_PAGE, 1)
    page = min(max(page, 0), pages - 1)
    shown = cities[page * CITIES_PER_PAGE : (page + 1) * CITIES_PER_PAGE]
    options = [
        Choice(label=ctx.local(city, "name"), payload=buttons.CityPicked(city.id).pack())
        for city in shown
    ]
    if page + 1 < pages:
        options.append(
            Choice(label=ctx.t("announce.more_cities"), payload=buttons.CityPage(page + 1).pack())
        )
    if page > 0:
        options.append(
            Choice(
                label=ctx.t("announce.previous_cities"), payload=buttons.CityPage(page - 1).pack()
            )
        )
    text = ctx.t("announce.ask_city", organisations=listed)
    return Choices(text=text, options=(*options, discard_choice(ctx)))


def preview(ctx: Context, text: str, target: service.Target, at: datetime | None) -> list[Reply]:
    """The text as it will appear, whom it goes to in words, how many, and what next."""
    assert ctx.member is not None
    assert target.resolution is not None
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
        Choice(label=ctx.t(send_key), payload=buttons.StepPressed(buttons.Step.SEND).pack()),
        Choice(
            label=ctx.t("announce.change_time" if at else "announce.schedule"),
            payload=buttons.StepPressed(buttons.Step.SCHEDULE).pack(),
        ),
        discard_choice(ctx),
    )
    question = ctx.t(
        "announce.preview",
        audience=target_words(ctx.t, target),
        count=f"{target.people:,}",
        skipped=skipped,
        when=ctx.t("announce.preview_when", when=ctx.when(at)) if at else "",
    )
    return [
        Text(text=announcement_text(ctx.services.texts, ctx.language, text)),
        Choices(text=question, options=options),
    ]


def ask_time(ctx: Context) -> Choices:
    """Schedule: ask when."""
    return Choices(text=ctx.t("announce.ask_time"), options=(discard_choice(ctx),))


def nobody_because(t: Translator, blocked: int, unreachable: int) -> str:
    """Why an announcement reached nobody: nobody in its audience, or nobody reachable."""
    if blocked or unreachable:
        return t(
            "announce.nobody.unreachable", blocked=f"{blocked:,}", unreachable=f"{unreachable:,}"
        )
    return t("announce.nobody.empty")


def sent(ctx: Context, result: service.Sent) -> Text:
    """What sending did: going out to how many, scheduled, or reaching nobody and why."""
    announcement = result.announcement
    if result.report is None:
        assert announcement.scheduled_at is not None
        when = ctx.when(announcement.scheduled_at)
        return Text(text=ctx.t("announce.scheduled", id=announcement.id, when=when))
    return Text(text=released(ctx.t, announcement.id, result.report, "announce.queued"))


def released(t: Translator, announcement_id: int, report: ReleaseReport, key: str) -> str:
    """`key` with how many people it goes to, or why it reached nobody."""
    if report.people_total == 0:
        reason = nobody_because(t, sum(report.blocked.values()), report.unreachable)
        return t("announce.queued_nobody", id=announcement_id, reason=reason)
    return t(key, id=announcement_id, count=f"{report.people_total:,}")


def approval_request(
    author: Member, zone: ZoneInfo
) -> Callable[[Announcement, service.Target], Compose]:
    """The message that asks each admin, in their language, to approve or reject."""

    def request(announcement: Announcement, target: service.Target) -> Compose:
        def compose(t: Translator) -> list[Reply]:
            at = announcement.scheduled_at
            when = (
                t("announce.preview_when", when=format_datetime(at, t.language, zone))
                if at
                else ""
            )
            question = t(
                "announce.approval_request",
                author=author.display_name or t("announce.someone"),
                id=announcement.id,
                audience=target_words(t, target),
                count=f"{target.people:,}",
                when=when,
            )
            return [
                Text(text=announcement_text(t.texts, t.language, announcement.text)),
                Choices(text=question, options=decision_choices(t, announcement.id)),
            ]

        return compose

    return request


def decision_choices(t: Translator, announcement_id: int) -> tuple[Choice, Choice]:
    """Approve and reject, as buttons."""
    return (
        Choice(label=t("announce.approve"), payload=buttons.Approve(announcement_id).pack()),
        Choice(label=t("announce.reject"), payload=buttons.Reject(announcement_id).pack()),
    )


def tell_author(announcement: Announcement, approved: bool) -> Compose:
    """What the author hears of the decision, in their language."""
    key = "announce.author_approved" if approved else "announce.author_rejected"
    return lambda t: [Text(text=t(key, id=announcement.id))]


def submitted(ctx: Context, result: service.Submitted) -> Text:
    """The coordinator's announcement waits; whether an admin could be told."""
    key = "announce.submitted" if result.notified else "announce.submitted_nobody"
    return Text(text=ctx.t(key, id=result.announcement.id))


def decided(ctx: Context, decision: service.Decision) -> Text:
    """An admin's decision, and what it set going."""
    announcement = decision.announcement
    if not decision.approved:
        return Text(text=ctx.t("announce.rejected", id=announcement.id))
    if decision.report is None:
        assert announcement.scheduled_at is not None
        when = ctx.when(announcement.scheduled_at)
        return Text(text=ctx.t("announce.approved_scheduled", id=announcement.id, when=when))
    return Text(text=released(ctx.t, announcement.id, decision.report, "announce.approved_queued"))


def duration(t: Translator, span: timedelta) -> str:
    """A span as people read it: seconds, minutes and seconds, or hours and minutes."""
    split = service.split_duration(span)
    if not split.hours and not split.minutes:
        return t("announce.duration.seconds", seconds=split.seconds)
    if not split.hours:
        return t("announce.duration.minutes", minutes=split.minutes, seconds=split.seconds)
    return t("announce.duration.hours", hours=split.hours, minutes=split.minutes)


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
            elapsed = duration(ctx.t, ctx.now - found.released_at)
            lines.append(ctx.t("announce.status.sending", duration=elapsed))
        elif found.time_to_deliver is not None:
            took = duration(ctx.t, found.time_to_deliver)
            lines.append(ctx.t("announce.status.took", duration=took))
    return lines


def status(
    ctx: Context, announcement: Announcement, found: AnnouncementStats, target: service.Target
) -> Text:
    """One announcement's delivery, in Bangkok time; reaching nobody is said, not 'delivered'."""
    total = found.total
    nobody = found.status is AnnouncementStatus.SENT and not total.sent and not total.pending
    state = ctx.t("announce.states.nobody") if nobody else state_name(ctx.t, found.status)
    lines = [
        ctx.t(
            "announce.status.head",
            id=announcement.id,
            status=state,
            audience=target_words(ctx.t, target),
        )
    ]
    if found.released_at is None:
        if announcement.scheduled_at is not None and found.status in service.UNRELEASED:
            lines.append(
                ctx.t("announce.status.scheduled_for", when=ctx.when(announcement.scheduled_at))
            )
        lines.append(ctx.t("announce.status.not_released"))
    elif nobody:
        lines.append(nobody_because(ctx.t, total.blocked, found.unreachable))
    lines += status_lines(ctx, found)
    return Text(text="\n".join(lines))


def pending_cards(
    ctx: Context, pending: list[tuple[Announcement, Member | None, service.Target]]
) -> Cards:
    """What awaits approval, each with approve and reject buttons."""
    cards = []
    for announcement, author, target in pending:
        name = (author.display_name if author else None) or ctx.t("announce.someone")
        approve, reject = decision_choices(ctx.t, announcement.id)
        cards.append(
            Card(
                title=ctx.t(
                    "announce.pending_card",
                    id=announcement.id,
                    audience=target_words(ctx.t, target),
                ),
                subtitle=f"{name}: {shorten(announcement.text, PENDING_EXCERPT)}",
                buttons=(
                    Button(label=approve.label, payload=approve.payload),
                    Button(label=reject.label, payload=reject.payload),
                ),
            )
        )
    return Cards(text=ctx.t("announce.pending_list", count=len(cards)), cards=tuple(cards))


def recent_list(ctx: Context, announcements: list[Announcement]) -> Text:
    """The newest announcements: number, status, when, and the start of the text."""
    if not announcements:
        return Text(text=ctx.t("announce.none_yet"))
    lines = [ctx.t("announce.list_head", count=len(announcements))]
    lines += [
        ctx.t(
            "announce.list_item",
            id=announcement.id,
            status=state_name(ctx.t, announcement.status),
            when=ctx.when(announcement.created_at),
            excerpt=shorten(" ".join(announcement.text.split()), 60),
        )
        for announcement in announcements
    ]
    return Text(text="\n".join(lines))
