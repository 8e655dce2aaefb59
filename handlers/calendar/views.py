"""The calendar's chat replies: the feed's address and how to subscribe to it."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.replies import Document, Reply, Text
from db.enums import Channel

FEED_PATH = "/calendar/{token}.ics"  # served by bot/web/calendar.py
FILE_NAME = "citybot.ics"


def feed_path(token: str) -> str:
    """The private feed's path on this server."""
    return FEED_PATH.format(token=token)


def subscription(ctx: Context, token: str, intro: str) -> list[Reply]:
    """The address with how to subscribe; on Telegram the feed as a document as well.

    Without PUBLIC_BASE_URL there is no address people can reach: the reply says so and
    shows the path, for whoever sets the server up.
    """
    base = ctx.services.settings.public_base_url
    if base is None:
        return [Text(text=ctx.t("calendar.no_public_url", intro=intro, path=feed_path(token)))]
    url = f"{base}{feed_path(token)}"
    replies: list[Reply] = [Text(text=ctx.t("calendar.link", intro=intro, url=url))]
    if ctx.identity.channel is Channel.TELEGRAM:
        # Telegram fetches a document sent by URL itself; when it will not (the Bot API takes
        # only some file types that way), the adapter sends the link as a button instead.
        replies.append(
            Document(
                title=ctx.t("calendar.document_title"),
                url=url,
                caption=ctx.t("calendar.document_caption"),
                file_name=FILE_NAME,
            )
        )
    return replies


def usage(ctx: Context) -> list[Reply]:
    """What `/calendar` takes."""
    return [Text(text=ctx.t("calendar.usage"))]
