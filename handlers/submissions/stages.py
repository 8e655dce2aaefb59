"""Which competition stages take entries now, and finding the one a member names.

A stage takes entries when it is marked for submissions (content: not `submissions: false`)
and its competition's last stage (the results) is not yet due; after its own due time an entry
is still taken, as late.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Competition, Deadline
from db.repositories.submissions import stages_of

MAX_URL_CHARS = 1000
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.I)


class SubmissionError(Exception):
    """An entry that cannot be taken, and why (`reason` names the message people get).

    Reasons: `unknown_stage`, `not_accepting`, `no_open_stage`, `closed`, `bad_link`,
    `too_large`, `unknown_type`, `file_unavailable`, `no_executive`, `not_your_city`, `decided`.
    """

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


def check_link(typed: str) -> str:
    """An http(s) link. Only its form is checked: the bot does not fetch what people link to."""
    link = typed.strip()
    if len(link) > MAX_URL_CHARS or not _URL.match(link):
        raise SubmissionError("bad_link")
    return link


@dataclass(frozen=True, slots=True)
class OpenStage:
    """A stage that takes entries now, with its competition."""

    deadline: Deadline
    competition: Competition

    def late_at(self, now: datetime) -> bool:
        """Whether an entry made at `now` is late."""
        return now > self.deadline.due_at


async def closing_time(*, session: AsyncSession, competition_id: int) -> datetime | None:
    """When the competition stops taking entries: its last stage's due time (the results)."""
    stages = await stages_of(session=session, competition_id=competition_id)
    return max((stage.due_at for stage in stages), default=None)


async def stage_status(*, session: AsyncSession, deadline: Deadline, now: datetime) -> OpenStage:
    """`deadline` if it takes entries now; SubmissionError `not_accepting` or `closed` if not."""
    competition = await session.get_one(Competition, deadline.competition_id)
    if not deadline.accepts_submissions:
        raise SubmissionError("not_accepting", stage=deadline.slug)
    closes = await closing_time(session=session, competition_id=competition.id)
    if closes is not None and now >= closes:
        raise SubmissionError("closed", closes=closes)
    return OpenStage(deadline, competition)


async def open_stages(*, session: AsyncSession, now: datetime) -> list[OpenStage]:
    """Every stage taking entries now, competition by competition, in stage order."""
    found: list[OpenStage] = []
    for competition in await session.scalars(select(Competition).order_by(Competition.id)):
        stages = await stages_of(session=session, competition_id=competition.id)
        closes = max((stage.due_at for stage in stages), default=now)
        if now < closes:
            found += [OpenStage(s, competition) for s in stages if s.accepts_submissions]
    return found


async def open_stage(*, session: AsyncSession, deadline_id: int, now: datetime) -> OpenStage:
    """The stage `deadline_id`, if it takes entries now."""
    deadline = await session.get(Deadline, deadline_id)
    if deadline is None:
        raise SubmissionError("unknown_stage", stage=str(deadline_id))
    return await stage_status(session=session, deadline=deadline, now=now)


async def find_stage(*, session: AsyncSession, typed: str, now: datetime) -> OpenStage:
    """The stage a member names after /submit: its number among the open ones, or its slug."""
    wanted = typed.strip().casefold()
    stages = await open_stages(session=session, now=now)
    if wanted.isdecimal() and 1 <= int(wanted) <= len(stages):
        return stages[int(wanted) - 1]
    named = await session.scalars(select(Deadline).where(Deadline.slug == wanted))
    deadline = next(iter(named), None)
    if deadline is None:
        if not stages:
            await require_open(session=session, now=now)
        raise SubmissionError("unknown_stage", stage=typed.strip()[:60])
    return await stage_status(session=session, deadline=deadline, now=now)


async def require_open(*, session: AsyncSession, now: datetime) -> list[OpenStage]:
    """The open stages; `closed` once every competition is over, `no_open_stage` if none."""
    stages = await open_stages(session=session, now=now)
    if stages:
        return stages
    closes = [
        await closing_time(session=session, competition_id=competition_id)
        for competition_id in await session.scalars(select(Competition.id))
    ]
    past = [moment for moment in closes if moment is not None and moment <= now]
    if past:
        raise SubmissionError("closed", closes=max(past))
    raise SubmissionError("no_open_stage")
