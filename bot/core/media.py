"""Files kept on disk: the photos and documents people send as evidence, checked, stored once.

What a platform says a file is may be wrong, so the type is read from the bytes themselves
(their magic numbers); a file is named by its SHA-256, so the same photo sent twice is one file.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

from bot.core.files import Download
from bot.settings import Settings


class MediaKind(StrEnum):
    """What kind of file a feature accepts."""

    IMAGE = "image"
    DOCUMENT = "document"


# Magic numbers: the first bytes of each type we keep, its content type and file extension.
_SIGNATURES: tuple[tuple[bytes, str, str, MediaKind], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg", MediaKind.IMAGE),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png", MediaKind.IMAGE),
    (b"%PDF-", "application/pdf", ".pdf", MediaKind.DOCUMENT),
)


class MediaRejected(Exception):
    """A file not kept: larger than allowed, or of a type not accepted."""

    def __init__(self, reason: Literal["too_large", "unknown_type"]) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file kept under the media directory (`path` is relative to it)."""

    path: str
    content_type: str
    size: int
    sha256: str


class MediaStore:
    """The media directory: where evidence files are written."""

    def __init__(self, root: Path, *, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> MediaStore:
        """The store `CITYBOT_MEDIA_DIR` and `CITYBOT_MEDIA_MAX_MB` describe."""
        return cls(settings.citybot_media_dir, max_bytes=settings.media_max_bytes)

    def save(
        self, download: Download, *, folder: str, accept: Collection[MediaKind]
    ) -> StoredFile:
        """Keep `download` under `folder` if it fits and is of an accepted kind."""
        content = download.content
        if len(content) > self.max_bytes:
            raise MediaRejected("too_large")
        sniffed = next((s for s in _SIGNATURES if content.startswith(s[0])), None)
        if sniffed is None or sniffed[3] not in accept:
            raise MediaRejected("unknown_type")
        _, content_type, extension, _ = sniffed
        digest = hashlib.sha256(content).hexdigest()
        relative = Path(folder) / f"{digest}{extension}"
        target = self.root / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.{os.getpid()}.part")
            partial.write_bytes(content)
            partial.replace(target)  # whole or not at all, even if two workers race
        return StoredFile(
            path=relative.as_posix(), content_type=content_type, size=len(content), sha256=digest
        )
