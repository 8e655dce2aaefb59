"""The media store: the photos and documents people send, kept on disk, checked by their bytes.

A feature fetches a file through `Services.files` and hands the `Download` to `MediaStore.save`
with the kinds it takes (a progress report takes images and documents). What the file is, is
decided from its bytes alone (magic numbers, and for Office files the names inside the ZIP):
never from the platform's content type or the file name, which the sender controls. An `.exe`
called `photo.jpg` is refused, and so is anything too large or of a type not taken.

A kept file is named by the SHA-256 of its bytes and the extension of its type, under a folder
the feature names (`evidence/pattaya`): the same bytes sent twice are one file. It is written to
a temporary file beside it and renamed into place, so a reader never sees half a file. The
database keeps `StoredFile.path`, relative to CITYBOT_MEDIA_DIR; `open_path` turns it back into
a path and refuses any that would lead outside the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Literal

import filetype

from bot.core.files import Download
from bot.settings import Settings


class MediaKind(StrEnum):
    """What a feature accepts."""

    IMAGE = "image"
    DOCUMENT = "document"


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

IMAGE_TYPES: Mapping[str, str] = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/heic": ".heic",
}
DOCUMENT_TYPES: Mapping[str, str] = {
    "application/pdf": ".pdf",
    DOCX: ".docx",
    XLSX: ".xlsx",
    PPTX: ".pptx",
}
TYPES: Mapping[MediaKind, Mapping[str, str]] = {
    MediaKind.IMAGE: IMAGE_TYPES,
    MediaKind.DOCUMENT: DOCUMENT_TYPES,
}
# An Office Open XML file is a ZIP with [Content_Types].xml and the main part of its kind.
OFFICE_PARTS = {"word/document.xml": DOCX, "xl/workbook.xml": XLSX, "ppt/presentation.xml": PPTX}
ZIP_TYPES = frozenset({"application/zip", DOCX, XLSX, PPTX})
FILE_MODE = 0o640  # evidence may show people: readable by the bot's user and group only
FOLDER_MODE = 0o750
SLUG_RUN = re.compile(r"[^a-z0-9_]+")  # hyphens too: runs of them become one


class MediaRejected(Exception):
    """A file the store will not keep: larger than `limit`, or of a type not accepted.

    `content_type` is what the bytes turned out to be (None when nothing known).
    """

    def __init__(
        self,
        reason: Literal["too_large", "unknown_type"],
        *,
        limit: int | None = None,
        content_type: str | None = None,
    ) -> None:
        detail = f"larger than {limit} bytes" if reason == "too_large" else f"a {content_type}"
        super().__init__(f"{reason}: {detail}")
        self.reason: Literal["too_large", "unknown_type"] = reason
        self.limit = limit
        self.content_type = content_type


@dataclass(frozen=True)
class StoredFile:
    """A kept file: where (relative to the media root, POSIX), what, how big, and its hash."""

    path: str
    content_type: str
    size: int
    sha256: str


def sniff(content: bytes) -> str | None:
    """The MIME type the bytes show (magic numbers, the parts inside a ZIP), or None."""
    found = filetype.guess_mime(content)
    if found in ZIP_TYPES:  # filetype guesses Office files from the first entries: look inside
        return _office_type(content) or "application/zip"
    return found if isinstance(found, str) else None


def _office_type(content: bytes) -> str | None:
    """Word, Excel or PowerPoint by the parts the ZIP lists (its directory, nothing unpacked)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, EOFError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    found = [mime for part, mime in OFFICE_PARTS.items() if part in names]
    return found[0] if len(found) == 1 else None


def folder_path(folder: str) -> str:
    """`folder` as slug segments (`Evidence/Pattaya City` → `evidence/pattaya-city`).

    ValueError for a segment with nothing left (empty, `.`, `..`): such a folder is a bug.
    """
    segments = [SLUG_RUN.sub("-", part.lower()).strip("-") for part in folder.split("/")]
    if not segments or not all(segments):
        raise ValueError(f"not a media folder: {folder!r}")
    return "/".join(segments)


class MediaStore:
    """Files people sent, under one root folder, each checked before it is kept."""

    def __init__(self, root: Path, *, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.root = Path(root).absolute()
        self.max_bytes = max_bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> MediaStore:
        """The store at CITYBOT_MEDIA_DIR, taking files up to CITYBOT_MEDIA_MAX_MB."""
        return cls(settings.citybot_media_dir, max_bytes=settings.media_max_bytes)

    def check(self, download: Download, *, accept: Collection[MediaKind]) -> str:
        """The content type the bytes show; MediaRejected when too large or not accepted."""
        if len(download.content) > self.max_bytes:
            raise MediaRejected("too_large", limit=self.max_bytes)
        found = sniff(download.content)
        if found is None or not any(found in TYPES[kind] for kind in accept):
            raise MediaRejected("unknown_type", content_type=found)
        return found

    async def save(
        self, download: Download, *, folder: str, accept: Collection[MediaKind]
    ) -> StoredFile:
        """Check the file, then keep it as `<folder>/<sha256><ext>` (off the event loop).

        Saving the same bytes again finds the file there and returns the same StoredFile.
        MediaRejected when the check fails (nothing is written), ValueError for a bad folder.
        """
        relative = folder_path(folder)
        return await asyncio.to_thread(self._save, download, relative, frozenset(accept))

    def _save(self, download: Download, folder: str, accept: frozenset[MediaKind]) -> StoredFile:
        content_type = self.check(download, accept=accept)
        content = download.content
        digest = hashlib.sha256(content).hexdigest()
        extension = IMAGE_TYPES.get(content_type) or DOCUMENT_TYPES[content_type]
        stored = StoredFile(
            path=f"{folder}/{digest}{extension}",
            content_type=content_type,
            size=len(content),
            sha256=digest,
        )
        target = self.root / stored.path
        if target.is_file() and target.stat().st_size == len(content):
            return stored  # named by its hash: the same bytes are already there
        _write_atomically(target, content)
        return stored

    def open_path(self, stored_path: str) -> Path:
        """The absolute path of a kept file; ValueError for one that would leave the store."""
        relative = PurePosixPath(stored_path)
        if (
            not stored_path
            or "\\" in stored_path
            or "\x00" in stored_path
            or relative.is_absolute()
            or any(part in {"", ".", ".."} for part in stored_path.split("/"))
        ):
            raise ValueError(f"not a stored file path: {stored_path!r}")
        root = self.root.resolve()
        path = (root / relative).resolve()
        if path == root or not path.is_relative_to(root):  # a symbolic link leading out
            raise ValueError(f"not a stored file path: {stored_path!r}")
        return path


def _write_atomically(target: Path, content: bytes) -> None:
    """Write `content` to a temporary file beside `target`, then rename it into place."""
    target.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; elsewhere there is no folder to sync)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
