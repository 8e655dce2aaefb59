"""`citybot telegram …` and the deep link of `citybot invite create`, against the fake Bot API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from bot.cli import cli
from tests.fakes.loopback import serving_in_thread
from tests.fakes.telegram_api import TOKEN, FakeTelegramApi

runner = CliRunner()
PUBLIC_URL = "https://citybot.example.org"
SECRET = "webhook-secret_0123456789"


pytestmark = pytest.mark.usefixtures("isolated_settings")


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTelegramApi]:
    """The fake Bot API in a thread, and the environment pointing the CLI at it."""
    with serving_in_thread(FakeTelegramApi()) as (fake,):
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake.base_url)
        monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
        monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC_URL)
        yield fake


def test_set_webhook_registers_url_secret_and_update_kinds(api: FakeTelegramApi) -> None:
    """set-webhook --drop-pending: our URL, the secret header's value, the kinds we handle."""
    result = runner.invoke(cli, ["telegram", "set-webhook", "--drop-pending"])

    assert result.exit_code == 0, result.output
    assert api.webhook is not None
    assert api.webhook["url"] == f"{PUBLIC_URL}/webhooks/telegram"
    assert api.webhook["secret_token"] == SECRET
    assert api.webhook["drop_pending_updates"] is True
    assert api.webhook["allowed_updates"] == [
        "message",
        "edited_message",
        "callback_query",
        "my_chat_member",
        "chat_member",
        "message_reaction",
    ]
    assert f"webhook set: {PUBLIC_URL}/webhooks/telegram" in result.output


@pytest.mark.parametrize(
    ("missing", "named"),
    [("PUBLIC_BASE_URL", "PUBLIC_BASE_URL"), ("TELEGRAM_WEBHOOK_SECRET", "WEBHOOK_SECRET")],
)
def test_set_webhook_needs_the_public_url_and_the_secret(
    api: FakeTelegramApi, monkeypatch: pytest.MonkeyPatch, missing: str, named: str
) -> None:
    """Without PUBLIC_BASE_URL or the secret: one `error:` line, exit 2, nothing registered."""
    monkeypatch.delenv(missing)

    result = runner.invoke(cli, ["telegram", "set-webhook"])

    assert result.exit_code == 2
    assert result.output.startswith("error: ")
    assert named in result.output
    assert api.webhook is None


def test_a_secret_telegram_would_refuse_is_caught_first(
    api: FakeTelegramApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Telegram takes only A-Z a-z 0-9 _ - in the secret; the CLI says so before calling."""
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "has spaces, and a comma!")

    result = runner.invoke(cli, ["telegram", "set-webhook"])

    assert result.exit_code == 2
    assert "A-Z, a-z, 0-9" in result.output
    assert api.calls == []


def test_a_refusal_by_telegram_is_one_line_without_the_token(api: FakeTelegramApi) -> None:
    """The Bot API's error becomes `error: …` (exit 2) and never shows the token."""
    api.fail("setWebhook", 400, "Bad Request: bad webhook: Failed to resolve host")

    result = runner.invoke(cli, ["telegram", "set-webhook"])

    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == ["error: the Telegram Bot API refused: Bad webhook: failed to resolve host"]
    assert TOKEN.split(":")[1] not in result.output


def test_delete_webhook_returns_to_polling(api: FakeTelegramApi) -> None:
    """delete-webhook removes the webhook Telegram holds."""
    api.webhook = {"url": f"{PUBLIC_URL}/webhooks/telegram"}

    result = runner.invoke(cli, ["telegram", "delete-webhook"])

    assert result.exit_code == 0, result.output
    assert api.webhook is None
    assert "webhook deleted" in result.output


def test_set_commands_publishes_the_menu_in_thai_english_and_default(
    api: FakeTelegramApi,
) -> None:
    """set-commands: the content's commands described in Thai, English and (Thai) default."""
    result = runner.invoke(cli, ["telegram", "set-commands"])

    assert result.exit_code == 0, result.output
    assert set(api.commands) == {("default", "th"), ("default", "en"), ("default", "")}
    thai = {c["command"]: c["description"] for c in api.commands[("default", "th")]}
    english = {c["command"]: c["description"] for c in api.commands[("default", "en")]}
    assert api.commands[("default", "")] == api.commands[("default", "th")]
    assert list(thai)[:2] == ["start", "help"]
    assert thai["start"] == "รหัส — ลงทะเบียนด้วยรหัสเชิญ"
    assert english["start"] == "CODE — register with an invite code"
    assert english["help"] == "what you can do"
    assert all(0 < len(d) <= 256 for d in [*thai.values(), *english.values()])


def test_info_shows_the_bot_and_its_webhook(api: FakeTelegramApi) -> None:
    """info: the bot's username from getMe and the webhook from getWebhookInfo."""
    api.webhook = {"url": f"{PUBLIC_URL}/webhooks/telegram", "allowed_updates": ["message"]}

    result = runner.invoke(cli, ["telegram", "info"])

    assert result.exit_code == 0, result.output
    assert f"bot: @{api.username}" in result.output
    assert f"webhook: {PUBLIC_URL}/webhooks/telegram" in result.output
    assert "allowed updates: message" in result.output


def test_telegram_commands_need_a_token() -> None:
    """Without TELEGRAM_BOT_TOKEN the commands say so in one line."""
    result = runner.invoke(cli, ["telegram", "info"])

    assert result.exit_code == 2
    assert result.output.strip() == "error: TELEGRAM_BOT_TOKEN is not set"


def test_invite_create_prints_the_deep_link_before_the_code(
    seeded_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the bot's username known, the t.me deep link precedes the code (the last line)."""
    monkeypatch.setenv("DATABASE_URL", seeded_database_url)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "@SmartCityConnectBot")

    result = runner.invoke(cli, ["invite", "create", "--org", "khon-kaen", "--role", "officer"])

    assert result.exit_code == 0, result.output
    *_, link, code = result.output.strip().splitlines()
    assert link == f"telegram: https://t.me/SmartCityConnectBot?start={code}"
