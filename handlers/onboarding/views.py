"""Onboarding's chat replies: the greeting, the consent question, welcomes."""

from __future__ import annotations

from datetime import datetime

from bot.core.context import Context
from bot.core.payloads import Answer
from bot.core.replies import Choice, Choices, Text
from bot.delivery.notices import Compose
from db.enums import Language, Role
from db.models import Organisation
from handlers.account.payloads import LanguageChosen
from handlers.menu import main_menu, role_name
from handlers.onboarding.payloads import ConsentAnswer

# What the consent says personal data is for depends on who is registering.
CONSENT_PURPOSE = {
    Role.EXECUTIVE: "city",
    Role.OFFICER: "city",
    Role.PARTNER: "partner",
    Role.COORDINATOR: "depa",
    Role.ADMIN: "depa",
}


def greeting(ctx: Context) -> Choices:
    """What the bot does, the request for a code, and the other language as a button."""
    other = Language.EN if ctx.language is Language.TH else Language.TH
    return Choices(
        text=ctx.t("onboarding.greeting"),
        options=(
            Choice(
                label=ctx.t(f"lang.switch_to_{other.value}"),
                payload=LanguageChosen(other).pack(),
            ),
        ),
    )


def consent_question(ctx: Context, role: Role) -> Choices:
    """The PDPA question, worded for the role being registered, accept first."""
    return Choices(
        text=ctx.t("consent.question", purpose=ctx.t(f"consent.purpose.{CONSENT_PURPOSE[role]}")),
        options=(
            Choice(label=ctx.t("consent.accept"), payload=ConsentAnswer(Answer.YES).pack()),
            Choice(label=ctx.t("consent.decline"), payload=ConsentAnswer(Answer.NO).pack()),
        ),
    )


def code_accepted(ctx: Context, organisation: Organisation, role: Role) -> Text:
    """The code is good: for which organisation and role."""
    return Text(
        text=ctx.t(
            "onboarding.code_ok",
            organisation=ctx.local(organisation, "name"),
            role=role_name(ctx, role),
        )
    )


def welcome(ctx: Context, organisation: Organisation, role: Role, *, back: bool) -> Choices:
    """The welcome (first time, or back again) with the role's menu."""
    text = ctx.t(
        "onboarding.welcome_back" if back else "onboarding.welcome",
        organisation=ctx.local(organisation, "name"),
        role=role_name(ctx, role),
    )
    return main_menu(ctx, text)


def throttled(ctx: Context, until: datetime) -> Text:
    """Too many wrong codes: when to try again."""
    return Text(text=ctx.t("onboarding.throttled", until=ctx.when(until)))


def guessing_alert(per_minute: int) -> Compose:
    """What depa's admins read when everyone's wrong codes spent the minute's budget."""
    return lambda t: [Text(text=t("onboarding.guessing_alert", count=per_minute))]
