"""The Telegram channel (python-telegram-bot as the Bot API client and update parser).

The adapter is imported on first use, so `citybot --help` and the CLI's other commands do not
load python-telegram-bot.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

# python-telegram-bot 22 is moving time periods (RetryAfter.retry_after among them) from int
# seconds to timedelta and warns on every read, even inside its own RetryAfter constructor,
# unless the process opts in. This is its documented switch; our code reads timedeltas.
os.environ.setdefault("PTB_TIMEDELTA", "true")

if TYPE_CHECKING:
    from bot.channels.telegram.adapter import TelegramChannel

__all__ = ["TelegramChannel"]


def __getattr__(name: str) -> Any:
    if name == "TelegramChannel":
        from bot.channels.telegram.adapter import TelegramChannel

        return TelegramChannel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
