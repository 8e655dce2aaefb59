"""Seeding: `content/` read and checked as a catalogue, then loaded into the database.

`load_catalogue` reads (nothing is written before all of content/ is valid); `run_seed`, what
`citybot seed` calls, loads it in one transaction and says what it did in a `SeedReport`.
"""

from bot.seeding.catalogue import Catalogue, load_catalogue
from bot.seeding.reader import ContentError
from bot.seeding.report import SeedReport
from bot.seeding.seed import run_seed, seed_content

__all__ = ["Catalogue", "ContentError", "SeedReport", "load_catalogue", "run_seed", "seed_content"]
