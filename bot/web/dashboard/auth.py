"""Who is asking: the signed session cookie, its viewer, and the CSRF check of every form.

The cookie holds a random token and its HMAC (`handlers/dashboard/service.sign`); the session
behind it is a database row, so signing out, erasure or a new role end it at once.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.app import App
from handlers.dashboard import service
from handlers.dashboard.service import Viewer

COOKIE = "citybot_dashboard"
CSRF_FIELD = "csrf_token"
SIGNIN_PATH = "/dashboard/signin"


@dataclass
class Keys:
    """The cookie-signing key, read once per process (settings, else the database's)."""

    app: App
    key: list[bytes] = field(default_factory=list)

    async def get(self) -> bytes:
        """The key; made in the database by the first process that needs one."""
        if not self.key:
            configured = self.app.settings.citybot_secret_key
            if configured is not None:
                self.key.append(configured.get_secret_value().encode())
            else:
                async with self.app.sessions() as session, session.begin():
                    now = self.app.dispatcher.services.clock.now()
                    self.key.append(await service.signing_key(session=session, now=now))
        return self.key[0]


def secure(request: Request, app: App) -> bool:
    """Whether the cookie must travel over https only: behind https, or a public https URL."""
    forwarded = request.headers.get("x-forwarded-proto", "")
    return (
        request.url.scheme == "https" or forwarded == "https" or bool(app.settings.public_base_url)
    )


def set_session_cookie(response: Response, value: str, *, secure_only: bool) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, for the dashboard's paths only."""
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(service.IDLE_TTL.total_seconds()),
        path="/dashboard",
        httponly=True,
        samesite="lax",
        secure=secure_only,
    )


def clear_session_cookie(response: Response) -> None:
    """Forget the cookie in the browser too."""
    response.delete_cookie(COOKIE, path="/dashboard")


Page = Callable[[Request, Viewer], Awaitable[Response]]


def signed_in(app: App, keys: Keys, page: Page) -> Callable[[Request], Awaitable[Response]]:
    """`page` for a signed-in viewer; without a good session, the sign-in explanation.

    A POST must carry the session's CSRF token (form field `csrf_token`), else 403. The
    session's `last_seen_at` moves in the same transaction as the page's reads and writes.
    """

    async def endpoint(request: Request) -> Response:
        raw = request.cookies.get(COOKIE)
        token = service.unsign(await keys.get(), raw) if raw else None
        now = app.dispatcher.services.clock.now()
        async with app.sessions() as session, session.begin():
            viewer = (
                await service.viewer_of(session=session, token=token, now=now) if token else None
            )
        if viewer is None:
            response: Response = RedirectResponse(SIGNIN_PATH, status_code=303)
            if raw:
                clear_session_cookie(response)
            return response
        if request.method == "POST":
            form = await request.form()
            sent = form.get(CSRF_FIELD)
            if not isinstance(sent, str) or not hmac.compare_digest(sent, viewer.csrf_token):
                return Response("CSRF token missing or wrong", status_code=403)
        return await page(request, viewer)

    return endpoint
