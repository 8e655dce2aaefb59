"""Files people send, fetched by the real SDKs from the fake platforms and kept by the media store.

The bot is built as `citybot serve` builds it, with LINE and Telegram on, and the files are asked
of `Services.files` as a feature asks them: that proves the adapters are registered as file
sources too. No database is touched, so these run once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import App
from bot.core.files import FileFetcher, FileTooLarge, FileUnavailable
from bot.core.media import MediaKind, MediaRejected, MediaStore
from bot.settings import Settings
from db.enums import Channel
from tests import media_samples as samples
from tests.channels.line.conftest import line_settings
from tests.channels.telegram.conftest import telegram_settings
from tests.fakes.line_api import FakeLineApi
from tests.fakes.line_events import ACCESS_TOKEN
from tests.fakes.telegram_api import TOKEN, FakeTelegramApi

KIB = 1024
EVIDENCE = {MediaKind.IMAGE, MediaKind.DOCUMENT}


@dataclass
class Platforms:
    """The fakes, the bot's file sources and a media store under a temporary folder."""

    line_api: FakeLineApi  # LINE_API_BASE_URL: sends, profiles (no file is asked of it)
    line: FakeLineApi  # LINE_DATA_API_BASE_URL: the content host
    telegram: FakeTelegramApi
    files: FileFetcher
    store: MediaStore

    def written(self) -> list[Path]:
        """Every file the store holds."""
        root = self.store.root
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
async def platforms(tmp_path: Path) -> AsyncIterator[Platforms]:
    """The bot with LINE and Telegram against the fakes; its database is never opened."""
    line_api, line, telegram = FakeLineApi(), FakeLineApi(), FakeTelegramApi()
    for fake in (line_api, line, telegram):
        await fake.start()
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        citybot_media_dir=tmp_path / "media",
        citybot_media_max_mb=1,
        **line_settings(line_api, line_data_api_base_url=line.base_url),
        **telegram_settings(telegram),
    )
    app = App.create(settings)
    await app.start(loops=False)
    try:
        yield Platforms(
            line_api=line_api,
            line=line,
            telegram=telegram,
            files=app.dispatcher.services.files,
            store=MediaStore.from_settings(settings),
        )
    finally:
        await app.close()
        for fake in (telegram, line, line_api):
            await fake.stop()


async def test_line_image_is_fetched_from_the_content_host_and_kept(
    platforms: Platforms,
) -> None:
    """The LINE SDK downloads a photo with the channel's token; the store keeps those bytes."""
    image = samples.png(16, 16)
    platforms.line.add_content("468789577898262530", image, "image/png")

    download = await platforms.files.fetch(
        Channel.LINE, "468789577898262530", max_bytes=platforms.store.max_bytes
    )
    stored = await platforms.store.save(download, folder="evidence/pattaya", accept=EVIDENCE)

    assert (download.content, download.content_type) == (image, "image/png")
    (request,) = platforms.line.calls("content")
    assert (request.method, request.path) == ("GET", "/v2/bot/message/468789577898262530/content")
    assert request.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert platforms.line_api.requests == []  # the content host is LINE_DATA_API_BASE_URL
    assert stored.content_type == "image/png" and stored.path.startswith("evidence/pattaya/")
    assert platforms.written() == [platforms.store.open_path(stored.path)]
    assert platforms.written()[0].read_bytes() == image


async def test_line_stream_without_length_is_read_whole(platforms: Platforms) -> None:
    """Content sent in chunks, with no Content-Length, arrives whole."""
    document = samples.pdf("x" * 40 * KIB)
    platforms.line.add_content("m-chunked", document, "application/pdf", chunked=True)

    download = await platforms.files.fetch(Channel.LINE, "m-chunked", max_bytes=64 * KIB)

    assert download.content == document
    assert download.content_type == "application/pdf"


@pytest.mark.parametrize("chunked", [False, True])
async def test_line_file_over_the_limit_is_refused(platforms: Platforms, chunked: bool) -> None:
    """Announced (Content-Length) or not, a file past max_bytes is FileTooLarge; none is kept."""
    big = samples.png(padding=200 * KIB)
    platforms.line.add_content("m-big", big, "image/png", chunked=chunked)

    with pytest.raises(FileTooLarge) as refused:
        await platforms.files.fetch(Channel.LINE, "m-big", max_bytes=100 * KIB)

    assert refused.value.limit == 100 * KIB
    assert platforms.written() == []
    # The connection was dropped, not spoiled: the next file comes through it or a new one.
    platforms.line.add_content("m-small", samples.png(), "image/png")
    small = await platforms.files.fetch(Channel.LINE, "m-small", max_bytes=100 * KIB)
    assert small.content == samples.png()


async def test_line_message_without_content_is_unavailable(platforms: Platforms) -> None:
    """LINE's 404 (an unknown id, or content LINE no longer keeps) is FileUnavailable."""
    with pytest.raises(FileUnavailable, match="404") as refused:
        await platforms.files.fetch(Channel.LINE, "no-such-message", max_bytes=KIB)

    assert not isinstance(refused.value, FileTooLarge)
    assert [r.status for r in platforms.line.calls("content")] == [404]


async def test_line_failure_or_silence_is_unavailable(platforms: Platforms) -> None:
    """A 500 from LINE, then no LINE at all, are FileUnavailable, never an SDK error."""
    platforms.line.add_content("m-1", samples.png(), "image/png")
    platforms.line.fail("content", 500, "Internal Server Error")

    with pytest.raises(FileUnavailable, match="500"):
        await platforms.files.fetch(Channel.LINE, "m-1", max_bytes=KIB)

    await platforms.line.stop()
    with pytest.raises(FileUnavailable, match="unavailable"):
        await platforms.files.fetch(Channel.LINE, "m-1", max_bytes=KIB)


async def test_line_disguised_program_is_fetched_then_refused(platforms: Platforms) -> None:
    """An .exe that LINE calls image/jpeg comes down, and the store refuses what its bytes are."""
    platforms.line.add_content("m-exe", samples.exe(), "image/jpeg")

    download = await platforms.files.fetch(Channel.LINE, "m-exe", max_bytes=KIB)
    with pytest.raises(MediaRejected) as refused:
        await platforms.store.save(download, folder="evidence/yala", accept=EVIDENCE)

    assert download.content_type == "image/jpeg"
    assert (refused.value.reason, refused.value.content_type) == (
        "unknown_type",
        "application/x-msdownload",
    )
    assert platforms.written() == []


async def test_telegram_document_is_fetched_with_getfile_and_kept(platforms: Platforms) -> None:
    """python-telegram-bot asks getFile, downloads the file path, and the store keeps a PDF."""
    document = samples.pdf("Operating framework, draft 2")
    platforms.telegram.add_file("BQACAgUAAxkBAAIB", document, file_path="documents/file_7.pdf")

    download = await platforms.files.fetch(
        Channel.TELEGRAM, "BQACAgUAAxkBAAIB", max_bytes=platforms.store.max_bytes
    )
    stored = await platforms.store.save(download, folder="evidence/khon-kaen", accept=EVIDENCE)

    assert download.content == document and download.content_type is None
    assert platforms.telegram.calls_to("getFile") == [{"file_id": "BQACAgUAAxkBAAIB"}]
    assert platforms.telegram.downloads == ["documents/file_7.pdf"]
    assert (stored.content_type, stored.path.endswith(".pdf")) == ("application/pdf", True)
    assert platforms.store.open_path(stored.path).read_bytes() == document
    assert TOKEN not in stored.path


async def test_telegram_file_over_the_limit_is_refused_before_downloading(
    platforms: Platforms,
) -> None:
    """getFile tells the size: past max_bytes nothing is downloaded, nothing kept."""
    platforms.telegram.add_file("big", samples.png(padding=200 * KIB))

    with pytest.raises(FileTooLarge) as refused:
        await platforms.files.fetch(Channel.TELEGRAM, "big", max_bytes=100 * KIB)

    assert refused.value.limit == 100 * KIB
    assert platforms.telegram.downloads == []
    assert platforms.written() == []


async def test_telegram_refuses_files_over_twenty_megabytes(platforms: Platforms) -> None:
    """Telegram's own "file is too big" is FileTooLarge at its 20 MB, whatever was asked."""
    platforms.telegram.add_file("huge", bytes(20 * KIB * KIB + 1))

    with pytest.raises(FileTooLarge) as refused:
        await platforms.files.fetch(Channel.TELEGRAM, "huge", max_bytes=50 * KIB * KIB)

    assert refused.value.limit == 20 * KIB * KIB
    assert platforms.telegram.downloads == []


async def test_telegram_file_of_unknown_size_is_measured(platforms: Platforms) -> None:
    """When getFile leaves the size out, the download itself is measured against the limit."""
    platforms.telegram.add_file("unsized", samples.png(padding=2 * KIB), sized=False)

    with pytest.raises(FileTooLarge):
        await platforms.files.fetch(Channel.TELEGRAM, "unsized", max_bytes=KIB)
    fits = await platforms.files.fetch(Channel.TELEGRAM, "unsized", max_bytes=4 * KIB)

    assert fits.content == samples.png(padding=2 * KIB)


async def test_telegram_unknown_file_is_unavailable(platforms: Platforms) -> None:
    """Telegram's "invalid file_id" is FileUnavailable; the token never shows in the reason."""
    with pytest.raises(FileUnavailable, match=r"(?i)invalid file_id") as refused:
        await platforms.files.fetch(Channel.TELEGRAM, "forgotten", max_bytes=KIB)

    assert not isinstance(refused.value, FileTooLarge)
    assert TOKEN not in str(refused.value)
    assert platforms.telegram.downloads == []


async def test_no_file_source_for_the_console(platforms: Platforms) -> None:
    """A channel without a platform to fetch from answers FileUnavailable, not a crash."""
    with pytest.raises(FileUnavailable, match="no file source"):
        await platforms.files.fetch(Channel.CONSOLE, "anything", max_bytes=KIB)
