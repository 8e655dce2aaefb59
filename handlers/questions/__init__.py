"""Questions to depa: `/ask` (ถามเจ้าหน้าที่, ติดต่อ depa), depa's `/reply` and `/tickets`.

A member's question is searched in the FAQ first; up to three answers are offered with "This
answers it" and "Ask a person", and no answer offers sending it to a person. A ticket sent goes
to depa's coordinators with a Reply button; a reply (`/reply 12 TEXT`, or the button then a
message) reaches the asker on the channel they used last, threaded, with "Answer back" and
"Close". Free text nobody else understood comes here from the help fallback (`unplaced`). Use
cases in `service.py`, replies in `views.py`, notices in `notices.py`, the steps in `flow.mmd`.
"""

from __future__ import annotations

from collections.abc import Awaitable

from bot.core.authz import DEPA_STAFF, MEMBERS, NOT_DEPA
from bot.core.context import Context
from bot.core.events import Event, TextReceived
from bot.core.replies import Reply, Text
from bot.core.router import Router
from db.enums import TicketStatus
from db.models import Member, Organisation, Ticket
from handlers.questions import service, views
from handlers.questions.draft import FLOW, FLOW_TTL, Draft, Step, Unplaced
from handlers.questions.notices import name_of, org_name, pushing
from handlers.questions.payloads import (
    AnswerBack,
    AskAct,
    AskPressed,
    CloseTicket,
    ReplyPressed,
    TypingCancelled,
)
from handlers.questions.service import QuestionError

router = Router("questions")
router.abandons(FLOW, "questions.abandoned")


def outreach(ctx: Context) -> service.Outreach:
    """Where this event's notices go."""
    return pushing(ctx.services)


# --- asking ------------------------------------------------------------------------------------


@router.command("ask", access=MEMBERS)
async def ask_command(_event: Event, ctx: Context) -> list[Reply]:
    """`/ask` asks for the question; `/ask TEXT` searches the FAQ for it at once."""
    note: list[Reply] = []
    if service.is_depa(ctx.registered):
        note = [Text(text=ctx.t("questions.depa_note"))]
    if not ctx.args.strip():
        await ctx.state.go(Step.QUESTION, Draft().data(), ttl=FLOW_TTL)
        return [*note, views.prompt(ctx)]
    return [*note, *await search_faq(ctx, ctx.args)]


@router.step(Step.QUESTION, Step.OFFERED, access=MEMBERS)
async def question_typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """The question typed (or, with answers shown, another question): the FAQ first."""
    return await search_faq(ctx, event.text)


async def search_faq(
    ctx: Context, typed: str, *, keep_as: Step | Unplaced = Step.OFFERED
) -> list[Reply]:
    """The FAQ's answers to `typed` (or the offer to send it on); too long is refused at once.

    The question waits at `keep_as` for its buttons: in the `/ask` flow (typed text is another
    question), or, for a question read from plain words, unplaced (the next words read afresh).
    """
    try:
        question = service.check_text(typed)
    except QuestionError as problem:
        await ctx.state.clear()
        return [views.error(ctx, problem)]
    await ctx.state.go(keep_as, Draft(question=question).data(), ttl=FLOW_TTL)
    found = await service.faq_answers(session=ctx.session, query=question)
    if not found:
        return [views.not_found(ctx, question)]
    return views.faq_answers(ctx, found)


async def unplaced(event: TextReceived, ctx: Context, help_reply: Reply) -> list[Reply]:
    """Free text nobody placed: the FAQ's answers if some fit, else `help_reply` and an offer
    to send the text to a person at depa.

    Only a city's or a firm's member is offered this (depa answers questions); the text is kept
    so "Ask a person" can still send it.
    """
    if ctx.member is None or service.is_depa(ctx.member):
        return [help_reply]
    try:
        question = service.check_text(event.text)
    except QuestionError:
        return [help_reply]
    await ctx.state.go(Unplaced.OFFERED, Draft(question=question).data(), ttl=FLOW_TTL)
    found = await service.faq_answers(session=ctx.session, query=question)
    if not found:
        return [help_reply, views.unplaced_offer(ctx)]
    return views.faq_answers(ctx, found)


@router.choice(AskPressed, access=MEMBERS)
async def ask_pressed(pressed: AskPressed, ctx: Context) -> list[Reply]:
    """This answers it (nothing sent), ask a person (a ticket), or cancel."""
    waiting = ctx.state.at(Step.OFFERED) or ctx.state.at(Unplaced.OFFERED)
    draft = Draft.from_data(ctx.state.data) if waiting else None
    if draft is None or not draft.question:
        return [Text(text=ctx.t("questions.stale"))]
    await ctx.state.clear()
    if pressed.act is AskAct.ANSWERED:
        return [Text(text=ctx.t("questions.glad"))]
    if pressed.act is AskAct.CANCEL:
        return [Text(text=ctx.t("questions.cancelled"))]
    try:
        ticket = await service.ask(
            session=ctx.session,
            member=ctx.registered,
            question=draft.question,
            channel=ctx.identity.channel,
            now=ctx.now,
            outreach=outreach(ctx),
        )
    except QuestionError as problem:
        return [views.error(ctx, problem)]
    return [views.sent(ctx, ticket)]


@router.command("ask", sub="list", access=MEMBERS)
async def my_tickets(_event: Event, ctx: Context) -> list[Reply]:
    """`/ask list`: the member's questions, newest first."""
    tickets = await service.tickets_of(session=ctx.session, member=ctx.registered)
    return [views.my_tickets(ctx, tickets)]


@router.command("ask", sub="close", access=MEMBERS)
async def close_command(_event: Event, ctx: Context) -> list[Reply]:
    """`/ask close 12`: close a question (the asker's own; depa any)."""
    typed = ctx.args.strip().lstrip("#")
    if not typed.isdecimal():
        return [Text(text=ctx.t("questions.close_usage"))]
    return await close(ctx, int(typed))


@router.choice(CloseTicket, access=MEMBERS)
async def close_pressed(pressed: CloseTicket, ctx: Context) -> list[Reply]:
    """The Close button under an answer."""
    return await close(ctx, pressed.ticket_id)


async def close(ctx: Context, ticket_id: int) -> list[Reply]:
    """Close the ticket; the other side is told."""
    try:
        await service.close_ticket(
            session=ctx.session,
            member=ctx.registered,
            ticket_id=ticket_id,
            now=ctx.now,
            outreach=outreach(ctx),
        )
    except QuestionError as problem:
        return [views.error(ctx, problem)]
    await ctx.state.clear()
    return [Text(text=ctx.t("questions.closed_done", ticket=ticket_id))]


# --- the thread: depa replies, the asker answers back -----------------------------------------


@router.command("reply", access=DEPA_STAFF)
async def reply_command(_event: Event, ctx: Context) -> list[Reply]:
    """`/reply 12 TEXT` answers at once; `/reply 12` asks for the text."""
    head, _, text = ctx.args.strip().partition(" ")
    head = head.lstrip("#")
    if not head.isdecimal():
        return [Text(text=ctx.t("questions.reply_usage"))]
    if not text.strip():
        return await start_reply(ctx, int(head))
    return await send_reply(ctx, int(head), text)


@router.command("reply", access=NOT_DEPA)
async def not_depa(_event: Event, ctx: Context) -> list[Reply]:
    """Cities and firms ask; depa's coordinators reply: say so."""
    return [Text(text=ctx.t("questions.errors.not_depa"))]


@router.choice(ReplyPressed, access=DEPA_STAFF)
async def reply_pressed(pressed: ReplyPressed, ctx: Context) -> list[Reply]:
    """The Reply button under a question: the next message is the reply."""
    return await start_reply(ctx, pressed.ticket_id)


async def start_reply(ctx: Context, ticket_id: int) -> list[Reply]:
    """Ask for the reply to an open ticket."""
    try:
        ticket = await service.ticket_to_write(
            session=ctx.session, member=ctx.registered, ticket_id=ticket_id
        )
    except QuestionError as problem:
        return [views.error(ctx, problem)]
    organisation = await ctx.session.get_one(Organisation, ticket.organisation_id)
    asker = await ctx.session.get(Member, ticket.member_id) if ticket.member_id else None
    await ctx.state.go(Step.REPLY, Draft(ticket_id=ticket.id).data(), ttl=FLOW_TTL)
    return [views.reply_prompt(ctx, ticket, asker, organisation)]


async def written(ctx: Context, sending: Awaitable[Ticket]) -> Ticket | list[Reply]:
    """The ticket once a reply or answer back is stored and sent, or the refusal to say.

    A text too long keeps the step, so a shorter one can be typed; any other refusal (the
    ticket closed meanwhile, say) ends it.
    """
    try:
        ticket = await sending
    except QuestionError as problem:
        if problem.reason != "too_long":
            await ctx.state.clear()
        return [views.error(ctx, problem)]
    await ctx.state.clear()
    return ticket


async def send_reply(ctx: Context, ticket_id: int, text: str) -> list[Reply]:
    """Store and send depa's reply."""
    ticket = await written(
        ctx,
        service.reply(
            session=ctx.session,
            coordinator=ctx.registered,
            ticket_id=ticket_id,
            text=text,
            channel=ctx.identity.channel,
            now=ctx.now,
            outreach=outreach(ctx),
        ),
    )
    if not isinstance(ticket, Ticket):
        return ticket
    organisation = await ctx.session.get_one(Organisation, ticket.organisation_id)
    asker = await ctx.session.get(Member, ticket.member_id) if ticket.member_id else None
    return [
        Text(
            text=ctx.t(
                "questions.reply_sent",
                ticket=ticket.id,
                name=name_of(ctx.t, asker),
                organisation=org_name(ctx.t, organisation),
            )
        )
    ]


@router.choice(AnswerBack, access=MEMBERS)
async def answer_back_pressed(pressed: AnswerBack, ctx: Context) -> list[Reply]:
    """The asker's Answer back button: the next message goes to depa."""
    try:
        ticket = await service.ticket_to_write(
            session=ctx.session, member=ctx.registered, ticket_id=pressed.ticket_id
        )
    except QuestionError as problem:
        return [views.error(ctx, problem)]
    await ctx.state.go(Step.ANSWER, Draft(ticket_id=ticket.id).data(), ttl=FLOW_TTL)
    text = ctx.t("questions.answer_prompt", ticket=ticket.id)
    return [views.typing_prompt(ctx, text, ticket.id)]


@router.step(Step.REPLY, Step.ANSWER, access=MEMBERS)
async def thread_typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """The reply (depa) or the answer back (the asker) typed after pressing the button."""
    draft = Draft.from_data(ctx.state.data)
    if draft.ticket_id is None:
        await ctx.state.clear()
        return [Text(text=ctx.t("questions.stale"))]
    if ctx.state.at(Step.REPLY):
        return await send_reply(ctx, draft.ticket_id, event.text)
    ticket = await written(
        ctx,
        service.answer_back(
            session=ctx.session,
            member=ctx.registered,
            ticket_id=draft.ticket_id,
            text=event.text,
            channel=ctx.identity.channel,
            now=ctx.now,
            outreach=outreach(ctx),
        ),
    )
    if not isinstance(ticket, Ticket):
        return ticket
    return [Text(text=ctx.t("questions.answer_sent", ticket=ticket.id))]


@router.choice(TypingCancelled, access=MEMBERS)
async def typing_cancelled(_pressed: TypingCancelled, ctx: Context) -> list[Reply]:
    """Cancel under a reply or answer being typed: nothing is sent."""
    await ctx.state.clear()
    return [Text(text=ctx.t("questions.cancelled"))]


@router.command("tickets", access=DEPA_STAFF)
async def waiting(_event: Event, ctx: Context) -> list[Reply]:
    """`/tickets`: the questions waiting for depa, oldest first, a Reply button each."""
    rows = await service.list_tickets(session=ctx.session, status=TicketStatus.OPEN)
    return [views.waiting_tickets(ctx, rows)]
