"""Logging: one line per record, and no credential ever reaches a log line.

Tokens travel in URLs (the Telegram Bot API puts the token in the path) and in error messages of
the SDKs, so redaction sits on the handler, where every record passes, not on each logger.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Iterable

from sqlalchemy.engine import make_url

from bot.settings import Settings, SettingsError

REDACTED = "***"
LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# A Telegram token in a Bot API URL, `bot<id>:<secret>`: the numeric id is public, the rest not.
TELEGRAM_TOKEN_IN_URL = re.compile(r"(bot\d+):[A-Za-z0-9_-]+")


class RedactSecrets(logging.Filter):
    """Replaces known secret values and Telegram tokens in URLs in the message and traceback."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is removed whole.
        self.secrets = sorted({secret for secret in secrets if secret}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """`text` with every secret value and bot token replaced."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return TELEGRAM_TOKEN_IN_URL.sub(rf"\1:{REDACTED}", text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place (the record is shared by every handler), then let it through."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # logging would print the raw arguments with its error report: drop them instead.
            message, record.args = f"{record.msg} [arguments dropped: bad format]", None
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            # The formatter keeps a pre-rendered traceback, so rendering it here redacts it too.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class OneLineFormatter(logging.Formatter):
    """`time level logger message`, UTC ISO time, line breaks escaped so a record is one line."""

    def __init__(self) -> None:
        super().__init__(LINE_FORMAT)

    def formatTime(  # logging's name for it
        self, record: logging.LogRecord, datefmt: str | None = None
    ) -> str:
        """ISO 8601 in UTC with milliseconds, sortable and unambiguous across servers."""
        del datefmt  # one fixed format on purpose
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{stamp}.{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        """The record on one line; a traceback follows the message with `\\n` escaped."""
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]  # generic only in stubs
    """Writes to whatever `sys.stderr` is at the time, so swapped streams (tests) stay valid."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        """Follow `sys.stderr`, then write as usual."""
        self.stream = sys.stderr
        super().emit(record)


def settings_secrets(settings: Settings) -> list[str]:
    """Every credential value in `settings`, including the database password."""
    values = [
        secret.get_secret_value()
        for secret in (
            settings.line_channel_secret,
            settings.line_channel_access_token,
            settings.telegram_bot_token,
            settings.telegram_webhook_secret,
        )
        if secret is not None
    ]
    password = make_url(settings.database_url).password
    if password:
        values.append(str(password))
    return values


def configure_logging(settings: Settings) -> logging.Handler:
    """Route every logger through one redacting, one-line stderr handler; safe to call again."""
    level = settings.citybot_log_level.upper()
    if level not in logging.getLevelNamesMapping():
        raise SettingsError(
            f"CITYBOT_LOG_LEVEL {settings.citybot_log_level!r} is not one of "
            "DEBUG, INFO, WARNING, ERROR, CRITICAL"
        )
    handler = StderrHandler()
    handler.setFormatter(OneLineFormatter())
    handler.addFilter(RedactSecrets(settings_secrets(settings)))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
