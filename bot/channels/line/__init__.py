"""The LINE channel: webhook, events, rendering, sending, profiles and rich menus.

The only package that imports the LINE SDK (`linebot`), and only in `api.py`. `LineChannel` is
imported on first use, so the CLI and the webhook's pure parts start without loading the SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.channels.line.channel import LineChannel

__all__ = ["LineChannel"]


def __getattr__(name: str) -> Any:
    if name == "LineChannel":
        from bot.channels.line.channel import LineChannel

        return LineChannel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
