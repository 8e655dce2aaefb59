"""The notices tickets send: depa told of a question (and reminded), the asker of each answer,
each side of the other's closing. Written per recipient, in their language; `service` queues them.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from bot.core.context import Services
from bot.core.dates import format_datetime
from bot.core.replies import Choice, Choices, Reply, Text
from bot.core.texts import Translator, shorten
from bot.delivery.announcements import push_channels
from bot.delivery.notices import Compose
from db.enums import Language
from db.models import Member, Organisation
from handlers.questions.payloads import AnswerBack, CloseTicket, ReplyPressed
from handlers.questions.service import Outreach, TicketNote

SNIPPET_CHARS = 80
# The buttons under a notice, in the reader's language, for a ticket.
Buttons = Callable[[Translator, int], tuple[Choice, ...]]


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


def reply_buttons(t: Translator, ticket_id: int) -> tuple[Choice, ...]:
    """depa's buttons under a question: Reply."""
    return (reply_button(t, ticket_id),)


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

    def _notice(self, key: str, note: TicketNote, buttons: Buttons | None) -> Compose:
        """The text `questions.notice.<key>` about the note's ticket, with `buttons` under it.

        Every text takes what it needs of the same facts: the ticket's number, question and
        its start, the asker and their organisation, the latest message and its author.
        """

        def compose(t: Translator) -> list[Reply]:
            text = t(
                f"questions.notice.{key}",
                ticket=note.ticket.id,
                question=note.ticket.question,
                snippet=snippet(note.ticket.question),
                name=name_of(t, note.asker),
                organisation=org_name(t, note.organisation),
                text=note.text,
                coordinator=name_of(t, note.author),
                asked=format_datetime(note.ticket.asked_at, Language(t.language), self._zone),
            )
            if buttons is None:
                return [Text(text=text)]
            return [Choices(text=text, options=buttons(t, note.ticket.id))]

        return compose

    def asked(self, note: TicketNote) -> Compose:
        """ "❓ New question #12 from Somchai, Khon Kaen: …" with Reply."""
        return self._notice("asked", note, reply_buttons)

    def replied(self, note: TicketNote) -> Compose:
        """ "💬 Reply to your question #12: …", the answer and who; Answer back and Close."""
        return self._notice("replied", note, asker_buttons)

    def answered_back(self, note: TicketNote) -> Compose:
        """ "💬 Somchai wrote again on question #12: …" with Reply."""
        return self._notice("answered_back", note, reply_buttons)

    def closed(self, note: TicketNote) -> Compose:
        """The other side hears the ticket was closed."""
        by_asker = note.author is not None and note.author.id == note.ticket.member_id
        return self._notice("closed_by_asker" if by_asker else "closed_by_depa", note, None)

    def reminder(self, note: TicketNote) -> Compose:
        """ "⏰ Question #12 … has had no answer for 2 working days" with Reply."""
        return self._notice("reminder", note, reply_buttons)


def pushing(services: Services) -> Outreach:
    """Where ticket notices go from chat and the dashboard: every channel that pushes, in the
    words of `ChatNotices`, working days in the deployment's zone."""
    return Outreach(
        texts=services.texts,
        channels=push_channels(services.settings),
        notices=ChatNotices(services.zone),
        zone=services.zone,
    )
