"""授权绑定 with a pairwise system (OIDC Core §8.1), the portal and the UDI system as real processes
over HTTP: the system links, finds and unlinks the user by the sub it sees in its ID tokens (the
pairwise one), and never learns the portal's own subject."""
from __future__ import annotations

import pytest

from idp.clients.pairwise import pairwise_subject
from idp.settings import Settings
from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.udi import PROFILE as UDI
from tests.support import live
from tests.support.live_binding import (
    DEMO,
    FAST_OUTBOX,
    Pair,
    portal_binding,
    register_system,
    run_system,
    shown,
    system_link,
    until,
    walker,
)


@pytest.fixture
async def pair(databases, tmp_path):
    """As test_binding_convergence's, with the system registered pairwise; the portal starts on an
    empty catalogue, whose public ``udi`` it would otherwise keep (a client's subjects never change)."""
    catalogue = tmp_path / "systems.yaml"
    catalogue.write_text("systems: []\n", encoding="utf-8")
    portal_db, system_db = await databases.fresh(), await databases.empty()
    system_port = live.free_port()
    portal = await live.start(portal_db, tmp_path, IDP_CLIENT_CACHE_SECONDS="0", IDP_CATALOGUE_PATH=str(catalogue))
    try:
        client = await register_system(portal_db, "udi", f"http://127.0.0.1:{system_port}", subject_type="pairwise")
        account = await live.register_account(portal_db, "zhangsan")
        yield Pair(portal, portal_db, system_db, system_port, client, account)
    finally:
        await live.stop(portal)


async def test_a_pairwise_system_binds_and_unbinds_by_its_own_sub(pair, tmp_path):
    pairwise = pairwise_subject(Settings(), "127.0.0.1", pair.account.subject)  # the processes' default salt
    assert pairwise != pair.account.subject
    async with walker() as browser, run_system(pair, "udi", UDI, tmp_path, **FAST_OUTBOX) as system:
        await browser.log_in(pair.portal.url)
        # The system logs the browser in through the portal and checks that its ID token's sub is
        # the intent's: both pairwise, or the binding would stop here.
        done = await browser.prove(await browser.start(pair.portal.url, "udi", "existing"), DEMO,
                                   DEMO_LOCAL_PASSWORD)
        assert shown(done.text, "udi") == "unbind", system.log_tail() + pair.portal.log_tail()
        assert await system_link(pair.system_db, pairwise) == DEMO
        assert await system_link(pair.system_db, pair.account.subject) is None
        page = await browser.unbind(pair.portal.url, "udi")
        assert page.status_code == 200

        async def state():
            return (await portal_binding(pair.portal_db, pair.account.id, "udi")).state

        assert await until(state, "ended") == "ended", pair.portal.log_tail() + system.log_tail()
    assert await system_link(pair.system_db, pairwise) is None  # unlinked under the pairwise sub
