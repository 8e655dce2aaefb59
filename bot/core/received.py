"""Files people sent in chat, fetched from their platform and kept in the media store in one step.

What a feature does with a `FileReceived` it wants (progress evidence, a competition entry):
fetch it through `Services.files` no larger than CITYBOT_MEDIA_MAX_MB, check what its bytes are,
keep it. Every refusal is one `FileRefused` whose reason names the message people get, and
nothing refused is written.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from bot.core.context import Services
from bot.core.events import FileReceived
from bot.core.files import FileTooLarge, FileUnavailable
from bot.core.media import MediaKind, MediaRejected, MediaStore, StoredFile

Refusal = Literal["too_large", "unknown_type", "file_unavailable"]


class FileRefused(Exception):
    """A sent file not kept: too large, of a type not taken, or not fetchable."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason)
        self.reason: Refusal = reason


async def keep_sent_file(
    services: Services,
    event: FileReceived,
    *,
    folder: str,
    accept: Collection[MediaKind],
    only: Collection[str] | None = None,
) -> StoredFile:
    """Fetch the file of `event` and keep it under `folder`, if it is of the `accept`ed kinds
    (and, with `only`, one of those content types); FileRefused otherwise."""
    settings = services.settings
    store = MediaStore.from_settings(settings)
    try:
        download = await services.files.fetch(
            event.channel, event.file_ref, max_bytes=settings.media_max_bytes
        )
        if only is not None and store.check(download, accept=accept) not in only:
            raise FileRefused("unknown_type")
        return await store.save(download, folder=folder, accept=accept)
    except FileTooLarge:
        raise FileRefused("too_large") from None
    except FileUnavailable:
        raise FileRefused("file_unavailable") from None
    except MediaRejected as rejected:
        raise FileRefused(rejected.reason) from None
