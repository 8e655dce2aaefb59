"""The dashboard's HTML: Jinja2 templates (autoescaped: member-written text is never markup),
in the viewer's language, with dates as the chat shows them (Buddhist-Era years in Thai)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from bot.app import App
from bot.core.dates import format_date, format_datetime
from db.enums import Language
from handlers.dashboard.service import Viewer

TEMPLATES = Path(__file__).with_name("templates")
# Pages hold people's names and cities' progress: never cached, never framed, no referrer (a
# sign-in link is in the URL of the first page), scripts and styles from this app only.
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
}


class Pages:
    """Renders templates for a viewer (or, before sign-in, in the language asked for)."""

    def __init__(self, app: App) -> None:
        self._services = app.dispatcher.services
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(default=True),
            undefined=StrictUndefined,  # a misspelt value is an error in tests, not a blank
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(
        self,
        template: str,
        *,
        viewer: Viewer | None = None,
        language: Language | None = None,
        status: int = 200,
        **values: Any,
    ) -> HTMLResponse:
        """The page `template` with `values`, for `viewer` in their language."""
        language = language or (viewer.member.language if viewer else Language.TH)
        zone = self._services.zone

        def day(moment: datetime | None) -> str:
            return format_date(moment, language, zone) if moment else "—"

        def when(moment: datetime | None) -> str:
            return format_datetime(moment, language, zone) if moment else "—"

        html = self._env.get_template(template).render(
            t=self._services.texts.bind(language),
            lang=language.value,
            viewer=viewer,
            day=day,
            when=when,
            local=lambda item, name: getattr(item, f"{name}_{language.value}"),
            **values,
        )
        return HTMLResponse(html, status_code=status, headers=HEADERS)
