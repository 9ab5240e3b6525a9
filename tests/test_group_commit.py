"""Group commit (idp/db/group_commit.py): concurrent requests' rows in one transaction, each
request answered only once its own rows are committed, a bad row failing only its own request,
the queue finished at shutdown."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from idp import clock
from idp.audit.log import INSERT_EVENT, record_with
from idp.audit.models import AuditEvent
from idp.db import group_commit
from idp.db.group_commit import GroupCommit, Rows
from idp.metrics import TOKENS
from idp.oidc.models import AccessToken, Grant
from idp.oidc.tokens import INSERT_ACCESS_TOKEN, INSERT_GRANT, grant_values, new_grant
from idp.security.tokens import new_token
from tests.support.portal import running_portal


def token_rows(client_id: str, *, grant_id: str | None = None, marker: str = "") -> tuple[Rows, str]:
    """What a client_credentials request writes: its grant, an access-token row, its event
    (a counted one); ``grant_id`` names a grant that may already exist."""
    rows = Rows()
    grant = new_grant(client_id=client_id, account_id=None, scope=[], grant_id=grant_id)
    rows.add(INSERT_GRANT, grant_values(grant))
    rows.add(INSERT_ACCESS_TOKEN, {"jti": new_token(), "grant_id": grant.id, "client_id": client_id,
                                   "expires_at": clock.now(), "revoked_at": None})
    record_with(rows, "token.issued", actor=client_id, client_id=client_id, grant_type="client_credentials",
                marker=marker or None)
    return rows, grant.id


async def count(portal, model, *where) -> int:
    async with portal.reader() as db:
        return await db.scalar(select(func.count()).select_from(model).where(*where))


async def test_concurrent_requests_share_one_transaction_and_each_is_answered_after_it(put):
    portal = put.portal
    writer = GroupCommit(portal.engine)
    committed: list[int] = []

    async def one(index: int) -> None:
        rows, grant_id = token_rows(put.rp.client_id)
        rows.on_commit.append(lambda: committed.append(index))
        await writer.write(rows)
        # Answered: its own grant, token row and event are in the database, seen by a reader.
        assert committed.count(index) == 1
        assert await count(portal, Grant, Grant.id == grant_id) == 1
        assert await count(portal, AccessToken, AccessToken.grant_id == grant_id) == 1

    await asyncio.gather(*(one(i) for i in range(40)))
    assert sorted(committed) == list(range(40))
    assert writer.batches < 40  # some requests shared a transaction
    assert await count(portal, AuditEvent, AuditEvent.event == "token.issued") == 40


async def test_a_bad_row_fails_only_its_own_request(put):
    portal = put.portal
    taken, taken_id = token_rows(put.rp.client_id)
    await group_commit.write(portal.engine, taken)
    before = TOKENS.labels("client_credentials")._value.get()
    writer = GroupCommit(portal.engine)
    good = [token_rows(put.rp.client_id, marker=f"good-{i}")[0] for i in range(10)]
    bad, _ = token_rows(put.rp.client_id, grant_id=taken_id, marker="bad")  # a grant id already used

    results = await asyncio.gather(*(writer.write(rows) for rows in [*good[:5], bad, *good[5:]]),
                                   return_exceptions=True)

    assert [isinstance(r, IntegrityError) for r in results] == [False] * 5 + [True] + [False] * 5
    async with portal.reader() as db:
        markers = (await db.scalars(select(AuditEvent.details).where(AuditEvent.event == "token.issued"))).all()
    assert sorted(d.get("marker") or "" for d in markers) == sorted(["", *(f"good-{i}" for i in range(10))])
    # Counted for what was committed only.
    assert TOKENS.labels("client_credentials")._value.get() == before + 10


async def test_a_request_alone_is_written_at_once(put):
    writer = GroupCommit(put.portal.engine)
    rows, grant_id = token_rows(put.rp.client_id)
    await writer.write(rows)
    assert writer.batches == 1
    assert await count(put.portal, Grant, Grant.id == grant_id) == 1


async def test_a_request_that_goes_away_still_has_its_rows_written(put):
    writer = GroupCommit(put.portal.engine)
    rows, grant_id = token_rows(put.rp.client_id)
    request = asyncio.create_task(writer.write(rows))
    await asyncio.sleep(0)  # queued
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    await writer.flush()
    assert await count(put.portal, Grant, Grant.id == grant_id) == 1


async def test_shutdown_finishes_what_is_queued(database_url):
    async with running_portal(database_url) as put:
        client = await put.add_client("rp")
        pending = [asyncio.create_task(group_commit.write(put.portal.engine, token_rows(client.client_id)[0]))
                   for _ in range(20)]
        await asyncio.sleep(0)  # all queued, none answered yet
        assert not any(task.done() for task in pending)
    # The lifespan flushed the writer before it disposed of the engine.
    assert all(task.done() and task.exception() is None for task in pending)
    async with running_portal(database_url) as put:
        assert await count(put.portal, AuditEvent, AuditEvent.event == "token.issued") == 20


async def test_rows_read_back_as_written_whether_alone_or_in_a_batch(put):
    """The rows go to the driver as SQL compiled once with each type's conversion (a timestamp,
    the event's JSON details); a row leaving out a column with a Python-side default (the
    event's details) still gets the default."""
    portal = put.portal
    expires_at = clock.now()
    alone, _ = token_rows(put.rp.client_id, marker="alone")
    batch = [token_rows(put.rp.client_id, marker=f"batch-{i}")[0] for i in range(3)]
    no_details = Rows()
    no_details.add(INSERT_EVENT, {"at": expires_at, "event": "test.defaulted", "outcome": "success"})
    for requests in ([alone], batch, [no_details]):
        async with portal.engine.begin() as connection:
            await group_commit.insert_all(connection, [rows for rows in requests])
    async with portal.reader() as db:
        events = (await db.scalars(select(AuditEvent).order_by(AuditEvent.id))).all()
        tokens = (await db.scalars(select(AccessToken))).all()
    assert [e.details.get("marker") for e in events if e.event == "token.issued"] == [
        "alone", "batch-0", "batch-1", "batch-2"]
    assert all(e.details["grant_type"] == "client_credentials" for e in events if e.event == "token.issued")
    (defaulted,) = [e for e in events if e.event == "test.defaulted"]
    assert defaulted.details == {} and defaulted.at == expires_at
    assert len(tokens) == 4 and all(t.expires_at <= clock.now() and t.expires_at.tzinfo for t in tokens)
