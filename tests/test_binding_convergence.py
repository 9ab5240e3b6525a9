"""Both sides of 授权绑定 agree after a single failure, with the portal and the UDI system as real
uvicorn processes on their own databases (as `make run` runs them): the system down when the
browser comes, the portal down when the system confirms, the system down during 解除绑定, the
browser gone for good. What each side holds is read from its own database; the portal's
reconciler and both outboxes run in the processes' background loops.

Time is let pass by moving a binding's expiry (or a call's next attempt) back in the portal's
database, instead of waiting the ten minutes an intent lives.
"""
from __future__ import annotations

import httpx
import pytest

from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.udi import PROFILE as UDI
from shared.binding import RECONCILE_MARGIN_SECONDS
from tests.support import live
from tests.support.live_binding import (
    DEMO,
    FAST_OUTBOX,
    Gate,
    Pair,
    expire,
    point_to,
    portal_binding,
    portal_states,
    register_system,
    retry_now,
    run_system,
    shown,
    system_link,
    until,
    walker,
)


@pytest.fixture
async def pair(databases, tmp_path):
    portal_db, system_db = await databases.fresh(), await databases.empty()
    system_port = live.free_port()
    portal = await live.start(portal_db, tmp_path, IDP_CLIENT_CACHE_SECONDS="0")
    try:
        client = await register_system(portal_db, "udi", f"http://127.0.0.1:{system_port}")
        account = await live.register_account(portal_db, "zhangsan")
        yield Pair(portal, portal_db, system_db, system_port, client, account)
    finally:
        await live.stop(portal)  # restart_portal puts its new process into this object


async def restart_portal(pair: Pair, log_dir, issuer: str | None = None) -> None:
    """A new portal process on the same port and database (and issuer, unless given)."""
    await live.stop(pair.portal)
    started = await live.start(pair.portal_db, log_dir, port=pair.portal.port, issuer=issuer or pair.portal.issuer,
                               IDP_CLIENT_CACHE_SECONDS="0")
    pair.portal.process, pair.portal.log_path, pair.portal.issuer = started.process, started.log_path, started.issuer
    await point_to(pair.portal_db, pair.client, pair.system_url)


def password() -> str:
    return DEMO_LOCAL_PASSWORD


async def test_system_down_when_the_browser_arrives_then_the_user_starts_again(pair, tmp_path):
    async with walker() as browser:
        await browser.log_in(pair.portal.url)
        # The portal finds the system up and sends the browser on; the system stops meanwhile.
        async with run_system(pair, "udi", UDI, tmp_path, **FAST_OUTBOX):
            to_system = await browser.start_then_stop(pair.portal.url, "udi", "existing")
        with pytest.raises(httpx.ConnectError):
            await browser.get(to_system)
        first = await portal_binding(pair.portal_db, pair.account.id, "udi")
        assert first.state == "pending"
        # While the system is down, starting again gets the portal's own page; the slot is kept.
        page = await browser.start(pair.portal.url, "udi", "existing")
        assert page.status_code == 200 and "暂时无法访问，请稍后再试" in page.text
        async with run_system(pair, "udi", UDI, tmp_path, **FAST_OUTBOX) as system:
            # Back up: the old binding is cancelled on the system and a fresh one goes through.
            login = await browser.start(pair.portal.url, "udi", "existing")
            assert login.status_code == 200, system.log_tail()
            done = await browser.prove(login, DEMO, password())
            assert done.url.path == "/space/bindings" and shown(done.text, "udi") == "unbind", system.log_tail()
    assert await portal_states(pair.portal_db, pair.account.id, "udi") == ["failed", "active"]
    assert await system_link(pair.system_db, pair.account.subject) == DEMO


async def test_system_down_when_the_browser_arrives_the_reconciler_fails_the_binding_after_the_margin(pair, tmp_path):
    async with walker() as browser:
        await browser.log_in(pair.portal.url)
        async with run_system(pair, "udi", UDI, tmp_path, **FAST_OUTBOX):
            to_system = await browser.start_then_stop(pair.portal.url, "udi", "create")
        with pytest.raises(httpx.ConnectError):
            await browser.get(to_system)
        binding = await portal_binding(pair.portal_db, pair.account.id, "udi")
        async with run_system(pair, "udi", UDI, tmp_path, **FAST_OUTBOX) as system:
            await expire(pair.portal_db, binding.id, RECONCILE_MARGIN_SECONDS + 1)

            async def state():
                return (await portal_binding(pair.portal_db, pair.account.id, "udi")).state

            assert await until(state, "failed") == "failed", pair.portal.log_tail() + system.log_tail()
            assert await system_link(pair.system_db, pair.account.subject) is None
            # The slot is free: a new binding is made at once.
            done = await browser.start(pair.portal.url, "udi", "create")
            assert shown(done.text, "udi") == "fixed", system.log_tail()
    assert await portal_states(pair.portal_db, pair.account.id, "udi") == ["failed", "active"]
    assert (await system_link(pair.system_db, pair.account.subject)).startswith("udi_")


async def test_portal_down_when_the_system_confirms_then_the_outbox_delivers(pair, tmp_path):
    # The portal again, its issuer behind a gate that drops confirms while the portal is "down".
    gate = Gate(pair.portal.port).start()
    try:
        await live.stop(pair.portal)
        await restart_portal(pair, tmp_path, issuer=gate.url)
        async with walker() as browser, run_system(pair, "udi", UDI, tmp_path, **FAST_OUTBOX) as system:
            await browser.log_in(gate.url)
            login = await browser.start(gate.url, "udi", "existing")
            assert login.status_code == 200, system.log_tail()
            binding = await portal_binding(pair.portal_db, pair.account.id, "udi")
            gate.block_confirm = True
            back = await browser.prove(login, DEMO, password())
            assert gate.dropped >= 1 and back.url.path == "/space/bindings"
            # Linked on the system; the portal, which never heard, still shows it pending.
            assert await system_link(pair.system_db, pair.account.subject) == DEMO
            assert shown(back.text, "udi") == "pending"
            # The portal restarts; the system's outbox delivers the confirm to the new process.
            await restart_portal(pair, tmp_path, issuer=gate.url)
            gate.block_confirm = False

            async def state():
                return (await portal_binding(pair.portal_db, pair.account.id, "udi")).state

            assert await until(state, "active") == "active", system.log_tail()
            page = await browser.get(gate.url + "/space/bindings")  # the session outlived the restart
            assert shown(page.text, "udi") == "unbind"
    finally:
        gate.stop()
    assert (await portal_binding(pair.portal_db, pair.account.id, "udi")).id == binding.id
    assert await system_link(pair.system_db, pair.account.subject) == DEMO


async def test_unbind_while_the_system_is_down_ends_on_both_sides_once_it_is_back(pair, tmp_path):
    async with walker() as browser:
        await browser.log_in(pair.portal.url)
        async with run_system(pair, "udi", UDI, tmp_path, **FAST_OUTBOX) as system:
            done = await browser.prove(await browser.start(pair.portal.url, "udi", "existing"), DEMO, password())
            assert shown(done.text, "udi") == "unbind", system.log_tail()
        page = await browser.unbind(pair.portal.url, "udi")
        assert shown(page.text, "udi") == "unbinding" and "已申请解除" in page.text
        binding = await portal_binding(pair.portal_db, pair.account.id, "udi")
        assert await system_link(pair.system_db, pair.account.subject) == DEMO
        async with run_system(pair, "udi", UDI, tmp_path, **FAST_OUTBOX) as system:
            await retry_now(pair.portal_db, binding.id)  # the portal's back-off, run out

            async def state():
                return (await portal_binding(pair.portal_db, pair.account.id, "udi")).state

            assert await until(state, "ended") == "ended", pair.portal.log_tail() + system.log_tail()
            assert shown((await browser.get(pair.portal.url + "/space/bindings")).text, "udi") == "bind"
    assert await system_link(pair.system_db, pair.account.subject) is None


async def test_browser_gone_on_the_systems_page_the_reconciler_frees_the_slot(pair, tmp_path):
    async with walker() as browser, run_system(pair, "udi", UDI, tmp_path, **FAST_OUTBOX) as system:
        await browser.log_in(pair.portal.url)
        login = await browser.start(pair.portal.url, "udi", "existing")
        assert login.status_code == 200 and "binding" in str(login.url), system.log_tail()
        binding = await portal_binding(pair.portal_db, pair.account.id, "udi")
        # The browser never comes back; the intent expires and the margin passes.
        await expire(pair.portal_db, binding.id, RECONCILE_MARGIN_SECONDS + 1)

        async def state():
            return (await portal_binding(pair.portal_db, pair.account.id, "udi")).state

        assert await until(state, "failed") == "failed", pair.portal.log_tail() + system.log_tail()
        assert await system_link(pair.system_db, pair.account.subject) is None
        # The old login page can no longer link; a new binding starts and goes through.
        late = await browser.prove(login, DEMO, password())
        assert late.status_code == 400 and await system_link(pair.system_db, pair.account.subject) is None
        done = await browser.prove(await browser.start(pair.portal.url, "udi", "existing"), DEMO, password())
        assert shown(done.text, "udi") == "unbind", system.log_tail()
    assert await portal_states(pair.portal_db, pair.account.id, "udi") == ["failed", "active"]
    assert await system_link(pair.system_db, pair.account.subject) == DEMO
