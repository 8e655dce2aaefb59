"""The account's buttons."""

from __future__ import annotations

from bot.core.payloads import Answer, Payload
from db.enums import Language


class LanguageChosen(Payload, prefix="lang"):
    """A language picked (`lang:th`)."""

    language: Language


class ForgetAnswer(Payload, prefix="forget"):
    """The erasure question answered (`forget:yes` erases, `forget:no` keeps everything)."""

    answer: Answer
