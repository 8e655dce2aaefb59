"""The buttons of questions to depa: what to do with the FAQ's answers, and a ticket's actions.

A ticket's buttons carry its number, so a button of another ticket, a closed one or someone
else's is recognised and refused instead of acting on whatever the presser is doing now.
"""

from __future__ import annotations

from enum import StrEnum

from bot.core.payloads import Payload


class AskAct(StrEnum):
    """After the FAQ was searched: it answered, send it to a person, or cancel."""

    ANSWERED = "ok"
    PERSON = "person"
    CANCEL = "cancel"


class AskPressed(Payload, prefix="ask:do"):
    """What to do with the question being asked (`ask:do:person`)."""

    act: AskAct


class ReplyPressed(Payload, prefix="tk:re"):
    """depa: reply to this ticket; the next message is the reply (`tk:re:12`)."""

    ticket_id: int


class AnswerBack(Payload, prefix="tk:ab"):
    """The asker: write again on this ticket; the next message goes to depa."""

    ticket_id: int


class CloseTicket(Payload, prefix="tk:cl"):
    """Either side: close this ticket."""

    ticket_id: int


class TypingCancelled(Payload, prefix="tk:x"):
    """Stop typing a reply or an answer back on this ticket; nothing is sent."""

    ticket_id: int
