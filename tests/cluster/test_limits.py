"""Several instances behind nginx (tests/support/cluster.py): what one instance counts, every
instance enforces. A lockout reached by wrong passwords on one instance refuses the right password
on the others and through nginx; a rate limit exhausted on one instance answers 429 on the others
and through nginx, for that client's address only (nginx passes it in X-Forwarded-For from the
address IDP_TRUSTED_PROXIES names). PostgreSQL only, as tests/cluster/test_failover.py."""
from __future__ import annotations

from idp.testing import setup
from shared.messages import text
from tests.support.cluster import (
    SETTINGS,
    User,
    register_client,
    running_cluster,
)

WRONG = "Wrong@2026pass"
LOCKOUT_THRESHOLD = 5  # IDP_LOCKOUT_THRESHOLD's default
ADDRESS_BUDGET = 8  # login_per_address in SETTINGS


async def test_a_lockout_and_a_rate_limit_reached_on_one_instance_hold_on_the_others(database_url, receiver,
                                                                                     tmp_path):
    client = await register_client(database_url, "cluster-limits", receiver)
    await setup.add_account(database_url, "lockme")
    locked = text("login.locked").split("，")[0]  # 账号已被锁定 (the minutes vary)
    too_many = text("limits.too_many").split("，")[0]  # 操作过于频繁

    async with running_cluster(database_url, tmp_path, **SETTINGS) as cluster:
        first, *others = cluster.instances
        guesser = User(cluster, "lockme", "127.0.2.1")
        for _ in range(LOCKOUT_THRESHOLD):
            page, _ = await guesser.authorize(client, first.url, password=WRONG)
            assert page.status_code == 200 and 'action="/login"' in page.text
        owner = User(cluster, "lockme", "127.0.2.2")  # the right password, elsewhere
        for base in [other.url for other in others] + [cluster.issuer]:
            page, _ = await owner.authorize(client, base)
            assert not page.is_redirect and locked in page.text, (base, page.status_code)

        flooder = User(cluster, "nobody", "127.0.2.9")
        for _ in range(ADDRESS_BUDGET):
            page, _ = await flooder.authorize(client, first.url, password=WRONG)
            assert page.status_code == 200, page.status_code
        for base in [other.url for other in others] + [cluster.issuer]:
            page, _ = await flooder.authorize(client, base, password=WRONG)
            assert page.status_code == 429 and too_many in page.text, (base, page.status_code)
            assert int(page.headers["Retry-After"]) > 0
        neighbour = User(cluster, "nobody", "127.0.2.10")  # another address through the same nginx
        page, _ = await neighbour.authorize(client, cluster.issuer, password=WRONG)
        assert page.status_code == 200 and text("login.wrong_credentials") in page.text
        for user in (guesser, owner, flooder, neighbour):
            await user.aclose()
