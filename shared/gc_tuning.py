"""Garbage collection for a long-running server process.

The portal's heap after start-up is about 170,000 objects (modules, the app, SQLAlchemy's mappers,
the settings), and some 40,000 more appear with the first requests (compiled statements, the
database driver's type caches); all of them live as long as the process. CPython's full
(generation 2) collection walks every one of them and finds nothing to free there: measured under
the benchmark (16 clients, one core), each took 40–250 ms while every request in flight waited,
once every few seconds — the "occasional 50–100 ms pauses" of the p99 figures
(docs/performance.md). ``gc.freeze()`` moves the objects alive at that moment out of the
collector's reach, so the collections after it walk only what was allocated since.

Frozen twice: at start-up, and once the first requests have filled the caches. Once per process:
what is frozen is never collected, so freezing again and again (a test process creates hundreds
of apps) would keep each app's garbage cycles alive for good.
"""
from __future__ import annotations

import asyncio
import gc

AFTER_WARMUP_SECONDS = 60.0
_frozen = False


def _collect_and_freeze() -> None:
    gc.collect()  # garbage cycles left now would otherwise be frozen with the rest
    gc.freeze()


def freeze_startup_heap() -> None:
    """Freeze the heap now and again after the first minute of serving (once per process).
    Called at the end of the application's start-up, in its event loop."""
    global _frozen
    if _frozen:
        return
    _frozen = True
    _collect_and_freeze()
    asyncio.get_running_loop().call_later(AFTER_WARMUP_SECONDS, _collect_and_freeze)
