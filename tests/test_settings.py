"""Settings: documented defaults, `.env` reading, and start-up errors that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import DEFAULT_CONTENT_DIR, Settings, SettingsError, load_settings

LINE_SECRET = "line-secret-0123456789abcdef"
LINE_TOKEN = "line-token-AbCdEf0123456789/="
TELEGRAM_TOKEN = "123456789:AAF-telegram-token-value"
TELEGRAM_SECRET = "telegram-webhook-secret-xyz"
POSTGRES = "postgresql+asyncpg://citybot@127.0.0.1:5432/citybot"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No variable of the bot in the environment and no `.env` in the working directory."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_match_the_design() -> None:
    """With nothing set the bot runs on SQLite in Bangkok time, with no chat platform enabled."""
    settings = load_settings()

    assert settings.database_url == "sqlite+aiosqlite:///./citybot.db"
    assert settings.line_channel_secret is None
    assert settings.line_channel_access_token is None
    assert settings.line_api_base_url == "https://api.line.me"
    assert settings.line_data_api_base_url == "https://api-data.line.me"
    assert settings.citybot_media_dir == Path("media")
    assert settings.media_max_bytes == 20 * 1024 * 1024
    assert settings.telegram_bot_token is None
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.telegram_webhook_secret is None
    assert settings.public_base_url is None
    assert settings.citybot_timezone == "Asia/Bangkok"
    assert settings.timezone.key == "Asia/Bangkok"
    assert not settings.line_enabled
    assert not settings.telegram_enabled
    assert settings.content_dir == DEFAULT_CONTENT_DIR


def test_environment_enables_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both LINE credentials enable LINE; a Telegram token without a secret means polling."""
    monkeypatch.setenv("LINE_CHANNEL_SECRET", LINE_SECRET)
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", LINE_TOKEN)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://bot.example.org/")

    settings = load_settings()

    assert settings.line_enabled
    assert settings.telegram_enabled
    assert settings.telegram_polling
    assert settings.public_base_url == "https://bot.example.org"


def test_dotenv_file_is_read(clean_environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `.env` in the working directory configures the bot; the real environment wins over it."""
    (clean_environment / ".env").write_text(
        f"DATABASE_URL={POSTGRES}\n"
        f"TELEGRAM_BOT_TOKEN={TELEGRAM_TOKEN}\n"
        f"TELEGRAM_WEBHOOK_SECRET={TELEGRAM_SECRET}\n"
        "CITYBOT_TIMEZONE=Asia/Tokyo\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CITYBOT_TIMEZONE", "Asia/Bangkok")

    settings = load_settings()

    assert settings.database_url == POSTGRES
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == TELEGRAM_TOKEN
    assert settings.telegram_enabled
    assert not settings.telegram_polling
    assert settings.citybot_timezone == "Asia/Bangkok"


@pytest.mark.parametrize(
    ("present", "value", "missing"),
    [
        ("LINE_CHANNEL_SECRET", LINE_SECRET, "LINE_CHANNEL_ACCESS_TOKEN"),
        ("LINE_CHANNEL_ACCESS_TOKEN", LINE_TOKEN, "LINE_CHANNEL_SECRET"),
    ],
)
def test_half_a_line_configuration_names_the_missing_variable(
    monkeypatch: pytest.MonkeyPatch, present: str, value: str, missing: str
) -> None:
    """One LINE credential without the other stops start-up and says which one is missing."""
    monkeypatch.setenv(present, value)

    with pytest.raises(SettingsError, match=missing):
        load_settings()


def test_webhook_secret_without_bot_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Telegram webhook secret alone is a mistake that names TELEGRAM_BOT_TOKEN."""
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", TELEGRAM_SECRET)

    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        load_settings()


@pytest.mark.parametrize("url", ["sqlite:///x", "postgresql://postgres@127.0.0.1/citybot"])
def test_sync_database_driver_names_database_url(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """A URL without an async driver fails at start, naming DATABASE_URL."""
    monkeypatch.setenv("DATABASE_URL", url)

    with pytest.raises(SettingsError, match="DATABASE_URL"):
        load_settings()


def test_unknown_time_zone_names_citybot_timezone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A misspelt zone fails at start, naming CITYBOT_TIMEZONE."""
    monkeypatch.setenv("CITYBOT_TIMEZONE", "Asia/Bangkokk")

    with pytest.raises(SettingsError, match="CITYBOT_TIMEZONE"):
        load_settings()


def test_plain_http_public_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhooks need https, so an http PUBLIC_BASE_URL fails at start."""
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://bot.example.org")

    with pytest.raises(SettingsError, match="PUBLIC_BASE_URL"):
        load_settings()


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, True),
        ({"DATABASE_URL": POSTGRES}, False),
        ({"DATABASE_URL": POSTGRES, "CITYBOT_SIMULATOR": "true"}, True),
        ({"CITYBOT_SIMULATOR": "false"}, False),
        ({"CITYBOT_ENV": "production"}, False),
        ({"CITYBOT_ENV": "production", "CITYBOT_SIMULATOR": "true"}, False),
    ],
)
def test_simulator_is_on_for_sqlite_and_never_in_production(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: bool
) -> None:
    """The browser simulator defaults to on for SQLite, off for PostgreSQL, always off in prod."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    assert load_settings().simulator_enabled is expected


def test_secrets_never_appear_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Printing or logging the settings shows no credential."""
    monkeypatch.setenv("LINE_CHANNEL_SECRET", LINE_SECRET)
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", LINE_TOKEN)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", TELEGRAM_SECRET)

    settings = load_settings()

    shown = f"{settings!r} {settings!s} {settings.model_dump()}"
    for secret in (LINE_SECRET, LINE_TOKEN, TELEGRAM_TOKEN, TELEGRAM_SECRET):
        assert secret not in shown
    assert settings.line_channel_access_token is not None
    assert settings.line_channel_access_token.get_secret_value() == LINE_TOKEN


@pytest.mark.parametrize("megabytes", ["0", "51", "twenty"])
def test_media_limit_out_of_range_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, megabytes: str
) -> None:
    """The largest file taken from a chat is 1 to 50 MiB; anything else fails at start."""
    monkeypatch.setenv("CITYBOT_MEDIA_MAX_MB", megabytes)

    with pytest.raises(SettingsError, match="CITYBOT_MEDIA_MAX_MB"):
        load_settings()


def test_media_settings_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The media folder and limit come from the environment; the limit is counted in MiB."""
    monkeypatch.setenv("CITYBOT_MEDIA_DIR", str(tmp_path / "files"))
    monkeypatch.setenv("CITYBOT_MEDIA_MAX_MB", "5")
    monkeypatch.setenv("LINE_DATA_API_BASE_URL", "http://127.0.0.1:9")

    settings = load_settings()

    assert settings.citybot_media_dir == tmp_path / "files"
    assert settings.media_max_bytes == 5 * 1024 * 1024
    assert settings.line_data_api_base_url == "http://127.0.0.1:9"
