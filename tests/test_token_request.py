"""A grant's transaction (idp/oidc/token_request.py) on PostgreSQL: it commits without waiting for
its own WAL flush only when it issues tokens — the group commit the response waits for flushes
it — and synchronously when it refuses, even after its claim succeeded: a refusal's response
follows no other commit."""
from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import event, update

from idp import clock
from idp.accounts.models import Account
from tests.support.token_flows import assert_oauth_error, get_code, redeem, refresh, tokens_for

OFFLINE = "openid profile offline_access"


@contextlib.contextmanager
def commit_modes(put):
    """synchronous_commit as each transaction on the portal's writers' engine commits, in order."""
    if put.portal.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's synchronous_commit")
    modes: list[str] = []

    def note(connection) -> None:
        modes.append(connection.exec_driver_sql("SHOW synchronous_commit").scalar())

    event.listen(put.portal.engine.sync_engine, "commit", note)
    try:
        yield modes
    finally:
        event.remove(put.portal.engine.sync_engine, "commit", note)


async def test_a_code_exchange_commits_its_claim_asynchronously_then_its_tokens_synchronously(put, browser):
    code, verifier = await get_code(browser, put.rp)
    with commit_modes(put) as modes:
        assert (await redeem(put, put.rp, code, verifier)).status_code == 200
    assert modes == ["off", "on"]  # the claim's transaction, then the tokens' group commit


async def test_a_refused_exchange_commits_synchronously_whether_or_not_its_claim_succeeded(put, browser):
    code, verifier = await get_code(browser, put.rp)
    with commit_modes(put) as modes:
        # The claim succeeds (the code is used up), then the verifier is wrong.
        assert_oauth_error(await redeem(put, put.rp, code, verifier[::-1]), "invalid_grant")
        # The claim finds nothing: the code was used.
        assert_oauth_error(await redeem(put, put.rp, code, verifier), "invalid_grant")
    assert modes == ["on", "on"]


async def test_a_refresh_commits_asynchronously_only_when_it_rotates(put, browser):
    tokens = await tokens_for(put, browser, put.rp, scope=OFFLINE)
    with commit_modes(put) as modes:
        rotated = await refresh(put, put.rp, tokens["refresh_token"])
        assert rotated.status_code == 200
    assert modes == ["off", "on"]
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(Account).where(Account.id == put.account.id).values(disabled_at=clock.now()))
    with commit_modes(put) as modes:  # redeemed, then refused: the account is disabled
        assert_oauth_error(await refresh(put, put.rp, rotated.json()["refresh_token"]), "invalid_grant")
    assert modes == ["on"]
