"""The browser simulator: chat with the bot in a web page, as a new visitor or a demo member.

A development and demonstration tool (off in production, see `Settings.simulator_enabled`): the
page posts what a person typed or pressed, this adapter turns it into our events, which take the
same path as every other channel's (inbox, dispatcher, outbox, `send`; see bot.core.answering),
and answers the request with the replies as JSON.
Anyone who can reach the page can speak as any simulator account, demo members included, which
is why it never runs in production.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.core.answering import AnsweringChannel
from bot.core.channel import Delivery
from bot.core.events import ChatRef, ChoiceSelected, Event, Origin, TextReceived, UserRef
from bot.core.replies import Button, Card, Cards, Choices, Document, Link, Reply, Text
from db.enums import Channel, Language
from db.repositories.identities import account_language
from db.repositories.simulator import Persona, list_demo_personas

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 10_000
MAX_PAYLOAD_CHARS = 300  # LINE's postback ceiling; our payloads must fit every channel
# A message of MAX_TEXT_CHARS Thai characters is ~30 KB of UTF-8; anything far beyond is not a
# chat message, and is refused before it is read into memory whole.
MAX_BODY_BYTES = 64 * 1024

UserId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@-]*$")
]


class IncomingMessage(BaseModel):
    """What the page posts: who speaks, and either typed text or a pressed button's payload."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user: UserId
    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_CHARS)] | None = None
    payload: (
        Annotated[str, StringConstraints(min_length=1, max_length=MAX_PAYLOAD_CHARS)] | None
    ) = None
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    language: Literal["th", "en"] | None = None

    @model_validator(mode="after")
    def _text_or_payload(self) -> IncomingMessage:
        if (self.text is None) == (self.payload is None):
            raise ValueError("send exactly one of text or payload")
        return self


class RenderedOption(BaseModel):
    """A choice button: its label and the payload that comes back when pressed."""

    label: str
    payload: str


class RenderedButton(BaseModel):
    """A card button: opens `url` in a new tab, or sends `payload` back."""

    label: str
    url: str | None
    payload: str | None


class RenderedCard(BaseModel):
    """One card panel."""

    title: str
    subtitle: str
    link: str | None
    image_url: str | None
    buttons: list[RenderedButton]


class RenderedText(BaseModel):
    """A text bubble."""

    type: Literal["text"] = "text"
    text: str


class RenderedChoices(BaseModel):
    """A bubble with buttons under it."""

    type: Literal["choices"] = "choices"
    text: str
    options: list[RenderedOption]


class RenderedCards(BaseModel):
    """A bubble followed by card panels."""

    type: Literal["cards"] = "cards"
    text: str
    cards: list[RenderedCard]


class RenderedLink(BaseModel):
    """A bubble with one link button."""

    type: Literal["link"] = "link"
    text: str
    label: str
    url: str


class RenderedDocument(BaseModel):
    """A file offered as a download link (a browser opens what LINE cannot send)."""

    type: Literal["document"] = "document"
    title: str
    url: str
    caption: str
    file_name: str | None


RenderedReply = Annotated[
    RenderedText | RenderedChoices | RenderedCards | RenderedLink | RenderedDocument,
    Field(discriminator="type"),
]


class Answer(BaseModel):
    """The response to one posted message, and the language the account now speaks."""

    replies: list[RenderedReply]
    language: Language | None = None  # after `/lang en`, the page's menu follows


class Localised(BaseModel):
    """A name in Thai and English."""

    th: str
    en: str


class RenderedOrganisation(BaseModel):
    """A persona's organisation."""

    slug: str
    name: Localised


class RenderedPersona(BaseModel):
    """A demo member the page offers to chat as."""

    user: str
    display_name: str | None
    language: Language
    role: str
    role_label: Localised
    organisation: RenderedOrganisation


class PersonaList(BaseModel):
    """The response of the personas endpoint."""

    personas: list[RenderedPersona]


def _render_button(button: Button) -> RenderedButton:
    return RenderedButton(label=button.label, url=button.url, payload=button.payload)


def _render_card(card: Card) -> RenderedCard:
    return RenderedCard(
        title=card.title,
        subtitle=card.subtitle,
        link=card.link,
        image_url=card.image_url,
        buttons=[_render_button(button) for button in card.buttons],
    )


class SimulatorChannel(AnsweringChannel[list[RenderedReply]]):
    """Turns the page's messages into events and our replies into the JSON the page draws."""

    channel = Channel.SIMULATOR

    @staticmethod
    def event_for(message: IncomingMessage, now: datetime, key: str) -> Event:
        """The event a posted message stands for: a pressed button or typed text, 1:1 chat."""
        user = UserRef(
            channel=Channel.SIMULATOR,
            external_id=message.user,
            display_name=message.display_name,
            language=message.language,
        )
        chat = ChatRef(channel=Channel.SIMULATOR, external_id=message.user)
        origin = Origin(reply_token=key)
        raw = message.model_dump(exclude_none=True)
        if message.payload is not None:
            return ChoiceSelected(
                user=user,
                chat=chat,
                occurred_at=now,
                origin=origin,
                raw=raw,
                payload=message.payload,
            )
        assert message.text is not None  # the model admits exactly one of the two
        return TextReceived(
            user=user, chat=chat, occurred_at=now, origin=origin, raw=raw, text=message.text
        )

    def event_from(self, payload: Mapping[str, Any]) -> Event:
        """The event of a stored message: the page's JSON, when it came, the key it waits on."""
        message = IncomingMessage.model_validate(payload["message"])
        return self.event_for(message, datetime.fromisoformat(payload["at"]), payload["key"])

    def render(self, delivery: Delivery) -> list[RenderedReply]:
        """The replies as the page's JSON."""
        return self.render_replies(delivery.replies)

    @classmethod
    def render_replies(cls, replies: Iterable[Reply]) -> list[RenderedReply]:
        """Replies as the page's JSON; a reply type the page cannot draw is a bug, so it raises."""
        return [cls._render_one(reply) for reply in replies]

    @staticmethod
    def _render_one(reply: Reply) -> RenderedReply:
        match reply:
            case Text(text=text):
                return RenderedText(text=text)
            case Choices(text=text, options=options):
                return RenderedChoices(
                    text=text,
                    options=[RenderedOption(label=o.label, payload=o.payload) for o in options],
                )
            case Cards(text=text, cards=cards):
                return RenderedCards(text=text, cards=[_render_card(card) for card in cards])
            case Link(text=text, label=label, url=url):
                return RenderedLink(text=text, label=label, url=url)
            case Document(title=title, url=url, caption=caption, file_name=file_name):
                return RenderedDocument(title=title, url=url, caption=caption, file_name=file_name)
        raise TypeError(f"the simulator cannot render {type(reply).__name__}")

    async def handle(self, message: IncomingMessage) -> list[RenderedReply]:
        """Store one posted message and wait for the rendered replies to it."""
        key, now = self.new_key(), self.services.clock.now()
        payload = {"key": key, "at": now.isoformat(), "message": message.model_dump(mode="json")}
        return await self.ask(key, payload, now)

    def persona(self, persona: Persona) -> RenderedPersona:
        """A demo member as the page lists them, with the role named in both languages."""
        texts = self.services.texts
        role_key = f"roles.{persona.role.value}"
        return RenderedPersona(
            user=persona.external_id,
            display_name=persona.display_name,
            language=persona.language,
            role=persona.role.value,
            role_label=Localised(
                th=texts.get(Language.TH, role_key), en=texts.get(Language.EN, role_key)
            ),
            organisation=RenderedOrganisation(
                slug=persona.organisation_slug,
                name=Localised(th=persona.organisation_name_th, en=persona.organisation_name_en),
            ),
        )


# --- the page and its API ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Asset:
    body: bytes
    media_type: str


_STATIC_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}

# The page loads its own script and style only: no CDN, no inline code, no framing.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; "
        "connect-src 'self'; "
        "img-src 'self' https: data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Revalidate every time, so a restarted server's edited page is what the browser shows.
    "Cache-Control": "no-cache",
}


def _load_assets() -> dict[str, _Asset]:
    """The page's files, read once from the package (they ship as package data)."""
    folder = resources.files(__package__ or __name__).joinpath("static")
    return {
        name: _Asset(folder.joinpath(name).read_bytes(), media_type)
        for name, media_type in _STATIC_TYPES.items()
    }


def _problem(status_code: int, detail: object) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status_code)


async def _read_body(request: Request) -> bytes | None:
    """The request body, or None when it grows past MAX_BODY_BYTES."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def simulator_routes(
    channel: SimulatorChannel, *, sessions: async_sessionmaker[AsyncSession]
) -> list[Route]:
    """Routes of the page (`GET /simulator`), its files and its JSON API, answered by `channel`."""
    assets = _load_assets()

    def asset(name: str) -> Response:
        found = assets[name]
        return Response(found.body, media_type=found.media_type, headers=_PAGE_HEADERS)

    async def page(_request: Request) -> Response:
        """The chat page."""
        return asset("index.html")

    async def static(request: Request) -> Response:
        """The page's script and style; only the files it ships, so no path leads elsewhere."""
        name = request.path_params["name"]
        if name not in assets or name == "index.html":
            return _problem(404, "not found")
        return asset(name)

    async def messages(request: Request) -> Response:
        """Answer one typed text or pressed button with the bot's replies."""
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type != "application/json":
            # Requiring JSON also keeps other sites' plain form posts out of a developer's bot.
            return _problem(415, "send application/json")
        body = await _read_body(request)
        if body is None:
            return _problem(413, f"a message body is at most {MAX_BODY_BYTES} bytes")
        try:
            message = IncomingMessage.model_validate_json(body)
        except ValidationError as error:
            # Say what is wrong and where, without echoing the input back.
            return _problem(
                422, error.errors(include_url=False, include_input=False, include_context=False)
            )
        try:
            replies = await channel.handle(message)
        except Exception:  # the page gets a plain 500; the log gets the traceback
            log.exception("simulator: answering %s failed", message.user)
            return _problem(500, "the bot could not answer; the server log says why")
        async with sessions() as session:
            language = await account_language(
                session=session, channel=Channel.SIMULATOR, external_id=message.user
            )
        answer = Answer(replies=replies, language=language)
        return JSONResponse(answer.model_dump(mode="json"))

    async def personas(_request: Request) -> Response:
        """The demo members one can chat as (none until `citybot seed --demo`)."""
        try:
            async with sessions() as session:
                found = await list_demo_personas(session=session)
        except Exception:  # the page gets a plain 500; the log gets the traceback
            log.exception("simulator: listing demo members failed")
            return _problem(500, "cannot list demo members; the server log says why")
        listed = PersonaList(personas=[channel.persona(persona) for persona in found])
        return JSONResponse(listed.model_dump(mode="json"))

    return [
        Route("/simulator", page, methods=["GET"]),
        Route("/simulator/static/{name}", static, methods=["GET"]),
        Route("/simulator/api/messages", messages, methods=["POST"]),
        Route("/simulator/api/personas", personas, methods=["GET"]),
    ]
