"""The background loop of each instance: deliver due back-channel logouts, make due calls to
business systems for bindings (and ask about stale pending ones), retry SMS and e-mail not
sent yet, finish account closures no longer pending, purge expired rows.

Every step claims its work in the database, so any number of instances may run it at once.
"""
from __future__ import annotations

import asyncio
import logging
import time

from idp.bindings import outbox as binding_outbox
from idp.maintenance import purge_expired
from idp.notify import outbox as message_outbox
from idp.oidc.logout.backchannel import deliver_due
from idp.portal import Portal
from idp.space.closure import finish_due_closures

log = logging.getLogger(__name__)
PURGE_EVERY_SECONDS = 600.0


async def run_background(portal: Portal, interval: float = 2.0) -> None:
    last_purge = float("-inf")
    while True:
        try:
            await portal.refresh_personal_data_keys()
            await deliver_due(portal)
            await binding_outbox.reconcile_due(portal)
            await binding_outbox.deliver_due(portal)
            await message_outbox.deliver_due(portal)
            await finish_due_closures(portal)  # 账号注销 whose bindings have ended
            if time.monotonic() - last_purge >= PURGE_EVERY_SECONDS:
                last_purge = time.monotonic()
                await purge_expired(portal)
        except Exception:  # keep the loop alive; the next round retries
            log.exception("background round failed")
        await asyncio.sleep(interval)
