"""Plain words understood: free text from a registered member, read by `bot/nlu`, reaches the
feature it names with what it stated ("ส่ง concept note วันไหน" → `/deadlines`).

The router of the feature; it holds one text route, placed just before help (`handlers.ROUTERS`),
so flows awaiting an answer, codes and numbers are still taken first by their own routes. A
report of progress is never saved from words alone: it becomes the progress update's
confirmation (handlers/progress/heard.py). Queries run the feature's command as if typed, with
the sender's access (`Context.run_command`): a partner's "ความคืบหน้า" is refused as /progress
is. Unknown or unsure words get help with the sender's menu, never a guess.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.authz import ANYONE, CITY_TEAM
from bot.core.context import Context, Services
from bot.core.events import TextReceived
from bot.core.replies import Reply, Text
from bot.core.router import Router
from bot.nlu.understanding import Understanding, understander_for
from bot.nlu.vocabulary import Intent
from db.enums import MilestoneStatus
from db.models import Organisation
from handlers.help import fallback, is_a_nod
from handlers.menu import main_menu
from handlers.progress.heard import report_heard
from handlers.progress.rules import ProgressError
from handlers.progress.views import error as progress_error
from handlers.questions import search_faq
from handlers.questions.draft import Unplaced

router = Router("understanding")

# Below this the words are not acted on: help is better than a wrong feature.
SURE_ENOUGH = 0.25
# A report is held to more: it leads to a confirmation that saves.
SURE_OF_A_REPORT = 0.6
# The command each query intent runs, and the slot that becomes its argument.
COMMANDS: dict[Intent, tuple[str, str | None]] = {
    Intent.PROGRESS_QUERY: ("progress", "org"),
    Intent.DEADLINE_QUERY: ("deadlines", None),
    Intent.SUBMIT_ENTRY: ("submit", "stage"),
    Intent.MATERIALS_SEARCH: ("materials", "domain"),
    Intent.PARTNER_OFFER: ("offer", None),
    Intent.PARTNER_SEARCH: ("partners", "domain"),
    Intent.HELP: ("help", None),
}

Answer = Callable[[TextReceived, Context, Understanding], Awaitable[list[Reply]]]


def anything(_text: str) -> bool:
    """Every free text: the router's order decides what reaches this route."""
    return True


@router.warms
async def load_the_lexicons(services: Services) -> None:
    """Plain words are read with a dictionary loaded the first time (about a second)."""
    await understander_for(services.settings.content_dir)


@router.text(anything, access=ANYONE)
async def understood(event: TextReceived, ctx: Context) -> list[Reply]:
    """Free text from a member, to the feature it names; newcomers and nods to help."""
    if ctx.member is None or is_a_nod(event.text):
        return await fallback(event, ctx)
    understander = await understander_for(ctx.services.settings.content_dir)
    result = understander.understand(event.text)
    if result.confidence < SURE_ENOUGH:
        return await fallback(event, ctx)
    return await ANSWERS.get(result.intent, run_command)(event, ctx, result)


async def report(event: TextReceived, ctx: Context, result: Understanding) -> list[Reply]:
    """A progress report: its confirmation, for a city member sure enough of; else help."""
    if not CITY_TEAM.allows(ctx.member) or result.confidence < SURE_OF_A_REPORT:
        return await fallback(event, ctx)
    assert ctx.member is not None
    city = await ctx.session.get_one(Organisation, ctx.member.organisation_id)
    status = result.slots.get("status")
    try:
        return await report_heard(
            ctx,
            city,
            milestone_key=result.slots.get("milestone"),
            status=MilestoneStatus(status) if status is not None else None,
            percent=result.slots.get("percent"),
        )
    except ProgressError as problem:
        return [progress_error(ctx, problem)]


async def run_command(event: TextReceived, ctx: Context, result: Understanding) -> list[Reply]:
    """A query: the feature's command with the slot it takes; help if there is none."""
    found = COMMANDS.get(result.intent)
    if found is None or ctx.run_command is None:
        return await fallback(event, ctx)
    name, slot = found
    argument = str(result.slots.get(slot, "")) if slot is not None else ""
    replies = await ctx.run_command(name, argument)
    return replies or await fallback(event, ctx)


async def greeting(_event: TextReceived, ctx: Context, _result: Understanding) -> list[Reply]:
    """Hello back, with the menu."""
    return [main_menu(ctx, ctx.t("understanding.greeting"))]


async def thanks(_event: TextReceived, ctx: Context, _result: Understanding) -> list[Reply]:
    """You're welcome."""
    return [Text(text=ctx.t("understanding.thanks"))]


async def question(event: TextReceived, ctx: Context, _result: Understanding) -> list[Reply]:
    """A question for depa: the FAQ's answers first, or the offer to send it to a person; the
    next words are read afresh, not taken as another question."""
    return await search_faq(ctx, event.text.strip(), keep_as=Unplaced.OFFERED)


async def not_understood(event: TextReceived, ctx: Context, _result: Understanding) -> list[Reply]:
    """Help in the member's language, with their menu."""
    return await fallback(event, ctx)


ANSWERS: dict[Intent, Answer] = {
    Intent.PROGRESS_UPDATE: report,
    Intent.QUESTION: question,
    Intent.GREETING: greeting,
    Intent.THANKS: thanks,
    Intent.UNKNOWN: not_understood,
}
