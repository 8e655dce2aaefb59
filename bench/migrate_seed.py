"""Time from an empty database to a usable bot: `citybot db upgrade`, then `seed --demo`."""

from __future__ import annotations

import asyncio
import statistics
import time

from bench.databases import KINDS, empty_database, postgres_problem
from bench.report import Table, seconds
from bot.settings import DEFAULT_CONTENT_DIR, Settings
from db.migrate import upgrade

REPEATS = 3


def _once(url: str) -> tuple[float, float, str]:
    """Seconds to migrate and to seed one empty database, and what the seed reported."""
    from bot.seeding import run_seed

    started = time.perf_counter()
    upgrade(url)
    migrated = time.perf_counter()
    report = asyncio.run(
        run_seed(
            database_url=url,
            content_dir=DEFAULT_CONTENT_DIR,
            materials_base_url=Settings.model_fields["citybot_materials_base_url"].default,
            demo=True,
        )
    )
    seeded = time.perf_counter()
    return migrated - started, seeded - migrated, report.summary()


def run() -> Table:
    """Median of three fresh databases per kind, each migrated to head and seeded with the demo."""
    rows: list[list[str]] = []
    notes: list[str] = []
    for kind in KINDS:
        problem = postgres_problem() if kind == "postgres" else None
        if problem is not None:
            rows.append([kind, "—", "—", "—", "0"])
            notes.append(f"PostgreSQL not measured: {problem}")
            continue
        runs = []
        for _ in range(REPEATS):
            with empty_database(kind) as url:
                runs.append(_once(url))
        migrate = statistics.median(run[0] for run in runs)
        seed = statistics.median(run[1] for run in runs)
        total = statistics.median(run[0] + run[1] for run in runs)
        rows.append([kind, seconds(migrate), seconds(seed), seconds(total), str(REPEATS)])
        if kind == KINDS[0]:
            notes.append(f"`run_seed` reported — {' '.join(runs[0][2].split())}")
    return Table(
        title="Empty database to a seeded bot",
        method=(
            "A new empty database (SQLite file; PostgreSQL database created for the run) is "
            "migrated to head with `db.migrate.upgrade` (what `citybot db upgrade` calls), then "
            "loaded with `bot.seeding.run_seed(demo=True)` (what `citybot seed --demo` calls), "
            f"in this process. Median of {REPEATS} fresh databases per kind."
        ),
        columns=["database", "migrate to head", "seed --demo", "total", "runs"],
        rows=rows,
        notes=notes,
    )
