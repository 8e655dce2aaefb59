"""Shared fixtures: migrated databases (SQLite and PostgreSQL) and a loopback-only network."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.core.clock import Clock, FrozenClock
from bot.core.context import Services
from bot.core.dispatcher import Dispatcher
from bot.core.texts import Texts
from bot.seeding import run_seed
from bot.settings import DEFAULT_CONTENT_DIR, Settings
from db.enums import Role
from db.migrate import upgrade
from db.repositories.invites import create_invite
from db.repositories.organisations import get_organisation
from db.session import create_engine, create_session_factory
from handlers import ROUTERS
from tests.chatdriver import ChatDriver, console_path

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

MATERIALS_BASE_URL = "https://materials.test/citybot"
POSTGRES_URL = os.environ.get(
    "CITYBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


# --- network guard: tests talk to loopback only -------------------------------------------------

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback_only(address: Any) -> None:
    if isinstance(address, (str, bytes)):  # AF_UNIX paths are local by definition
        return
    host = address[0]
    if host in {"localhost", ""}:
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise OSError(f"tests may only connect to loopback, not {host!r}")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _loopback_only(address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _loopback_only(address)
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


# --- databases ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    """A migrated, empty database for one test."""

    kind: str
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]


def _admin_dsn() -> str:
    return POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


async def _pg_execute(*statements: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_admin_dsn(), timeout=5)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def _postgres_reachable() -> str | None:
    """None when the server answers, else why not."""
    try:
        asyncio.run(_pg_execute("SELECT 1"))
    except Exception as error:  # any failure means "not reachable", said below
        return f"{type(error).__name__}: {error}"
    return None


def _seed(url: str) -> None:
    """Load content/ into the database at `url` (what `citybot seed` does)."""

    from bot.settings import DEFAULT_CONTENT_DIR

    asyncio.run(
        run_seed(
            database_url=url,
            content_dir=DEFAULT_CONTENT_DIR,
            materials_base_url=MATERIALS_BASE_URL,
            demo=False,
        )
    )


class _Templates:
    """Databases migrated (and optionally seeded) once per run, cloned for each test."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._made: dict[tuple[str, bool], str] = {}

    def get(self, kind: str, seeded: bool) -> str:
        """The template's SQLite path or PostgreSQL database name."""
        key = (kind, seeded)
        if key not in self._made:
            self._made[key] = self._make(kind, seeded)
        return self._made[key]

    def _make(self, kind: str, seeded: bool) -> str:
        suffix = "seeded" if seeded else "empty"
        if kind == "sqlite":
            path = self._root / f"template-{suffix}.db"
            url = f"sqlite+aiosqlite:///{path}"
            upgrade(url)
            if seeded:
                _seed(url)
            return str(path)
        name = f"citybot_tmpl_{suffix}_{uuid.uuid4().hex[:8]}"
        asyncio.run(_pg_execute(f'CREATE DATABASE "{name}"'))
        url = _with_database(POSTGRES_URL, name)
        upgrade(url)
        if seeded:
            _seed(url)
        return name

    def drop(self) -> None:
        """Remove the PostgreSQL templates (SQLite ones live in a temporary directory)."""
        names = [name for (kind, _), name in self._made.items() if kind == "postgres"]
        if names:
            asyncio.run(
                _pg_execute(*(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names))
            )


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Templates]:
    """The run's template databases."""
    made = _Templates(tmp_path_factory.mktemp("templates"))
    yield made
    made.drop()


@pytest.fixture(scope="session")
def postgres_available() -> None:
    """Skip (outside CI) or fail (in CI) when PostgreSQL does not answer."""
    problem = _postgres_reachable()
    if problem is None:
        return
    if IN_CI:
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is unreachable in CI: {problem}")
    pytest.skip(f"PostgreSQL at {POSTGRES_URL} unreachable (outside CI): {problem}")


@pytest.fixture(scope="session")
def sqlite_template(templates: _Templates) -> Path:
    """A migrated, empty SQLite file to copy."""
    return Path(templates.get("sqlite", seeded=False))


@pytest.fixture(scope="session")
def postgres_template(templates: _Templates, postgres_available: None) -> str:
    """The name of a migrated, empty PostgreSQL database to clone."""
    return templates.get("postgres", seeded=False)


def _clone(request: pytest.FixtureRequest, tmp_path: Path, seeded: bool) -> Iterator[str]:
    templates: _Templates = request.getfixturevalue("templates")
    if request.param == "sqlite":
        path = tmp_path / "citybot.db"
        shutil.copyfile(templates.get("sqlite", seeded), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    request.getfixturevalue("postgres_available")
    template = templates.get("postgres", seeded)
    name = f"citybot_test_{uuid.uuid4().hex[:10]}"
    # No waiting for the disk at each commit: a test never survives a crash, and every chat
    # message is several commits (inbox, handling, outbox) as in production.
    asyncio.run(
        _pg_execute(
            f'CREATE DATABASE "{name}" TEMPLATE "{template}"',
            f'ALTER DATABASE "{name}" SET synchronous_commit = off',
        )
    )
    yield _with_database(POSTGRES_URL, name)
    asyncio.run(_pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


BOTH = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BOTH)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a migrated, empty database of each kind."""
    yield from _clone(request, tmp_path, seeded=False)


@pytest.fixture(params=BOTH)
def seeded_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a migrated database of each kind, with content/ seeded (no demo data)."""
    yield from _clone(request, tmp_path, seeded=True)


async def _open(url: str) -> AsyncIterator[Database]:
    engine = create_engine(url)
    kind = "sqlite" if url.startswith("sqlite") else "postgres"
    yield Database(kind, url, engine, create_session_factory(engine))
    await engine.dispose()


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated, empty database with an engine and session factory."""
    async for opened in _open(database_url):
        yield opened


@pytest.fixture
async def seeded_database(seeded_database_url: str) -> AsyncIterator[Database]:
    """A migrated database holding content/, with an engine and session factory."""
    async for opened in _open(seeded_database_url):
        yield opened


@pytest.fixture
async def session(database: Database) -> AsyncIterator[AsyncSession]:
    """One session on the test database."""
    async with database.sessions() as session:
        yield session


# --- the bot, driven in-process --------------------------------------------------------------

START = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 10:00 in Bangkok


@pytest.fixture(scope="session")
def texts() -> Texts:
    """The real message texts from content/."""
    return Texts.load(DEFAULT_CONTENT_DIR)


@pytest.fixture
def clock() -> FrozenClock:
    """A clock the test moves by hand."""
    return FrozenClock(START)


@pytest.fixture
def dispatcher(seeded_database: Database, texts: Texts, clock: FrozenClock) -> Dispatcher:
    """The real dispatcher with every router, on a seeded database."""
    settings = Settings(_env_file=None, database_url=seeded_database.url)  # type: ignore[call-arg]
    services = Services(settings=settings, texts=texts, clock=clock)
    return Dispatcher(sessions=seeded_database.sessions, routers=ROUTERS, services=services)


@pytest.fixture
def console(dispatcher: Dispatcher, seeded_database: Database) -> ConsoleChannel:
    """The console channel with an inbox and outbox of its own: the chats' production path."""
    return console_path(dispatcher, seeded_database.engine, seeded_database.sessions)


@pytest.fixture
def new_chat(dispatcher: Dispatcher, console: ConsoleChannel) -> Callable[..., ChatDriver]:
    """Make another chat account: `new_chat("u2", channel=Channel.SIMULATOR, language="en")`."""

    def make(user_id: str, **kwargs: Any) -> ChatDriver:
        return ChatDriver(dispatcher, user_id, console=console, **kwargs)

    return make


@pytest.fixture
def chat(new_chat: Callable[..., ChatDriver]) -> ChatDriver:
    """A newcomer on the console channel."""
    return new_chat("u-somchai", display_name="สมชาย ใจดี")


InviteFactory = Callable[..., Awaitable[str]]


@pytest.fixture
def make_invite(seeded_database: Database, clock: FrozenClock) -> InviteFactory:
    """Create an invite as `citybot invite create` would; returns the code."""

    async def make(org: str, role: Role, *, uses: int = 1, days: int = 14) -> str:
        async with seeded_database.sessions() as session, session.begin():
            organisation = await get_organisation(session=session, slug=org)
            assert organisation is not None, org
            invite = await create_invite(
                session=session,
                organisation_id=organisation.id,
                role=role,
                max_uses=uses,
                valid_for=timedelta(days=days),
                now=clock.now(),
            )
            return invite.code

    return make


@pytest.fixture
def register(
    new_chat: Callable[..., ChatDriver], make_invite: InviteFactory
) -> Callable[..., Awaitable[ChatDriver]]:
    """A member registered through the real onboarding: code, consent, welcome."""

    async def make(org: str, role: Role, user_id: str | None = None, **kwargs: Any) -> ChatDriver:
        driver = new_chat(user_id or f"u-{org}-{role.value}-{uuid.uuid4().hex[:6]}", **kwargs)
        await driver.send(f"/start {await make_invite(org, role)}")
        await driver.press("consent:yes")
        assert driver.options(), driver.text  # the welcome shows the role's menu
        return driver

    return make


AppFactory = Callable[..., Awaitable[App]]


@pytest.fixture
async def make_app(seeded_database_url: str) -> AsyncIterator[AppFactory]:
    """Build the whole App on a seeded database: `await make_app(clock=…, LINE_… settings)`.

    Adapters are started but not the background loops: tests call `await app.drain()`.
    """
    apps: list[App] = []

    async def make(clock: Clock | None = None, **settings: Any) -> App:
        configured = Settings(_env_file=None, database_url=seeded_database_url, **settings)  # type: ignore[call-arg]
        app = App.create(configured, clock=clock)
        await app.start(loops=False)
        apps.append(app)
        return app

    yield make
    for app in apps:
        await app.close()


@pytest.fixture
def isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No `.env` or bot variable from the developer's shell leaks in; root logging comes back.

    For tests that build settings the way the CLI and `serve` do, which also configure logging.
    """
    monkeypatch.chdir(tmp_path)
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level
