"""Channel-neutral features. `ROUTERS` is the one place that says which feature goes first."""

from bot.core.router import Router
from handlers import (
    account,
    announce,
    calendar,
    dashboard,
    deadlines,
    help,
    materials,
    offers,
    onboarding,
    partners,
    progress,
    questions,
    submissions,
    team,
    understanding,
)

ROUTERS: list[Router] = [
    onboarding.router,
    account.router,
    team.router,
    materials.router,
    announce.router,
    progress.router,
    calendar.router,
    dashboard.router,
    deadlines.router,
    submissions.router,
    offers.router,
    partners.router,
    questions.router,
    understanding.router,  # free text no route above took: read by bot/nlu
    help.router,  # last: it holds the fallback
]
