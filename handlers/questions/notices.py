"""The notices tickets send: depa told of a question (and reminded), the asker of each answer,
each side of the other's closing. Written per recipient, in their language; `service` queues them.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.dates import format_datetime
from bot.core.replies import Choice, Choices, Reply, Text
from bot.core.texts import Translator, shorten
from bot.delivery.notices import Compose
from db.enums import Language
from db.models import Member, Organisation
from handlers.questions.payloads import AnswerBack, CloseTicket, ReplyPressed
from handlers.questions.service import TicketNote

SNIPPET_CHARS = 80


def name_of(t: Translator, member: Member | None) -> str:
    """A member as others see them."""
    if member is None or not member.display_name:
        return t("questions.someone")
    return member.display_name


def org_name(t: Translator, organisation: Organisation) -> str:
    """An organisation's name in the reader's language."""
    return organisation.name_th if t.language is Language.TH else organisation.name_en


def snippet(question: str) -> str:
    """The start of a question, to say which one a message is about."""
    return shorten(" ".join(question.split()), SNIPPET_CHARS)


def reply_button(t: Translator, ticket_id: int) -> Choice:
    """depa's Reply button of a ticket."""
    return Choice(
        label=t("questions.reply_button", ticket=ticket_id), payload=ReplyPressed(ticket_id).pack()
    )


def asker_buttons(t: Translator, ticket_id: int) -> tuple[Choice, ...]:
    """The asker's Answer back and Close buttons of a ticket."""
    return (
        Choice(label=t("questions.answer_back"), payload=AnswerBack(ticket_id).pack()),
        Choice(label=t("questions.close"), payload=CloseTicket(ticket_id).pack()),
    )


class ChatNotices:
    """`TicketNotices` for chat: the question's number and start thread each message."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone

    def asked(self, note: TicketNote) -> Compose:
        """ "❓ New question #12 from Somchai, Khon Kaen: …" with Reply."""

        def compose(t: Translator) -> list[Reply]:
            text = t(
                "questions.notice.asked",
                ticket=note.ticket.id,
                name=name_of(t, note.asker),
                organisation=org_name(t, note.organisation),
                question=note.ticket.question,
            )
            return [Choices(text=text, options=(reply_button(t, note.ticket.id),))]

        return compose

    def replied(self, note: TicketNote) -> Compose:
        """ "💬 Reply to your question #12: …", the answer and who; Answer back and Close."""

        def compose(t: Translator) -> list[Reply]:
            text = t(
                "questions.notice.replied",
                ticket=note.ticket.id,
                snippet=snippet(note.ticket.question),
                text=note.text,
                name=name_of(t, note.author),
            )
            return [Choices(text=text, options=asker_buttons(t, note.ticket.id))]

        return compose

    def answered_back(self, note: TicketNote) -> Compose:
        """ "💬 Somchai wrote again on question #12: …" with Reply."""

        def compose(t: Translator) -> list[Reply]:
            text = t(
                "questions.notice.answered_back",
                ticket=note.ticket.id,
                snippet=snippet(note.ticket.question),
                text=note.text,
                name=name_of(t, note.asker),
                organisation=org_name(t, note.organisation),
            )
            return [Choices(text=text, options=(reply_button(t, note.ticket.id),))]

        return compose

    def closed(self, note: TicketNote) -> Compose:
        """The other side hears the ticket was closed."""

        def compose(t: Translator) -> list[Reply]:
            by_asker = note.author is not None and note.author.id == note.ticket.member_id
            text = t(
                f"questions.notice.closed_by_{'asker' if by_asker else 'depa'}",
                ticket=note.ticket.id,
                snippet=snippet(note.ticket.question),
                name=name_of(t, note.asker),
                organisation=org_name(t, note.organisation),
            )
            return [Text(text=text)]

        return compose

    def reminder(self, note: TicketNote) -> Compose:
        """ "⏰ Question #12 … has had no answer for 2 working days" with Reply."""

        def compose(t: Translator) -> list[Reply]:
            text = t(
                "questions.notice.reminder",
                ticket=note.ticket.id,
                name=name_of(t, note.asker),
                organisation=org_name(t, note.organisation),
                asked=format_datetime(note.ticket.asked_at, Language(t.language), self._zone),
                question=note.ticket.question,
            )
            return [Choices(text=text, options=(reply_button(t, note.ticket.id),))]

        return compose
