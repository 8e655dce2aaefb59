"""Our replies as Telegram messages: HTML text split at Telegram's limit, inline keyboards, links.

Rendering is pure (no network), so a reply that cannot be sent — a button payload too long for
`callback_data` — fails before anything reaches the chat, and half a reply is never sent.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions

from bot.channels.telegram.updates import CALLBACK_DATA_LIMIT, CALLBACK_PREFIX
from bot.core.replies import Button, Card, Cards, Choices, Document, Link, Reply, ReplyError, Text

TEXT_LIMIT = 4096  # characters of a message after entity parsing (Bot API sendMessage)
CAPTION_LIMIT = 1024  # characters of a document caption
CARD_MESSAGES_MAX = 3  # more cards than this become one list message, not a burst of messages
SHORT_LABEL = 14  # labels up to this long sit two to a row; longer Thai labels get a row each
SUBTITLE_LIMIT = 300  # a card is a pointer to the material, not the material
ELLIPSIS = "…"

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


@dataclass(frozen=True, slots=True)
class MessageOut:
    """One sendMessage: HTML text and an optional inline keyboard."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None
    preview: LinkPreviewOptions | None = None


@dataclass(frozen=True, slots=True)
class DocumentOut:
    """One sendDocument, and the link message to send if Telegram refuses the document.

    With `content` the file is uploaded as `file_name`; without, Telegram fetches `url` itself
    (the Bot API does so only for GIF, PDF and ZIP files).
    """

    url: str
    caption: str
    fallback: MessageOut
    content: bytes | None = None
    file_name: str | None = None


Outgoing = MessageOut | DocumentOut


def units(text: str) -> int:
    """Telegram's length of `text`: UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def _prefix_within(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 units."""
    if len(text) * 2 <= limit:
        return len(text)
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """`text` in pieces of at most `limit` units, cut at a line break, else a space, else anywhere.

    Thai is written without spaces between words, so a long run may have to be cut mid-word.
    """
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        fit = _prefix_within(rest, limit)
        if fit == len(rest):
            pieces.append(rest)
            break
        window = rest[:fit]
        cut = window.rfind("\n")
        if cut <= 0:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = fit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [piece for piece in pieces if piece]


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` units with an ellipsis when it is longer."""
    if units(text) <= limit:
        return text
    return text[: _prefix_within(text, limit - 1)].rstrip() + ELLIPSIS


def escape(text: str) -> str:
    """Text safe inside Telegram HTML: people's words never become markup."""
    return html.escape(text, quote=False)


def callback_data(payload: str) -> str:
    """A choice payload as callback data; a ReplyError when Telegram could not carry it."""
    data = CALLBACK_PREFIX + payload
    if len(data.encode("utf-8")) > CALLBACK_DATA_LIMIT:
        raise ReplyError(
            f"button payload {payload[:20]!r}… is {len(payload.encode())} bytes; Telegram "
            f"callback data holds {CALLBACK_DATA_LIMIT - len(CALLBACK_PREFIX)} after our prefix"
        )
    return data


def _key(
    label: str, *, url: str | None = None, payload: str | None = None
) -> InlineKeyboardButton:
    if url is not None:
        return InlineKeyboardButton(text=label, url=url)
    assert payload is not None  # a Button has exactly one of url or payload
    return InlineKeyboardButton(text=label, callback_data=callback_data(payload))


def _rows(
    keys: Sequence[InlineKeyboardButton], labels: Sequence[str]
) -> list[list[InlineKeyboardButton]]:
    """Two keys a row when every label is short, else one a row (Thai labels run long)."""
    width = 2 if all(len(label) <= SHORT_LABEL for label in labels) else 1
    return [list(keys[start : start + width]) for start in range(0, len(keys), width)]


def _with_keyboard(
    text: str, keyboard: InlineKeyboardMarkup | None, preview: LinkPreviewOptions | None = None
) -> list[MessageOut]:
    """Plain `text` as messages; the keyboard goes under the last one, where the eye ends."""
    pieces = [escape(piece) for piece in split_text(text)]
    if not pieces:
        if keyboard is None:
            return []
        raise ReplyError("a keyboard needs a message text to hang under")
    messages = [MessageOut(text=piece, preview=preview) for piece in pieces[:-1]]
    messages.append(MessageOut(text=pieces[-1], keyboard=keyboard, preview=preview))
    return messages


def _button_key(button: Button, label: str | None = None) -> InlineKeyboardButton:
    return _key(label or button.label, url=button.url, payload=button.payload)


def _card_title(card: Card) -> str:
    title = f"<b>{escape(card.title)}</b>"
    if card.link:
        return f'<a href="{html.escape(card.link, quote=True)}">{title}</a>'
    return title


def _card_text(card: Card) -> str:
    lines = [_card_title(card)]
    if card.subtitle:
        lines.append(escape(shorten(card.subtitle, SUBTITLE_LIMIT)))
    return "\n".join(lines)


def _card_units(card: Card) -> int:
    return units(card.title) + units(shorten(card.subtitle, SUBTITLE_LIMIT)) + 8


def _render_cards(reply: Cards) -> list[MessageOut]:
    if len(reply.cards) <= CARD_MESSAGES_MAX:
        messages = _with_keyboard(reply.text, None)
        for card in reply.cards:
            keys = [_button_key(button) for button in card.buttons]
            keyboard = (
                InlineKeyboardMarkup(_rows(keys, [b.label for b in card.buttons]))
                if keys
                else None
            )
            preview = LinkPreviewOptions(url=card.image_url) if card.image_url else NO_PREVIEW
            messages.append(MessageOut(text=_card_text(card), keyboard=keyboard, preview=preview))
        return messages
    # Many cards: one numbered list, each card's buttons on its own row, numbered to match.
    blocks = [escape(reply.text)] if reply.text.strip() else []
    used = units(reply.text)
    rows: list[list[InlineKeyboardButton]] = []
    for number, card in enumerate(reply.cards, start=1):
        blocks.append(f"{number}. {_card_text(card)}")
        used += _card_units(card)
        if card.buttons:
            rows.append([_button_key(b, f"{number}. {b.label}") for b in card.buttons])
    if used > TEXT_LIMIT:
        raise ReplyError(f"{len(reply.cards)} cards are too long for one Telegram message")
    keyboard = InlineKeyboardMarkup(rows) if rows else None
    return [MessageOut(text="\n\n".join(blocks), keyboard=keyboard, preview=NO_PREVIEW)]


def _render_document(reply: Document) -> DocumentOut:
    title = f"<b>{escape(reply.title)}</b>"
    caption = f"{title}\n{escape(shorten(reply.caption, CAPTION_LIMIT - units(reply.title) - 1))}"
    link = InlineKeyboardMarkup([[InlineKeyboardButton(text=reply.title, url=reply.url)]])
    fallback_text = f"{title}\n{escape(reply.caption)}" if reply.caption else title
    return DocumentOut(
        url=reply.url,
        caption=caption if reply.caption else title,
        fallback=MessageOut(text=fallback_text, keyboard=link, preview=NO_PREVIEW),
        content=reply.content,
        file_name=reply.file_name,
    )


def render(reply: Reply) -> list[Outgoing]:
    """The Telegram messages that show `reply`; a ReplyError if Telegram could not carry it."""
    match reply:
        case Text(text=text):
            return list(_with_keyboard(text, None))
        case Choices(text=text, options=options):
            keys = [_key(option.label, payload=option.payload) for option in options]
            rows = _rows(keys, [option.label for option in options])
            return list(_with_keyboard(text, InlineKeyboardMarkup(rows)))
        case Cards():
            return list(_render_cards(reply))
        case Link(text=text, label=label, url=url):
            keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(text=label, url=url)]])
            return list(_with_keyboard(text, keyboard))
        case Document():
            return [_render_document(reply)]
    raise ReplyError(f"Telegram cannot render {type(reply).__name__}")


def render_all(replies: Sequence[Reply]) -> list[Outgoing]:
    """Every reply's messages, in order."""
    return [message for reply in replies for message in render(reply)]
