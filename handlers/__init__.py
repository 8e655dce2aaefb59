"""Channel-neutral features. `ROUTERS` is the one place that says which feature goes first."""

from bot.core.router import Router
from handlers import (
    account,
    announce,
    calendar,
    deadlines,
    help,
    materials,
    onboarding,
    progress,
    questions,
    submissions,
    team,
)

ROUTERS: list[Router] = [
    onboarding.router,
    account.router,
    team.router,
    materials.router,
    announce.router,
    progress.router,
    calendar.router,
    deadlines.router,
    submissions.router,
    questions.router,
    help.router,  # last: it holds the fallback
]
