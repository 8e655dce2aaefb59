"""The media store: a file is what its bytes say, kept once by its hash, never outside the root."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from pathlib import Path

import pytest

from bot.core.files import Download
from bot.core.media import (
    DOCUMENT_TYPES,
    IMAGE_TYPES,
    MediaKind,
    MediaRejected,
    MediaStore,
    folder_path,
    sniff,
)
from bot.settings import Settings
from tests import media_samples as samples

IMAGES = {MediaKind.IMAGE}
EVERYTHING = {MediaKind.IMAGE, MediaKind.DOCUMENT}


@pytest.fixture
def store(tmp_path: Path) -> MediaStore:
    """A store under a temporary folder taking files up to 64 KiB."""
    return MediaStore(tmp_path / "media", max_bytes=64 * 1024)


def files_under(root: Path) -> list[Path]:
    """Every file under `root` (none when it does not exist)."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (samples.png(), "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", "image/jpeg"),
        (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00", "image/webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic\x00\x00\x00\x00", "image/heic"),
        (samples.pdf(), "application/pdf"),
        (samples.office(samples.DOCX), samples.DOCX),
        (samples.office(samples.XLSX), samples.XLSX),
        (samples.office(samples.PPTX, main_first=True), samples.PPTX),
        (samples.plain_zip(), "application/zip"),
        (samples.exe(), "application/x-msdownload"),
        (b"just some words", None),
        (b"", None),
    ],
)
def test_the_type_comes_from_the_bytes(content: bytes, expected: str | None) -> None:
    """Magic numbers decide; an Office file is told by the parts its ZIP lists."""
    assert sniff(content) == expected


def test_every_accepted_type_has_an_extension_of_its_own() -> None:
    """Images and documents do not overlap, and each extension names one type."""
    assert not IMAGE_TYPES.keys() & DOCUMENT_TYPES.keys()
    extensions = [*IMAGE_TYPES.values(), *DOCUMENT_TYPES.values()]
    assert len(set(extensions)) == len(extensions)


async def test_an_image_is_kept_under_its_hash(store: MediaStore) -> None:
    """The bytes on disk are the bytes sent, named by their SHA-256 under the folder."""
    image = samples.png()

    stored = await store.save(
        Download(image, "image/png", "site.png"), folder="evidence/pattaya", accept=IMAGES
    )

    digest = hashlib.sha256(image).hexdigest()
    assert stored.path == f"evidence/pattaya/{digest}.png"
    assert (stored.content_type, stored.size, stored.sha256) == ("image/png", len(image), digest)
    assert store.open_path(stored.path).read_bytes() == image
    assert files_under(store.root) == [store.root / "evidence" / "pattaya" / f"{digest}.png"]
    assert stat.S_IMODE(store.open_path(stored.path).stat().st_mode) == 0o640


async def test_saving_the_same_bytes_twice_is_one_file(store: MediaStore) -> None:
    """A resend (or a retried event) finds the file there: same answer, nothing rewritten."""
    document = Download(samples.pdf(), "application/pdf", "plan.pdf")

    first = await store.save(document, folder="evidence/khon-kaen", accept=EVERYTHING)
    written = store.open_path(first.path).stat().st_ino
    again = await store.save(
        Download(document.content, None, "other-name.pdf"),
        folder="evidence/khon-kaen",
        accept=EVERYTHING,
    )
    both = await asyncio.gather(
        *(store.save(document, folder="evidence/khon-kaen", accept=EVERYTHING) for _ in range(4))
    )

    assert again == first and set(both) == {first}
    assert store.open_path(first.path).stat().st_ino == written  # a rewrite is a new inode
    assert files_under(store.root) == [store.open_path(first.path)]


async def test_a_disguised_program_is_refused_and_nothing_is_written(store: MediaStore) -> None:
    """An .exe called photo.jpg, said by the platform to be a JPEG, is what its bytes say."""
    disguised = Download(samples.exe(), "image/jpeg", "photo.jpg")

    with pytest.raises(MediaRejected) as refused:
        await store.save(disguised, folder="evidence/phuket", accept=EVERYTHING)

    assert refused.value.reason == "unknown_type"
    assert refused.value.content_type == "application/x-msdownload"
    assert files_under(store.root) == []


@pytest.mark.parametrize(
    ("content", "accept", "found"),
    [
        (samples.pdf(), IMAGES, "application/pdf"),  # a document where only photos are taken
        (samples.png(), {MediaKind.DOCUMENT}, "image/png"),
        (samples.plain_zip(), EVERYTHING, "application/zip"),
        (b"%PDX not quite", EVERYTHING, None),
    ],
)
def test_types_not_accepted_are_refused(
    store: MediaStore, content: bytes, accept: set[MediaKind], found: str | None
) -> None:
    """A feature takes only the kinds it names; the refusal says what the bytes were."""
    with pytest.raises(MediaRejected) as refused:
        store.check(Download(content, "application/pdf"), accept=accept)

    assert (refused.value.reason, refused.value.content_type) == ("unknown_type", found)


async def test_a_file_over_the_limit_is_refused(store: MediaStore) -> None:
    """One byte past max_bytes is too large, whatever its type; exactly max_bytes is kept."""
    over = samples.png(padding=store.max_bytes)
    with pytest.raises(MediaRejected) as refused:
        await store.save(Download(over), folder="evidence", accept=IMAGES)
    assert (refused.value.reason, refused.value.limit) == ("too_large", store.max_bytes)
    assert files_under(store.root) == []

    base = len(samples.png(padding=1)) - 1
    exact = samples.png(padding=store.max_bytes - base)
    assert len(exact) == store.max_bytes
    assert (await store.save(Download(exact), folder="evidence", accept=IMAGES)).size == len(exact)


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("evidence/pattaya", "evidence/pattaya"),
        ("Evidence/Pattaya City", "evidence/pattaya-city"),
        ("submissions/2025/บางกอก-bkk", "submissions/2025/bkk"),
        ("a;rm -rf ~/b", "a-rm-rf/b"),
    ],
)
def test_folders_are_slugs(folder: str, expected: str) -> None:
    """Whatever a feature names, the folder on disk is lower-case slug segments."""
    assert folder_path(folder) == expected


@pytest.mark.parametrize("folder", ["", "../outside", "evidence/../../etc", "/", "a//b", "บางกอก"])
async def test_a_folder_that_is_no_slug_is_refused(store: MediaStore, folder: str) -> None:
    """A folder with an empty, `.` or `..` segment is a bug: refused before anything is read."""
    with pytest.raises(ValueError, match="not a media folder"):
        await store.save(Download(samples.png()), folder=folder, accept=IMAGES)
    assert files_under(store.root) == []


@pytest.mark.parametrize(
    "path",
    [
        "../secret.txt",
        "evidence/../../secret.txt",
        "/etc/passwd",
        "evidence/./x.png",
        "evidence\\..\\..\\secret.txt",
        "",
        ".",
        "evidence/x.png\x00.txt",
    ],
)
def test_paths_leading_out_of_the_store_are_refused(store: MediaStore, path: str) -> None:
    """`..`, absolute paths, backslashes and empty parts never reach the disk."""
    with pytest.raises(ValueError, match="not a stored file path"):
        store.open_path(path)


def test_a_symbolic_link_out_of_the_store_is_refused(store: MediaStore, tmp_path: Path) -> None:
    """A link planted inside the root that points outside it is refused too."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret", encoding="utf-8")
    store.root.mkdir(parents=True)
    os.symlink(outside, store.root / "evidence")

    with pytest.raises(ValueError, match="not a stored file path"):
        store.open_path("evidence/secret.txt")
    assert store.open_path("evidence2/x.png") == store.root.resolve() / "evidence2" / "x.png"


def test_the_store_follows_the_settings(tmp_path: Path) -> None:
    """CITYBOT_MEDIA_DIR is the root and CITYBOT_MEDIA_MAX_MB the limit, in MiB."""
    media = tmp_path / "files"
    settings = Settings(_env_file=None, citybot_media_dir=media, citybot_media_max_mb=3)

    store = MediaStore.from_settings(settings)

    assert store.root == media
    assert store.max_bytes == 3 * 1024 * 1024
