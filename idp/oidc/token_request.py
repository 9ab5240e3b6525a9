"""One token request (RFC 6749 §3.2) once parsed and authenticated, and how a grant writes: what
the grant modules (code_grant, refresh_grant, client_credentials_grant) share.

A grant's tokens and its audit event are rows of a group commit (idp.db.group_commit), written
together in a transaction shared with concurrent requests; the response waits for that commit.
What must be decided atomically first (claiming a code, rotating a refresh token) runs in a
transaction of its own before them (:class:`GrantTransaction`), and a refusal's ``token.refused``
event is recorded in that transaction, never in a second one."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import func, literal_column, text, true
from sqlalchemy.ext.asyncio import AsyncConnection

from idp.audit.log import record_with
from idp.clients.registry import ClientInfo
from idp.db import group_commit
from idp.db.group_commit import Rows
from idp.errors import InvalidRequest, OAuthError
from idp.oidc.tokens import revoke_grant
from idp.portal import Portal


@dataclass(frozen=True)
class TokenRequest:
    """What every grant reads: the client (authenticated), the form (RFC 6749 §3.2, no parameter
    twice), the caller's address for the audit log and the DPoP key a proof showed (RFC 9449 §5)."""

    portal: Portal
    client: ClientInfo
    form: dict[str, str]
    source_ip: str | None
    jkt: str | None = None

    @property
    def grant_type(self) -> str:
        return self.form.get("grant_type", "")

    def required(self, name: str) -> str:
        """A parameter the grant cannot do without (RFC 6749 §5.2, invalid_request)."""
        value = self.form.get(name)
        if not value:
            raise InvalidRequest(f"missing {name}")
        return value


@dataclass(frozen=True)
class GrantTransaction:
    """A grant's write transaction, on a connection of its own (SQLAlchemy Core, no ORM session:
    its unit of work, begin and commit machinery cost a code exchange more than its statements).

    ``rows``: the tokens and the success event, group-committed after this transaction once it
    succeeds. ``events``: written in this transaction whatever the outcome (a replay's
    revocation, the refusal), counted once it commits."""

    connection: AsyncConnection
    rows: Rows = field(default_factory=Rows)
    events: Rows = field(default_factory=Rows)


async def revoke_replayed_grant(tx: GrantTransaction, request: TokenRequest, used, reason: str, event: str) -> None:
    """``used`` (a code or refresh token row: client_id, consumed_at, grant_id) presented again:
    by its own client after its use, it revokes the grant and everything issued under it
    (RFC 6749 §4.1.2, RFC 9700 §4.14.2), recorded once; anything else revokes nothing."""
    client_id = request.client.client_id
    if used is None or used.client_id != client_id or used.consumed_at is None:
        return
    if await revoke_grant(tx.connection, used.grant_id, reason):
        record_with(tx.events, event, outcome="failure", client_id=client_id, source_ip=request.source_ip,
                    grant_id=used.grant_id)


class RefusalRecorded(Exception):
    """A grant refused the request and its ``token.refused`` event is committed already."""

    def __init__(self, error: OAuthError):
        super().__init__(error.error)
        self.error = error


def refusal_fields(exc: OAuthError, *, client_id: str | None, grant_type: str | None, source_ip: str | None,
                   actor: str | None = None) -> dict:
    """token.refused: no token was issued, and why (the error code the client was sent)."""
    return {"outcome": "failure", "actor": actor, "client_id": client_id, "source_ip": source_ip,
            "error": exc.error, "grant_type": (grant_type or "")[:64] or None,
            "reason": (exc.description or "")[:200] or None}


async def in_transaction(request: TokenRequest, work: Callable[[GrantTransaction], Awaitable[dict]]) -> dict:
    """Run ``work(tx)`` in one transaction that commits even when it raises an OAuthError: a
    consumed code or a revoked family must stay so although the request fails. The refusal is
    recorded in the same transaction (after anything ``work`` recorded) and raised as
    :class:`RefusalRecorded`. On success the rows it minted are group-committed after it, and
    the body returned once they are."""
    failure: RefusalRecorded | None = None
    async with request.portal.engine.begin() as connection:
        tx = GrantTransaction(connection)
        try:
            body = await work(tx)
        except OAuthError as exc:
            await commit_synchronously(connection)
            client_id = request.client.client_id
            record_with(tx.events, "token.refused", **refusal_fields(
                exc, client_id=client_id, actor=client_id, grant_type=request.grant_type, source_ip=request.source_ip))
            failure = RefusalRecorded(exc)
        if tx.events:
            await group_commit.insert_all(connection, [tx.events])
    tx.events.committed()
    if failure is not None:
        raise failure
    await group_commit.write(request.portal.engine, tx.rows)
    return body


# PostgreSQL: a grant's transaction that claimed its code or redeemed its refresh token need not
# wait for its own WAL flush at commit. The response waits for the group commit of the tokens,
# which begins after this commit and so writes its commit record later in the WAL; PostgreSQL
# flushes the WAL in order, so that flush makes this transaction durable too before the client is
# told anything. The setting is a column of the claim's own statement (SET LOCAL as set_config),
# evaluated only for the row it returns: a claim that found nothing changes nothing, and the
# setting costs no round trip of its own.
ASYNCHRONOUS_COMMIT_COLUMN = func.set_config(literal_column("'synchronous_commit'"), literal_column("'off'"),
                                             true()).label("asynchronous_commit")
SYNCHRONOUS_COMMIT = text("SET LOCAL synchronous_commit TO on")


async def commit_synchronously(connection: AsyncConnection) -> None:
    """A refusal's transaction commits synchronously, although its claim may have succeeded (a
    disabled account, a wrong code_verifier): its response follows no other commit."""
    if connection.dialect.name == "postgresql":
        await connection.execute(SYNCHRONOUS_COMMIT)
