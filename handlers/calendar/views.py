"""The calendar's chat replies: the feed's address and how to subscribe to it."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.replies import MAX_DOCUMENT_CONTENT, Document, Reply, Text

FEED_PATH = "/calendar/{token}.ics"  # served by bot/web/calendar.py
FILE_NAME = "citybot.ics"


def feed_path(token: str) -> str:
    """The private feed's path on this server."""
    return FEED_PATH.format(token=token)


def subscription(ctx: Context, token: str, intro: str, feed: bytes | None) -> list[Reply]:
    """The address with how to subscribe and, given the `feed`'s bytes, the feed as a file.

    Without PUBLIC_BASE_URL there is no address people can reach: the reply says so and
    shows the path, for whoever sets the server up.
    """
    base = ctx.services.settings.public_base_url
    if base is None:
        return [Text(text=ctx.t("calendar.no_public_url", intro=intro, path=feed_path(token)))]
    url = f"{base}{feed_path(token)}"
    replies: list[Reply] = [Text(text=ctx.t("calendar.link", intro=intro, url=url))]
    if feed is not None:
        # A feed too large for a reply goes by URL, which the Bot API does not fetch for an
        # .ics: the adapter then sends the link as a button.
        replies.append(
            Document(
                title=ctx.t("calendar.document_title"),
                url=url,
                caption=ctx.t("calendar.document_caption"),
                file_name=FILE_NAME,
                content=feed if len(feed) <= MAX_DOCUMENT_CONTENT else None,
            )
        )
    return replies


def usage(ctx: Context) -> list[Reply]:
    """What `/calendar` takes."""
    return [Text(text=ctx.t("calendar.usage"))]
