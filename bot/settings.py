"""Every option of the bot, read once from the environment (and `.env`) and checked together.

One typed class, so that a wrong combination fails at start with the variable's name instead of
half-way through a webhook.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.schedules import ScheduleError, cron_trigger
from bot.core.yamlfile import read_yaml

ASYNC_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
MIN_WEBHOOK_SECRET = 16  # characters; Telegram allows 1 to 256


class SettingsError(ValueError):
    """Settings that cannot work together; the message names the variable to fix."""


class Settings(BaseSettings):
    """The bot's configuration; field names are the environment variables, case-insensitive."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    database_url: str = "sqlite+aiosqlite:///./citybot.db"
    line_channel_secret: SecretStr | None = None
    line_channel_access_token: SecretStr | None = None
    line_api_base_url: str = "https://api.line.me"
    # LINE's content host: the files people send are fetched from it, rich menu images go to it.
    line_data_api_base_url: str = "https://api-data.line.me"
    line_reply_token_ttl_seconds: float = Field(default=25.0, gt=0, le=60)
    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_secret: SecretStr | None = None
    telegram_bot_username: str | None = None
    public_base_url: str | None = None
    citybot_timezone: str = "Asia/Bangkok"
    citybot_env: Literal["development", "production", "test"] = "development"
    citybot_simulator: bool | None = None
    citybot_content_dir: str | None = None
    citybot_materials_base_url: str = "https://smartcity.depa.or.th/materials"
    citybot_log_level: str = "INFO"
    # Where the files people send (progress evidence, competition entries) are kept, and the
    # largest one taken (Telegram's Bot API serves bots no file over 20 MB whatever this says).
    citybot_media_dir: Path = Path("./media")
    citybot_media_max_mb: int = Field(default=20, gt=0, le=50)
    # The largest webhook body read; a larger one is refused (413) before it is read whole.
    citybot_max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    citybot_request_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Tries an incoming message gets when handling it fails (not counting database or network
    # outages, which are waited out) before it is set aside with one apology.
    citybot_inbox_max_attempts: int = Field(default=3, ge=1, le=20)
    # How long a worker may hold a message it is sending before another worker takes it over
    # (renewed every third of it while sending, so a killed worker's messages go on soon).
    citybot_outbox_lease_seconds: float = Field(default=15.0, ge=1, le=3600)
    # Wrong invite and link codes, from everyone together, before codes are refused for a minute.
    citybot_wrong_codes_per_minute: int = Field(default=30, ge=1, le=10_000)
    # Delivery rate limits, a little under the platforms' published ceilings.
    citybot_telegram_per_second: float = Field(default=25.0, gt=0, le=30)
    citybot_telegram_chat_per_second: float = Field(default=1.0, gt=0, le=1)
    citybot_telegram_group_per_minute: float = Field(default=20.0, gt=0, le=20)
    citybot_line_multicast_per_second: float = Field(default=200.0, gt=0, le=200)
    citybot_line_push_per_second: float = Field(default=2000.0, gt=0, le=2000)
    # When city teams are asked about their milestones, and when depa gets its weekly digest:
    # crontab (minute hour day month weekday) in CITYBOT_TIMEZONE.
    citybot_checkin_cron: str = "0 9 * * MON"
    citybot_digest_cron: str = "30 8 * * MON"
    # When questions nobody at depa answered within two working days are raised with the
    # coordinators (each once): hourly in office hours.
    citybot_ticket_reminder_cron: str = "0 8-20 * * MON-FRI"
    # depa's web dashboard (/dashboard): on unless switched off (CITYBOT_DASHBOARD=0).
    citybot_dashboard: bool = True
    # Where this bot is served when PUBLIC_BASE_URL is unset (dashboard links from chat);
    # `citybot serve` sets it from --host and --port.
    citybot_serving_url: str = "http://127.0.0.1:8080"
    # Signs the dashboard's session cookies; unset, a key kept in the database is used (made
    # once, shared by every process), so sessions survive restarts either way.
    citybot_secret_key: SecretStr | None = None
    # The public open-data API (/api/v1/progress.json|.csv, /api/v1/datapackage.json), and the
    # cities left out of it: comma-separated slugs of content/organisations.yaml's cities.
    citybot_open_data: bool = True
    citybot_open_data_withheld: str = ""

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(ASYNC_DRIVERS):
            raise SettingsError(
                f"DATABASE_URL must use an async driver ({' or '.join(ASYNC_DRIVERS)}), "
                f"got {value.split(':', 1)[0]!r}"
            )
        return value

    @field_validator("citybot_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise SettingsError(f"CITYBOT_TIMEZONE {value!r} is not a known time zone") from error
        return value

    @field_validator("citybot_checkin_cron", "citybot_digest_cron", "citybot_ticket_reminder_cron")
    @classmethod
    def _crontab(cls, value: str, info: ValidationInfo) -> str:
        try:
            cron_trigger(value, ZoneInfo("UTC"))  # the zone does not change what parses
        except ScheduleError as error:
            raise SettingsError(f"{str(info.field_name).upper()}: {error}") from error
        return value.strip()

    @field_validator("public_base_url")
    @classmethod
    def _https_public_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise SettingsError("PUBLIC_BASE_URL must be an https:// URL (platforms require it)")
        return value.rstrip("/") if value else value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _unguessable_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # The secret is all that keeps forged updates out of the webhook.
        if value is not None and len(value.get_secret_value()) < MIN_WEBHOOK_SECRET:
            raise SettingsError(
                f"TELEGRAM_WEBHOOK_SECRET must be at least {MIN_WEBHOOK_SECRET} characters "
                "(for example: openssl rand -hex 24)"
            )
        return value

    @model_validator(mode="after")
    def _channels_complete(self) -> Settings:
        if bool(self.line_channel_secret) != bool(self.line_channel_access_token):
            missing = (
                "LINE_CHANNEL_ACCESS_TOKEN" if self.line_channel_secret else "LINE_CHANNEL_SECRET"
            )
            raise SettingsError(f"{missing} is required when the other LINE variable is set")
        if self.telegram_webhook_secret and not self.telegram_bot_token:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is required when TELEGRAM_WEBHOOK_SECRET is set"
            )
        return self

    @model_validator(mode="after")
    def _withheld_are_cities(self) -> Settings:
        # A mistyped slug would publish the city it meant to withhold: refuse to start instead.
        if not self.open_data_withheld:
            return self
        listed = read_yaml(self.content_dir / "organisations.yaml")["organisations"]
        cities = sorted(entry["slug"] for entry in listed if entry.get("kind") == "city")
        unknown = sorted(self.open_data_withheld - set(cities))
        if unknown:
            raise SettingsError(
                f"CITYBOT_OPEN_DATA_WITHHELD: {', '.join(unknown)} is not a city "
                f"(cities: {', '.join(cities)})"
            )
        return self

    @cached_property
    def timezone(self) -> ZoneInfo:
        """The zone used for showing times and firing schedules."""
        return ZoneInfo(self.citybot_timezone)

    @property
    def open_data_withheld(self) -> frozenset[str]:
        """The cities kept out of the open-data API (CITYBOT_OPEN_DATA_WITHHELD)."""
        slugs = self.citybot_open_data_withheld.split(",")
        return frozenset(slug.strip().casefold() for slug in slugs if slug.strip())

    @property
    def content_dir(self) -> Path:
        """Where `content/` lives: the checkout's, unless CITYBOT_CONTENT_DIR says otherwise."""
        return Path(self.citybot_content_dir) if self.citybot_content_dir else DEFAULT_CONTENT_DIR

    @property
    def media_max_bytes(self) -> int:
        """The largest file taken from a chat, in bytes (CITYBOT_MEDIA_MAX_MB mebibytes)."""
        return self.citybot_media_max_mb * 1024 * 1024

    @property
    def line_enabled(self) -> bool:
        """LINE runs only with both of its credentials."""
        return self.line_channel_secret is not None

    @property
    def telegram_enabled(self) -> bool:
        """Telegram runs whenever a token is set."""
        return self.telegram_bot_token is not None

    @property
    def telegram_polling(self) -> bool:
        """Without a webhook secret Telegram is polled (development)."""
        return self.telegram_enabled and self.telegram_webhook_secret is None

    @property
    def simulator_enabled(self) -> bool:
        """The browser simulator is on by default on SQLite and never in production."""
        if self.citybot_env == "production":
            return False
        if self.citybot_simulator is not None:
            return self.citybot_simulator
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's report into one line that names the variable."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # overrides are field values
    except ValidationError as error:
        problems = []
        for item in error.errors():
            field = ".".join(str(part) for part in item["loc"]).upper() or "SETTINGS"
            message = str(item.get("ctx", {}).get("error", item["msg"]))
            named = field == "SETTINGS" or message.startswith(field)
            problems.append(message if named else f"{field}: {message}")
        raise SettingsError("; ".join(problems)) from None
