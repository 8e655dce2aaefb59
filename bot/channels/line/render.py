"""Our replies as LINE message objects (plain JSON dicts), within every documented LINE limit.

Pure functions: the same replies always give the same messages, so a retried push carries an
identical body (LINE's retry key requires it) and tests can check sizes without a network.

- `Text` → text messages split at 5,000 UTF-16 units (at a line, then a space).
- `Choices` → text with a quick reply when it is the last message (quick replies vanish once
  another message arrives); otherwise, or beyond 13 options, a Flex list of buttons.
- `Cards` → the intro text, then Flex carousels (≤ 12 bubbles, ≤ 30 KB each, ≤ 50 KB each).
- `Link` and `Document` → a Flex bubble whose button opens the URL (LINE bots cannot send files).
- Choice payloads travel as versioned postback data, `1|consent:yes`, with the label as the text
  the chat shows for the tap.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from bot.channels.line import graphemes
from bot.core.replies import (
    Button,
    Card,
    Cards,
    Choice,
    Choices,
    Document,
    Link,
    Reply,
    ReplyError,
    Text,
)

Message = dict[str, Any]

MAX_TEXT = 5000  # UTF-16 units per text message
MAX_QUICK_REPLY_ITEMS = 13
MAX_LABEL = 20  # grapheme clusters, for every action label we use
MAX_DISPLAY_TEXT = 300
MAX_POSTBACK_DATA = 300
MAX_ALT_TEXT = 400
MAX_URI = 1000
MAX_BUBBLES = 12
MAX_BUBBLE_BYTES = 30_000  # LINE says 30 KB; bytes of the JSON, counted conservatively
MAX_CAROUSEL_BYTES = 50_000
MAX_MESSAGES_PER_REQUEST = 5
RENDERED_REPLIES = 512  # distinct replies whose LINE messages are kept, most recent first
POSTBACK_VERSION = "1"
_SEPARATOR = "|"
_URI_SCHEMES = ("https://", "http://", "line://", "tel:")
_MUTED = "#6B7280"
_LINK = "#1E6FD9"


def postback_data(payload: str) -> str:
    """Our payload as postback data: a version prefix, so old buttons can be told apart later."""
    data = f"{POSTBACK_VERSION}{_SEPARATOR}{payload}"
    if len(data) > MAX_POSTBACK_DATA:
        raise ReplyError(f"postback payload is {len(payload)} characters; LINE takes 298")
    return data


def payload_from_postback(data: str) -> str | None:
    """The payload of postback data we wrote; None for other versions or foreign data."""
    version, separator, payload = data.partition(_SEPARATOR)
    if not separator or version != POSTBACK_VERSION or not payload:
        return None
    return payload


def render(replies: Sequence[Reply]) -> list[Message]:
    """Every reply as LINE messages, in order; may be more than five (sent in several calls)."""
    messages: list[Message] = []
    for index, reply in enumerate(replies):
        messages.extend(render_one(reply, last=index == len(replies) - 1))
    return messages


def requests_for(replies: tuple[Reply, ...]) -> list[list[Message]]:
    """The LINE requests' messages for `replies` (`batches` of `render`), made once per reply.

    The same menus and answers go to many people: they are rendered once and the messages
    shared, never changed after (the API layer checks each with the SDK once, by identity).
    """
    try:
        return _rendered(replies)
    except TypeError:  # a reply holding something unhashable: rendered afresh
        return batches(render(replies))


@functools.lru_cache(maxsize=RENDERED_REPLIES)
def _rendered(replies: tuple[Reply, ...]) -> list[list[Message]]:
    return batches(render(replies))


def batches(messages: Sequence[Message]) -> list[list[Message]]:
    """Messages in groups of at most five, LINE's limit for one reply, push or multicast."""
    step = MAX_MESSAGES_PER_REQUEST
    return [list(messages[start : start + step]) for start in range(0, len(messages), step)]


def render_one(reply: Reply, *, last: bool = True) -> list[Message]:
    """One reply as LINE messages; `last` says whether a quick reply would stay visible."""
    match reply:
        case Text(text=text):
            return text_messages(text)
        case Choices(text=text, options=options):
            if last and len(options) <= MAX_QUICK_REPLY_ITEMS:
                messages = text_messages(text)
                messages[-1]["quickReply"] = {"items": [quick_reply_item(o) for o in options]}
                return messages
            return [choice_list(text, options)]
        case Cards(text=text, cards=cards):
            return [*text_messages(text), *carousels(text, cards)]
        case Link(text=text, label=label, url=url):
            return [link_bubble(text, label, url)]
        case Document(title=title, url=url, caption=caption, file_name=file_name):
            return [document_bubble(title, url, caption, file_name)]
    raise ReplyError(f"LINE cannot render {type(reply).__name__}")


def text_messages(text: str) -> list[Message]:
    """Text messages of at most 5,000 UTF-16 units each; an empty text still shows something."""
    pieces = graphemes.split_utf16(text, MAX_TEXT) if text.strip() else ["…"]
    return [{"type": "text", "text": piece} for piece in pieces]


def label(text: str) -> str:
    """An action label LINE shows in full (≤ 20 clusters), never cut inside a Thai syllable."""
    return graphemes.cut(text, MAX_LABEL) or "…"


def postback_action(choice_label: str, payload: str) -> Message:
    """A tap that comes back as our payload, showing the label in the chat as the user's words."""
    return {
        "type": "postback",
        "label": label(choice_label),
        "data": postback_data(payload),
        "displayText": graphemes.cut(choice_label, MAX_DISPLAY_TEXT) or label(choice_label),
    }


def uri_action(action_label: str, url: str) -> Message:
    """A tap that opens `url` (http(s), line: or tel: only, as LINE requires)."""
    if not url.startswith(_URI_SCHEMES) or len(url) > MAX_URI:
        raise ReplyError(f"LINE cannot open {url[:60]!r}: needs http(s), line or tel, ≤ 1000")
    return {"type": "uri", "label": label(action_label), "uri": url}


def quick_reply_item(choice: Choice) -> Message:
    """One quick reply button."""
    return {"type": "action", "action": postback_action(choice.label, choice.payload)}


def alt_text(text: str) -> str:
    """What notifications and old clients show for a Flex message (≤ 400 units)."""
    flat = " ".join(text.split()) or "…"
    if graphemes.utf16_length(flat) <= MAX_ALT_TEXT:
        return flat
    return graphemes.prefix_utf16(flat, MAX_ALT_TEXT - 1).rstrip() + graphemes.ELLIPSIS


def _text(text: str, **style: Any) -> Message:
    return {"type": "text", "text": text or "…", "wrap": True, **style}


def _button(action: Message, *, primary: bool = False) -> Message:
    return {
        "type": "button",
        "action": action,
        "style": "primary" if primary else "link",
        "height": "sm",
    }


def choice_list(text: str, options: Sequence[Choice]) -> Message:
    """Choices as a Flex bubble of buttons: stays usable after later messages arrive."""
    buttons = [
        _button(postback_action(o.label, o.payload), primary=index == 0)
        for index, o in enumerate(options)
    ]
    bubble: Message = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": [_text(text)]},
        "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons},
    }
    return _flex(text, _fit_bubble(bubble))


def _card_action(button: Button) -> Message:
    if button.url is not None:
        return uri_action(button.label, button.url)
    assert button.payload is not None  # a Button has exactly one of the two
    return postback_action(button.label, button.payload)


def card_bubble(card: Card) -> Message:
    """One card as a bubble: tapping the body opens its link; buttons below it."""
    body: list[Message] = [
        _text(card.title, weight="bold", size="md", color=_LINK if card.link else None)
    ]
    if card.subtitle:
        body.append(_text(card.subtitle, size="sm", color=_MUTED))
    bubble: Message = {
        "type": "bubble",
        "size": "kilo",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
    }
    if card.link:
        bubble["body"]["action"] = uri_action(card.title, card.link)
    if card.image_url and card.image_url.startswith("https://"):
        bubble["hero"] = {
            "type": "image",
            "url": card.image_url,
            "size": "full",
            "aspectRatio": "20:13",
            "aspectMode": "cover",
        }
    if card.buttons:
        bubble["footer"] = {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": [_button(_card_action(b)) for b in card.buttons],
        }
    return _fit_bubble(_drop_none(bubble))


def carousels(text: str, cards: Sequence[Card]) -> list[Message]:
    """Cards as as few Flex carousels as LINE's 12-bubble and 50 KB limits allow."""
    messages: list[Message] = []
    current: list[Message] = []
    for bubble in (card_bubble(card) for card in cards):
        candidate = [*current, bubble]
        too_big = _size({"type": "carousel", "contents": candidate}) > MAX_CAROUSEL_BYTES
        if current and (len(candidate) > MAX_BUBBLES or too_big):
            messages.append(_flex(text, {"type": "carousel", "contents": current}))
            current = [bubble]
        else:
            current = candidate
    if current:
        messages.append(_flex(text, {"type": "carousel", "contents": current}))
    return messages


def link_bubble(text: str, link_label: str, url: str) -> Message:
    """A sentence with one button that opens `url`."""
    bubble: Message = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": [_text(text)]},
        "footer": {
            "type": "box",
            "layout": "vertical",
            "contents": [_button(uri_action(link_label, url), primary=True)],
        },
    }
    return _flex(text, _fit_bubble(bubble))


def document_bubble(title: str, url: str, caption: str, file_name: str | None) -> Message:
    """A file as a card with its link: the title, the caption, a button named after the file."""
    body: list[Message] = [_text(f"📄 {title}", weight="bold")]
    if caption:
        body.append(_text(caption, size="sm", color=_MUTED))
    bubble: Message = {
        "type": "bubble",
        "body": {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": body,
            "action": uri_action(title, url),
        },
        "footer": {
            "type": "box",
            "layout": "vertical",
            "contents": [_button(uri_action(file_name or title, url), primary=True)],
        },
    }
    return _flex(title, _fit_bubble(bubble))


def _flex(text: str, contents: Message) -> Message:
    return {"type": "flex", "altText": alt_text(text), "contents": contents}


def _size(container: Message) -> int:
    return len(json.dumps(container, ensure_ascii=False, separators=(",", ":")).encode())


def _fit_bubble(bubble: Message) -> Message:
    """The bubble within 30 KB: long texts are shortened, a third at a time, until it fits."""
    while _size(bubble) > MAX_BUBBLE_BYTES:
        texts = [c for c in _components(bubble) if c.get("type") == "text"]
        longest = max(texts, key=lambda c: len(c["text"]), default=None)
        if longest is None or graphemes.count(longest["text"]) <= 1:
            raise ReplyError("a LINE bubble is over 30 KB even with its texts shortened")
        longest["text"] = graphemes.cut(longest["text"], graphemes.count(longest["text"]) * 2 // 3)
    return bubble


def _components(node: Message) -> list[Message]:
    found = [node]
    for key in ("header", "hero", "body", "footer"):
        if isinstance(node.get(key), dict):
            found.extend(_components(node[key]))
    for child in node.get("contents", []) if isinstance(node.get("contents"), list) else []:
        found.extend(_components(child))
    return found


def _drop_none(node: Any) -> Any:
    """Flex rejects explicit nulls (an optional color left unset)."""
    if isinstance(node, dict):
        return {key: _drop_none(value) for key, value in node.items() if value is not None}
    if isinstance(node, list):
        return [_drop_none(item) for item in node]
    return node
