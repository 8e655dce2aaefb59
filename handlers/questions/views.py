"""Chat replies of questions to depa: the FAQ's answers, tickets sent, listed and answered."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.context import Context
from bot.core.replies import Choice, Choices, Reply, Text
from db.models import FaqEntry, Member, Organisation, Ticket
from handlers.questions.notices import name_of, org_name, reply_button, snippet
from handlers.questions.payloads import AskAct, AskPressed, TypingCancelled
from handlers.questions.service import QUESTION_MAX, QuestionError

LISTED = 10  # tickets a list shows (LINE takes 13 buttons at most)


def error(ctx: Context, problem: QuestionError) -> Text:
    """What was wrong, in the member's language."""
    return Text(text=ctx.t(f"questions.errors.{problem.reason}", **problem.details))


def prompt(ctx: Context) -> Text:
    """ "What would you like to ask depa?" """
    return Text(text=ctx.t("questions.prompt", limit=QUESTION_MAX))


def ask_person(ctx: Context) -> Choice:
    """The button that sends the question to a person at depa."""
    return Choice(label=ctx.t("questions.ask_person"), payload=AskPressed(AskAct.PERSON).pack())


def faq_answers(ctx: Context, entries: Sequence[FaqEntry]) -> list[Reply]:
    """Each FAQ entry found, question and answer; the last with This answers it / Ask a person."""
    items = [
        ctx.t(
            "questions.faq_item", question=ctx.local(e, "question"), answer=ctx.local(e, "answer")
        )
        for e in entries
    ]
    items[0] = ctx.t("questions.faq_found") + "\n\n" + items[0]
    options = (
        Choice(label=ctx.t("questions.answers_it"), payload=AskPressed(AskAct.ANSWERED).pack()),
        ask_person(ctx),
    )
    return [*(Text(text=item) for item in items[:-1]), Choices(text=items[-1], options=options)]


def not_found(ctx: Context, question: str) -> Choices:
    """No FAQ answer: send the question to a person at depa, or cancel."""
    return Choices(
        text=ctx.t("questions.not_found", question=snippet(question)),
        options=(
            Choice(label=ctx.t("questions.send"), payload=AskPressed(AskAct.PERSON).pack()),
            Choice(label=ctx.t("questions.cancel"), payload=AskPressed(AskAct.CANCEL).pack()),
        ),
    )


def unplaced_offer(ctx: Context) -> Choices:
    """Under the help for words nobody understood: send them to a person at depa."""
    return Choices(text=ctx.t("questions.unplaced_offer"), options=(ask_person(ctx),))


def sent(ctx: Context, ticket: Ticket) -> Text:
    """ "Sent to depa as question #12" """
    return Text(text=ctx.t("questions.sent", ticket=ticket.id))


def typing_prompt(ctx: Context, text: str, ticket_id: int) -> Choices:
    """Type the reply (or answer back) now, or cancel."""
    cancel = Choice(label=ctx.t("questions.cancel"), payload=TypingCancelled(ticket_id).pack())
    return Choices(text=text, options=(cancel,))


def reply_prompt(
    ctx: Context, ticket: Ticket, asker: Member | None, organisation: Organisation
) -> Choices:
    """depa: type the reply to this question."""
    text = ctx.t(
        "questions.reply_prompt",
        ticket=ticket.id,
        name=name_of(ctx.t, asker),
        organisation=org_name(ctx.t, organisation),
        question=snippet(ticket.question),
    )
    return typing_prompt(ctx, text, ticket.id)


def my_tickets(ctx: Context, tickets: Sequence[Ticket]) -> Text:
    """The member's questions, newest first, with their status and dates."""
    if not tickets:
        return Text(text=ctx.t("questions.list_empty"))
    lines = [ctx.t("questions.list_title")]
    for ticket in tickets[:LISTED]:
        item = ctx.t(
            "questions.list_item",
            ticket=ticket.id,
            status=ctx.t(f"questions.status.{ticket.status.value}"),
            asked=ctx.when(ticket.asked_at),
            question=snippet(ticket.question),
        )
        if ticket.first_reply_at is not None:
            item += "\n" + ctx.t("questions.list_replied", replied=ctx.when(ticket.first_reply_at))
        lines.append(item)
    return Text(text="\n\n".join(lines))


def waiting_tickets(
    ctx: Context, rows: Sequence[tuple[Ticket, Organisation, Member | None]]
) -> Reply:
    """depa: the questions waiting for an answer, oldest first, a Reply button each."""
    if not rows:
        return Text(text=ctx.t("questions.tickets_empty"))
    shown = rows[:LISTED]
    lines = [ctx.t("questions.tickets_title")]
    lines += [
        ctx.t(
            "questions.tickets_item",
            ticket=ticket.id,
            name=name_of(ctx.t, asker),
            organisation=org_name(ctx.t, organisation),
            asked=ctx.when(ticket.asked_at),
            question=snippet(ticket.question),
        )
        for ticket, organisation, asker in shown
    ]
    options = tuple(reply_button(ctx.t, ticket.id) for ticket, _, _ in shown)
    return Choices(text="\n\n".join(lines), options=options)
