"""The account's chat replies: who am I, the language picker, link codes, erasure."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.payloads import Answer
from bot.core.replies import Choice, Choices, Text
from db.enums import Channel, Language
from db.models import Member, Organisation
from handlers.account.payloads import ForgetAnswer, LanguageChosen
from handlers.menu import role_name


def channel_names(ctx: Context, channels: list[Channel]) -> str:
    """`LINE, Telegram` in the answer's language."""
    return ", ".join(ctx.t(f"channels.{channel.value}") for channel in channels)


def whoami(
    ctx: Context, member: Member, organisation: Organisation, channels: list[Channel]
) -> Text:
    """Name, organisation, role, language, channels and since when."""
    return Text(
        text=ctx.t(
            "whoami.text",
            name=member.display_name or ctx.t("whoami.no_name"),
            organisation=ctx.local(organisation, "name"),
            role=role_name(ctx, member.role),
            language=ctx.t(f"lang.name_{member.language.value}"),
            channels=channel_names(ctx, channels),
            since=ctx.day(member.created_at),
        )
    )


def language_picker(ctx: Context, text: str) -> Choices:
    """`text`, then a button per language."""
    return Choices(
        text=text,
        options=tuple(
            Choice(
                label=ctx.t(f"lang.name_{language.value}"), payload=LanguageChosen(language).pack()
            )
            for language in Language
        ),
    )


def forget_question(ctx: Context) -> Choices:
    """Erasure needs a confirmation; cancel first."""
    return Choices(
        text=ctx.t("forget.confirm"),
        options=(
            Choice(label=ctx.t("forget.no"), payload=ForgetAnswer(Answer.NO).pack()),
            Choice(label=ctx.t("forget.yes"), payload=ForgetAnswer(Answer.YES).pack()),
        ),
    )
