"""`/deadlines` in chat: the stages with countdowns, the city's state, the milestones due soon."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.dates import countdown
from bot.core.payloads import Command
from bot.core.replies import Choice, Choices, Reply, Text
from handlers.deadlines.service import Calendar, MilestoneDue, Stage


def stage_lines(ctx: Context, stage: Stage, number: int) -> list[str]:
    """One stage: its title (the next one marked), due time and countdown, the city's state."""
    deadline = stage.deadline
    key = "deadlines.next_stage" if stage.next_due else "deadlines.stage"
    lines = [
        ctx.t(key, number=number, title=ctx.local(deadline, "title")),
        ctx.t(
            "deadlines.due",
            due=ctx.when(deadline.due_at),
            countdown=countdown(ctx.t, deadline.due_at, ctx.now, ctx.services.zone),
        ),
    ]
    if stage.state is not None:
        reference = stage.submission.reference if stage.submission is not None else ""
        lines.append(ctx.t(f"deadlines.state.{stage.state.value}", reference=reference))
    return lines


def milestone_line(ctx: Context, due: MilestoneDue) -> str:
    """A milestone due soon, with the city's status or (depa) how many cities are not done."""
    milestone = due.milestone
    assert milestone.due_at is not None  # only milestones with a due time are listed
    line = ctx.t(
        "deadlines.milestone",
        title=ctx.local(milestone, "title"),
        day=ctx.day(milestone.due_at),
        countdown=countdown(ctx.t, milestone.due_at, ctx.now, ctx.services.zone),
    )
    if due.status is not None:
        status = f"{ctx.t(f'progress.icon.{due.status.value}')} "
        status += ctx.t(f"milestone_status.{due.status.value}")
        return ctx.t("deadlines.milestone_status", line=line, status=status)
    if due.open_cities is not None:
        return ctx.t("deadlines.milestone_open", line=line, count=due.open_cities)
    return line


def calendar(ctx: Context, found: Calendar, *, can_submit: bool) -> list[Reply]:
    """The whole calendar as one message; a submit button for a city's team."""
    blocks: list[str] = []
    competition_id = None
    number = 0
    for stage in found.stages:
        if stage.competition.id != competition_id:
            competition_id, number = stage.competition.id, 0
            head = [ctx.t("deadlines.head", competition=ctx.local(stage.competition, "title"))]
            if stage.competition.rules_url:
                head.append(ctx.t("deadlines.rules", url=stage.competition.rules_url))
            blocks.append("\n".join(head))
        number += 1
        blocks.append("\n".join(stage_lines(ctx, stage, number)))
    if not found.stages:
        blocks.append(ctx.t("deadlines.no_stages"))
    if found.milestones:
        lines = [milestone_line(ctx, due) for due in found.milestones]
        blocks.append("\n".join([ctx.t("deadlines.milestones_head"), *lines]))
    else:
        blocks.append(ctx.t("deadlines.no_milestones"))
    text = "\n\n".join(blocks)
    if not can_submit or not any(stage.state is not None for stage in found.stages):
        return [Text(text=text)]
    button = Choice(label=ctx.t("commands.submit.label"), payload=Command("submit").pack())
    return [Choices(text=f"{text}\n\n{ctx.t('deadlines.submit_hint')}", options=(button,))]
