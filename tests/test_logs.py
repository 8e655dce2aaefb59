"""Log lines: one per record, with time, level and logger, and never a credential."""

from __future__ import annotations

import logging
import re

import pytest

from bot.logs import configure_logging
from bot.settings import SettingsError, load_settings

LINE_SECRET = "0123456789abcdef0123456789abcdef"
LINE_TOKEN = "LineAccessToken+with/slashes=="
TELEGRAM_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
WEBHOOK_SECRET = "tg-webhook-secret-42"
DB_PASSWORD = "pg-Pa55word"
RECORD = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (\w+) ([\w.]+) (.*)$")


pytestmark = pytest.mark.usefixtures("isolated_settings")


@pytest.fixture
def log(capsys: pytest.CaptureFixture[str]) -> logging.Logger:
    """A logger configured with every kind of secret in the settings."""
    configure_logging(
        load_settings(
            database_url=f"postgresql+asyncpg://citybot:{DB_PASSWORD}@127.0.0.1:5432/citybot",
            line_channel_secret=LINE_SECRET,
            line_channel_access_token=LINE_TOKEN,
            telegram_bot_token=TELEGRAM_TOKEN,
            telegram_webhook_secret=WEBHOOK_SECRET,
        )
    )
    capsys.readouterr()
    return logging.getLogger("bot.test")


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().err.splitlines()


def test_a_record_is_one_line_with_time_level_logger_message(
    log: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    """A record prints as `time level logger message`, line breaks escaped into the one line."""
    log.warning("webhook body was\nnot JSON")
    [line] = _lines(capsys)
    match = RECORD.match(line)
    assert match is not None, line
    assert match.groups() == ("WARNING", "bot.test", "webhook body was\\nnot JSON")


def test_secret_values_from_settings_are_redacted(
    log: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    """LINE and Telegram credentials and the database password never appear, even as arguments."""
    log.info("secret %s token %s", LINE_SECRET, LINE_TOKEN)
    log.info(f"telegram {TELEGRAM_TOKEN} webhook {WEBHOOK_SECRET}")  # the point: no lazy args
    log.info("db postgresql+asyncpg://citybot:%s@127.0.0.1/citybot", DB_PASSWORD)
    output = "\n".join(_lines(capsys))
    for secret in (LINE_SECRET, LINE_TOKEN, TELEGRAM_TOKEN, WEBHOOK_SECRET, DB_PASSWORD):
        assert secret not in output
    assert output.count("***") == 5


def test_any_bot_token_in_a_url_is_redacted(
    log: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    """A `bot<id>:<token>` URL is redacted even for a token the settings do not know."""
    log.info("HTTP Request: POST https://api.telegram.org/bot987654:XYZ-abc_123/sendMessage")
    [line] = _lines(capsys)
    assert "XYZ-abc_123" not in line
    assert "https://api.telegram.org/bot987654:***/sendMessage" in line


def test_tracebacks_are_redacted_and_stay_on_one_line(
    log: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    """An exception carrying a token is logged with its traceback, redacted, as one line."""
    try:
        raise ConnectionError(f"POST https://api.telegram.org/bot{TELEGRAM_TOKEN}/getMe failed")
    except ConnectionError:
        log.exception("sending failed")
    [line] = _lines(capsys)
    assert "sending failed\\nTraceback (most recent call last):" in line
    assert "ConnectionError: POST https://api.telegram.org/bot***/getMe failed" in line
    assert TELEGRAM_TOKEN.split(":")[1] not in line


def test_a_bad_format_drops_arguments_rather_than_printing_them(
    log: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    """A format/argument mismatch logs the template, not the (possibly secret) arguments."""
    log.info("only one %s", "first", "extra-secret-argument")
    err = capsys.readouterr().err
    assert err.endswith("INFO bot.test only one %s [arguments dropped: bad format]\n")
    assert "extra-secret-argument" not in err
    assert "Logging error" not in err


def test_configuring_again_replaces_the_handler(
    log: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    """Configuring twice (as each CLI command does) still prints every record once."""
    configure_logging(load_settings())
    log.info("once")
    assert len(_lines(capsys)) == 1


def test_log_level_comes_from_settings(capsys: pytest.CaptureFixture[str]) -> None:
    """CITYBOT_LOG_LEVEL=warning hides info records."""
    configure_logging(load_settings(citybot_log_level="warning"))
    logging.getLogger("bot.test").info("quiet")
    logging.getLogger("bot.test").warning("loud")
    [line] = _lines(capsys)
    assert line.endswith("WARNING bot.test loud")


def test_unknown_log_level_names_the_variable() -> None:
    """An unknown CITYBOT_LOG_LEVEL fails with the variable's name."""
    with pytest.raises(SettingsError, match="CITYBOT_LOG_LEVEL"):
        configure_logging(load_settings(citybot_log_level="LOUD"))
