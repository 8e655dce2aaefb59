"""What depa's working pages share (announcements, partnerships, questions): they are depa's
only, a form's outcome is said on the page it leads back to, and numbers come from forms."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.core.texts import Translator
from bot.web.dashboard.site import Site
from handlers.dashboard.service import Viewer


def translator(site: Site, viewer: Viewer) -> Translator:
    """The viewer's words, for texts a page builds before rendering."""
    return site.services.texts.bind(viewer.member.language)


def done(path: str, outcome: str, number: int) -> Response:
    """After a form that did its work: back to the page (303, so a reload posts nothing
    again), saying what was done to which number."""
    return RedirectResponse(f"{path}?{urlencode({'done': outcome, 'id': number})}", 303)


def outcome(request: Request, t: Translator, section: str, known: frozenset[str]) -> str | None:
    """The words for `?done=…&id=…`, when `done` is one of `known` (never text from the URL)."""
    key = request.query_params.get("done", "")
    number = request.query_params.get("id", "")
    if key not in known or not number.isdecimal():
        return None
    return t(f"dashboard.{section}.done.{key}", id=number)


def field(form: FormData, name: str) -> str:
    """A text field of the form ('' when missing or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""
