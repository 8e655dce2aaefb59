"""Competition entries: the use cases chat, `citybot submissions list` and the dashboard call.

Which stages are open, and the link check, are in `stages.py`. Here: storing an entry
(`submit`: a reference, the one before replaced, late after the due time, depa's coordinators
told once), an officer's entry waiting for an executive (`prepare`, then `decide`), and who has
handed in what (`stage_report`, `stages_taking_entries`).

An officer's prepared entry is kept in the audit log (`submission.prepared`, its details are the
entry) until an executive decides; `submission.decided` on `prepared:<id>` settles it once.
Nothing here builds a reply: notices are written by the caller's `SubmissionNotices`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.csvfile import csv_bytes
from bot.delivery import notices
from bot.delivery.notices import Compose
from db.enums import Channel, MemberStatus, OrganisationKind, Role, SubmissionKind
from db.models import AuditLog, Deadline, Member, Organisation, Submission
from db.repositories import audit
from db.repositories.submissions import current_submissions, store_submission
from handlers.progress.service import depa_coordinators
from handlers.submissions.references import next_reference
from handlers.submissions.stages import OpenStage, SubmissionError, open_stage, stage_status

PREPARED = "submission.prepared"
DECIDED = "submission.decided"


# --- storing an entry --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """What is handed in: a link, or a file kept under the media directory."""

    kind: SubmissionKind
    url: str | None = None
    file_path: str | None = None
    file_type: str | None = None
    file_bytes: int | None = None
    file_name: str | None = None

    def data(self) -> dict[str, Any]:
        """As JSON (a flow's state, an audit entry's details)."""
        return {**asdict(self), "kind": self.kind.value}

    @classmethod
    def of(cls, submission: Submission) -> Entry:
        """What a stored submission handed in."""
        return cls(
            kind=submission.kind,
            url=submission.url,
            file_path=submission.file_path,
            file_type=submission.file_type,
            file_bytes=submission.file_bytes,
            file_name=submission.file_name,
        )

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Entry:
        """Back from `data`; KeyError, TypeError or ValueError for another shape."""
        fields = {name: data.get(name) for name in cls.__dataclass_fields__ if name != "kind"}
        return cls(kind=SubmissionKind(data["kind"]), **fields)


@dataclass(frozen=True, slots=True)
class Receipt:
    """An entry stored: the submission, where it belongs, and the one it replaced."""

    submission: Submission
    stage: OpenStage
    organisation: Organisation
    replaced: Submission | None


class SubmissionNotices(Protocol):
    """How the notices of entries are written (the chat views do it), per recipient language."""

    def to_depa(self, receipt: Receipt) -> Compose:
        """What depa's coordinators hear of an entry (late or not)."""

    def to_executives(self, proposal: Proposal) -> Compose:
        """An officer's entry for the city's executives, with confirm and reject buttons."""

    def to_officer(self, decision: Decision) -> Compose:
        """What the officer hears of the executive's decision."""


class Outreach(notices.Outreach[SubmissionNotices]):
    """Where this feature's notices go, written by its SubmissionNotices."""


@dataclass(frozen=True, slots=True)
class Sender:
    """Who hands the entry in, and from which chat account."""

    member: Member
    identity_id: int | None
    channel: Channel | None


async def submit(
    *,
    session: AsyncSession,
    stage: OpenStage,
    entry: Entry,
    sender: Sender,
    now: datetime,
    outreach: Outreach,
    prepared_by: Member | None = None,
) -> Receipt:
    """Store the city's entry for the stage as its current one; depa's coordinators hear once.

    The sender's city is the entry's: nobody submits for another city. Late after the stage's
    due time. Everything happens in the caller's transaction.
    """
    stage = await stage_status(session=session, deadline=stage.deadline, now=now)
    organisation = await session.get_one(Organisation, sender.member.organisation_id)
    reference = await next_reference(
        session=session,
        competition=stage.competition,
        deadline=stage.deadline,
        organisation=organisation,
    )
    submission = Submission(
        deadline_id=stage.deadline.id,
        organisation_id=organisation.id,
        member_id=sender.member.id,
        prepared_by_member_id=prepared_by.id if prepared_by else None,
        identity_id=sender.identity_id,
        channel=sender.channel,
        reference=reference,
        submitted_at=now,
        late=stage.late_at(now),
        **{name: value for name, value in entry.data().items() if name != "kind"},
        kind=entry.kind,
    )
    replaced = await store_submission(session=session, submission=submission, now=now)
    await audit.record(
        session=session,
        action="submission.record",
        now=now,
        actor_member_id=sender.member.id,
        target=f"submission:{submission.id}",
        details={
            "org": organisation.slug,
            "stage": stage.deadline.slug,
            "reference": reference,
            "late": submission.late,
            "replaces": replaced.reference if replaced else None,
            "prepared_by": prepared_by.id if prepared_by else None,
        },
    )
    receipt = Receipt(submission, stage, organisation, replaced)
    await outreach.tell(
        session=session,
        member_ids=await depa_coordinators(session=session),
        compose=outreach.notices.to_depa(receipt),
        now=now,
        tag=f"submission:{submission.id}",
    )
    return receipt


# --- an officer's entry, confirmed by an executive ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Proposal:
    """An officer's entry waiting for an executive: the audit entry that keeps it."""

    prepared_id: int
    stage: OpenStage
    entry: Entry
    officer: Member | None  # None once the officer is erased
    organisation: Organisation
    executives: list[int]


@dataclass(frozen=True, slots=True)
class Decision:
    """An executive's answer to a proposal: the receipt if submitted, None if rejected."""

    proposal: Proposal
    executive: Member
    receipt: Receipt | None


async def executives_of(*, session: AsyncSession, organisation_id: int) -> list[int]:
    """The city's active executives."""
    return list(
        await session.scalars(
            select(Member.id)
            .where(
                Member.organisation_id == organisation_id,
                Member.status == MemberStatus.ACTIVE,
                Member.role == Role.EXECUTIVE,
            )
            .order_by(Member.id)
        )
    )


async def prepare(
    *,
    session: AsyncSession,
    stage: OpenStage,
    entry: Entry,
    sender: Sender,
    now: datetime,
    outreach: Outreach,
) -> Proposal:
    """Keep an officer's entry for the city's executives to confirm, and ask them (once each)."""
    stage = await stage_status(session=session, deadline=stage.deadline, now=now)
    officer = sender.member
    organisation = await session.get_one(Organisation, officer.organisation_id)
    executives = await executives_of(session=session, organisation_id=organisation.id)
    if not executives:
        raise SubmissionError("no_executive", organisation=organisation)
    kept = await audit.record(
        session=session,
        action=PREPARED,
        now=now,
        actor_member_id=officer.id,
        target=f"deadline:{stage.deadline.id}",
        details={
            "organisation_id": organisation.id,
            "deadline_id": stage.deadline.id,
            "identity_id": sender.identity_id,
            "channel": sender.channel.value if sender.channel else None,
            "entry": entry.data(),
        },
    )
    proposal = Proposal(kept.id, stage, entry, officer, organisation, executives)
    await outreach.tell(
        session=session,
        member_ids=executives,
        compose=outreach.notices.to_executives(proposal),
        now=now,
        tag=f"{PREPARED}:{kept.id}",
    )
    return proposal


async def decide(
    *,
    session: AsyncSession,
    prepared_id: int,
    executive: Member,
    approve: bool,
    now: datetime,
    outreach: Outreach,
) -> Decision:
    """An executive of the entry's city submits it (as prepared by the officer) or rejects it.

    Settled once: a second press, or another executive's, is `decided`. The officer hears.
    """
    kept = await session.get(AuditLog, prepared_id, with_for_update=_locks(session))
    if kept is None or kept.action != PREPARED:
        raise SubmissionError("decided")
    details = kept.details
    organisation = await session.get_one(Organisation, int(details["organisation_id"]))
    if organisation.id != executive.organisation_id:
        raise SubmissionError("not_your_city", organisation=organisation)
    settled = await session.scalar(
        select(AuditLog.id).where(
            AuditLog.action == DECIDED, AuditLog.target == f"prepared:{kept.id}"
        )
    )
    if settled is not None:
        raise SubmissionError("decided")
    officer = await session.get(Member, kept.actor_member_id) if kept.actor_member_id else None
    if officer is not None and officer.status is not MemberStatus.ACTIVE:
        officer = None  # erased since: the entry stands, nobody to tell
    stage = await open_stage(session=session, deadline_id=int(details["deadline_id"]), now=now)
    entry = Entry.from_data(details["entry"])
    await audit.record(
        session=session,
        action=DECIDED,
        now=now,
        actor_member_id=executive.id,
        target=f"prepared:{kept.id}",
        details={"approve": approve},
    )
    receipt = None
    if approve:
        channel = details.get("channel")
        receipt = await submit(
            session=session,
            stage=stage,
            entry=entry,
            sender=Sender(
                member=executive,
                identity_id=details.get("identity_id"),
                channel=Channel(channel) if channel else None,
            ),
            now=now,
            outreach=outreach,
            prepared_by=officer,
        )
    proposal = Proposal(kept.id, stage, entry, officer, organisation, [executive.id])
    decision = Decision(proposal, executive, receipt)
    await outreach.tell(
        session=session,
        member_ids=[officer.id] if officer is not None else [],
        compose=outreach.notices.to_officer(decision),
        now=now,
        tag=f"{DECIDED}:{kept.id}",
    )
    return decision


def _locks(session: AsyncSession) -> bool:
    """Whether to lock rows read before a decision (PostgreSQL; SQLite has one writer)."""
    return session.get_bind().dialect.name == "postgresql"


async def current_entry(
    *, session: AsyncSession, organisation_id: int, deadline_id: int
) -> Submission | None:
    """The city's current entry for the stage, if any."""
    rows = await current_submissions(
        session=session, deadline_ids=[deadline_id], organisation_id=organisation_id
    )
    return rows[-1].submission if rows else None


# --- who has handed in what ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CityEntry:
    """A city and its current entry for a stage (None: not yet)."""

    organisation: Organisation
    submission: Submission | None


async def stage_report(*, session: AsyncSession, deadline: Deadline) -> list[CityEntry]:
    """Every city with its current entry for the stage: those who submitted first, by time."""
    rows = await current_submissions(session=session, deadline_ids=[deadline.id])
    rows.sort(key=lambda row: row.submission.submitted_at)
    cities = await session.scalars(
        select(Organisation)
        .where(Organisation.kind == OrganisationKind.CITY)
        .order_by(Organisation.slug)
    )
    handed = {row.organisation.id for row in rows}
    return [
        *(CityEntry(row.organisation, row.submission) for row in rows),
        *(CityEntry(city, None) for city in cities if city.id not in handed),
    ]


@dataclass(frozen=True, slots=True)
class StageCounts:
    """Each stage taking entries, with how many cities submitted it, and how many cities."""

    stages: list[tuple[Deadline, int]]
    cities: int


async def stages_taking_entries(*, session: AsyncSession) -> StageCounts:
    """Every stage that takes entries, in order, with how many cities have submitted it."""
    counts: dict[int, int] = {}
    for row in await current_submissions(session=session):
        counts[row.deadline.id] = counts.get(row.deadline.id, 0) + 1
    deadlines = await session.scalars(
        select(Deadline)
        .where(Deadline.accepts_submissions.is_(True))
        .order_by(Deadline.competition_id, Deadline.position)
    )
    cities = await session.scalar(
        select(func.count()).where(Organisation.kind == OrganisationKind.CITY)
    )
    return StageCounts([(d, counts.get(d.id, 0)) for d in deadlines], int(cities or 0))


# The fields of a submission record, in the order CSV and tables show them.
SUBMISSION_FIELDS = ("org", "stage", "reference", "submitted_at", "late", "kind")


async def submission_records(
    *, session: AsyncSession, stage: str | None, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """The current entries (of the stage `stage`, a slug) as `citybot submissions list` prints
    them; SubmissionError `unknown_stage` for a slug no competition has."""
    deadline_ids = None
    if stage is not None:
        wanted = stage.strip().casefold()
        found = await session.scalars(select(Deadline.id).where(Deadline.slug == wanted))
        deadline_ids = list(found)
        if not deadline_ids:
            known = await session.scalars(select(Deadline.slug).order_by(Deadline.position))
            raise SubmissionError("unknown_stage", stage=stage[:60], known=", ".join(known))
    rows = await current_submissions(session=session, deadline_ids=deadline_ids)
    return [
        {
            "org": row.organisation.slug,
            "stage": row.deadline.slug,
            "reference": row.submission.reference,
            "submitted_at": row.submission.submitted_at.astimezone(zone).isoformat(),
            "late": row.submission.late,
            "kind": row.submission.kind.value,
        }
        for row in rows
    ]


async def submissions_csv(*, session: AsyncSession, zone: ZoneInfo) -> bytes:
    """Every current entry as CSV (UTF-8): the dashboard's download of `submission_records`."""
    records = await submission_records(session=session, stage=None, zone=zone)
    return csv_bytes(SUBMISSION_FIELDS, records)
