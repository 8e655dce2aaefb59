"""The notices entries send: depa told of each, executives asked to confirm an officer's, the
officer told of the answer. Written per recipient, in their language; `service` queues them.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.dates import format_datetime
from bot.core.media import DOCX, XLSX
from bot.core.replies import Choice, Choices, Reply, Text
from bot.core.texts import Translator, shorten
from bot.delivery.notices import Compose
from db.enums import Language, SubmissionKind
from db.models import Member
from handlers.submissions.payloads import Decided
from handlers.submissions.service import Decision, Entry, Proposal, Receipt

FILE_TYPES = {"application/pdf": "PDF", DOCX: "Word", XLSX: "Excel"}
NAME_CHARS = 80


def local(t: Translator, item: object, field: str) -> str:
    """`item.<field>_th` or `_en`, in the translator's language."""
    return str(getattr(item, f"{field}_{t.language.value}"))


def entry_text(t: Translator, entry: Entry) -> str:
    """ "File: plan.pdf (PDF, 120 KB)" or "Link: https://…"."""
    if entry.kind is SubmissionKind.LINK:
        return t("submissions.content_link", url=entry.url)
    kind = FILE_TYPES.get(entry.file_type or "", entry.file_type or "")
    return t(
        "submissions.content_file",
        name=shorten(entry.file_name or kind, NAME_CHARS),
        type=kind,
        size=max(1, round((entry.file_bytes or 0) / 1024)),
    )


def name_of(t: Translator, member: Member | None) -> str:
    """A member as others see them."""
    if member is None or not member.display_name:
        return t("submissions.someone")
    return member.display_name


class ChatNotices:
    """`SubmissionNotices` for chat: short texts, times in the display zone."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone

    def when(self, t: Translator, receipt: Receipt) -> str:
        """When the entry was made, as the reader reads times."""
        return format_datetime(receipt.submission.submitted_at, Language(t.language), self._zone)

    def to_depa(self, receipt: Receipt) -> Compose:
        """ "Khon Kaen submitted the concept note: ref, time, file" (and late, if it is)."""

        def compose(t: Translator) -> list[Reply]:
            submission = receipt.submission
            text = t(
                "submissions.depa_notice",
                city=local(t, receipt.organisation, "name"),
                stage=local(t, receipt.stage.deadline, "title"),
                reference=submission.reference,
                when=self.when(t, receipt),
                content=entry_text(t, Entry.of(submission)),
            )
            if submission.late:
                due = receipt.stage.deadline.due_at
                due_text = format_datetime(due, Language(t.language), self._zone)
                text += "\n" + t("submissions.depa_notice_late", due=due_text)
            return [Text(text=text)]

        return compose

    def to_executives(self, proposal: Proposal) -> Compose:
        """The officer's entry, with Submit and Do-not-submit buttons."""

        def compose(t: Translator) -> list[Reply]:
            text = t(
                "submissions.ask_executive",
                who=name_of(t, proposal.officer),
                city=local(t, proposal.organisation, "name"),
                stage=local(t, proposal.stage.deadline, "title"),
                content=entry_text(t, proposal.entry),
            )
            options = (
                Choice(
                    label=t("submissions.approve"),
                    payload=Decided(proposal.prepared_id, True).pack(),
                ),
                Choice(
                    label=t("submissions.reject"),
                    payload=Decided(proposal.prepared_id, False).pack(),
                ),
            )
            return [Choices(text=text, options=options)]

        return compose

    def to_officer(self, decision: Decision) -> Compose:
        """The receipt of the entry the officer prepared, or that it was not submitted."""

        def compose(t: Translator) -> list[Reply]:
            who = name_of(t, decision.executive)
            stage = local(t, decision.proposal.stage.deadline, "title")
            receipt = decision.receipt
            if receipt is None:
                return [Text(text=t("submissions.officer_rejected", who=who, stage=stage))]
            text = t(
                "submissions.officer_confirmed",
                who=who,
                reference=receipt.submission.reference,
                stage=stage,
                when=self.when(t, receipt),
            )
            return [Text(text=text)]

        return compose
