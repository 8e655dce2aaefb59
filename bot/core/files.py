"""Files people send (photos, documents): fetched from their platform when a feature asks.

An event carries only the platform's handle for a file (`FileReceived.file_ref`); the bytes stay
on the platform until a feature wants them, as evidence of progress or a competition entry. The
adapter of the event's channel knows how to fetch them; handlers ask `Services.files`, which
never lets them see a platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from db.enums import Channel


@dataclass(frozen=True, slots=True)
class Download:
    """A fetched file: its bytes, and what the platform said it is (which may be wrong)."""

    content: bytes
    content_type: str | None = None
    file_name: str | None = None


class FileUnavailable(Exception):
    """The file could not be fetched: gone from the platform, or the platform unreachable."""


class FileTooLarge(FileUnavailable):
    """The file is larger than the caller accepts; nothing past the limit was read."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


@runtime_checkable
class FileSource(Protocol):
    """An adapter that can fetch the files people send on its platform."""

    async def fetch_file(self, file_ref: str, *, max_bytes: int) -> Download:
        """The file behind `file_ref`; FileTooLarge past `max_bytes`, FileUnavailable else."""


class FileFetcher:
    """The channels' file sources, by channel: what handlers call to get a file's bytes."""

    def __init__(self) -> None:
        self._sources: dict[Channel, FileSource] = {}

    def register(self, channel: Channel, source: FileSource) -> None:
        """Fetch `channel`'s files through `source`."""
        self._sources[channel] = source

    async def fetch(self, channel: Channel, file_ref: str, *, max_bytes: int) -> Download:
        """The file `file_ref` sent on `channel`; FileUnavailable where files cannot be fetched."""
        source = self._sources.get(channel)
        if source is None:
            raise FileUnavailable(f"no file source for {channel.value}")
        return await source.fetch_file(file_ref, max_bytes=max_bytes)
