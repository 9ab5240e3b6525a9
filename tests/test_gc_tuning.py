"""The portal's start-up heap is frozen out of the garbage collector's reach (shared/gc_tuning.py):
without it, every full collection walked the ~200,000 long-lived objects and held all requests in
flight for 40–250 ms (docs/performance.md, "Tail latency"). Once per process: a process that
starts many apps (this test suite) must not keep each app's garbage alive for good."""
from __future__ import annotations

import gc

from tests.support.portal import running_portal


async def test_a_started_portal_has_frozen_its_start_up_heap(database_url):
    async with running_portal(database_url):
        assert gc.get_freeze_count() > 0


async def test_a_second_app_in_the_same_process_freezes_nothing_more(database_url):
    async with running_portal(database_url):
        frozen = gc.get_freeze_count()
    async with running_portal(database_url):  # its app, engines and caches are new objects: none is frozen
        assert gc.get_freeze_count() == frozen
