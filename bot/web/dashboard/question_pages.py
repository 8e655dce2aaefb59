"""Questions at a desk: open and answered tickets with their threads, a reply that reaches the
asker's chat through the outbox (as `/reply` does), and Close.

Every step is `handlers/questions/service.py`'s; the asker hears in chat, in words the chat's
own notices write.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from bot.web.dashboard import desk
from bot.web.dashboard.site import Site
from db.enums import TicketStatus
from handlers.dashboard.service import Viewer
from handlers.questions import service
from handlers.questions.notices import name_of, pushing
from handlers.questions.service import QUESTION_MAX, QuestionError

PATH = "/dashboard/questions"
DONE = frozenset({"replied", "closed"})
SHOWN = (TicketStatus.OPEN, TicketStatus.ANSWERED)  # waiting for depa first, then the asker


def routes(site: Site) -> list[BaseRoute]:
    """`/dashboard/questions` and each ticket's reply and close."""

    def outreach() -> service.Outreach:
        return pushing(site.services)

    async def page(
        request: Request,
        viewer: Viewer,
        *,
        problem: str | None = None,
        typed: tuple[int, str] | None = None,
        status: int = 200,
    ) -> Response:
        """Open tickets, then answered ones, oldest first, each with its thread and forms."""
        t = desk.translator(site, viewer)
        async with site.app.sessions() as session:
            listed = [
                row
                for shown in SHOWN
                for row in await service.list_tickets(session=session, status=shown)
            ]
            threads = await service.threads(
                session=session, ticket_ids=[ticket.id for ticket, _, _ in listed]
            )
        return site.page(
            request,
            viewer,
            "questions.html",
            status=status,
            problem=problem,
            typed=typed,
            done=desk.outcome(request, t, "questions_page", DONE),
            listed=listed,
            threads=threads,
            name=lambda member: name_of(t, member),
            limit=QUESTION_MAX,
        )

    async def act(request: Request, viewer: Viewer) -> Response:
        """Reply (stored, the ticket answered, the asker told in chat) or close."""
        number, verb = request.path_params["id"], request.path_params["act"]
        if verb not in {"reply", "close"}:
            return site.notice("not_found", status=404, viewer=viewer)
        text = desk.field(await request.form(), "text")
        try:
            async with site.app.sessions() as session, session.begin():
                if verb == "reply":
                    await service.reply(
                        session=session,
                        coordinator=viewer.member,
                        ticket_id=number,
                        text=text,
                        channel=None,  # written in the dashboard, not in a chat
                        now=site.now(),
                        outreach=outreach(),
                    )
                else:
                    await service.close_ticket(
                        session=session,
                        member=viewer.member,
                        ticket_id=number,
                        now=site.now(),
                        outreach=outreach(),
                    )
        except QuestionError as problem:
            words = desk.translator(site, viewer)(
                f"questions.errors.{problem.reason}", **problem.details
            )
            return await page(request, viewer, problem=words, typed=(number, text), status=400)
        return desk.done(PATH, "replied" if verb == "reply" else "closed", number)

    async def questions(request: Request, viewer: Viewer) -> Response:
        """The page."""
        return await page(request, viewer)

    return [
        site.route(PATH, questions, depa=True),
        site.route(f"{PATH}/{{id:int}}/{{act}}", act, ("POST",), depa=True),
    ]
