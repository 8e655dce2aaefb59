"""`citybot seed`: bring the database in line with `content/`, as often as you like."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.seeding.catalogue import Catalogue, load_catalogue
from bot.seeding.content_rows import seed_content_rows
from bot.seeding.demo_rows import seed_demo_rows
from bot.seeding.report import SEEDED_MODELS, SeedReport
from bot.seeding.run import SeedRun
from db.base import utcnow
from db.repositories.content import count_rows
from db.session import create_engine, create_session_factory


async def seed_content(
    *, session: AsyncSession, catalogue: Catalogue, demo: bool, now: datetime
) -> SeedReport:
    """Seed the catalogue (and with `demo`, the demo data) in `session`; the caller commits."""
    run = SeedRun(session=session, now=now)
    await seed_content_rows(run, catalogue)
    if demo:
        await seed_demo_rows(run, catalogue)
    await session.flush()
    return run.tally.report(await count_rows(session=session, models=SEEDED_MODELS))


async def run_seed(
    *, database_url: str, content_dir: Path, materials_base_url: str, demo: bool
) -> SeedReport:
    """Check `content_dir`, then seed the database in one transaction (all of it or nothing)."""
    catalogue = load_catalogue(content_dir, materials_base_url=materials_base_url)
    engine = create_engine(database_url)
    try:
        sessions = create_session_factory(engine)
        async with sessions() as session, session.begin():
            return await seed_content(
                session=session, catalogue=catalogue, demo=demo, now=utcnow()
            )
    finally:
        await engine.dispose()
