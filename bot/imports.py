"""Start-up: heavy imports with the cyclic garbage collector paused.

Importing the platform SDKs, SQLAlchemy and FastAPI creates a few hundred thousand objects, and
none of them is garbage; the collector would still walk them again and again as they pile up,
which costs a quarter or more of the start-up time. Pausing it for the imports changes nothing
else: it runs as usual once they are done.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (as it was before, after it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
