"""Claiming an authorization code (RFC 6749 §4.1.2: used once) with what its exchange needs: the
code's row, the columns of its principal, and the grant its tokens will belong to, stored in the
claim's transaction so that a replay's revocation always finds it.

On PostgreSQL that is one statement: the conditional UPDATE … RETURNING and the grant's
INSERT … SELECT as data-modifying CTEs, the principal's columns joined to the claimed row, and
the transaction's asynchronous commit (idp.oidc.token_request) as its last column. SQLite
has no data-modifying CTE: there the UPDATE … RETURNING, one joined select of the principal, and
the grant's INSERT once the exchange's checks passed, in the same transaction. Of N concurrent
claims one wins either way (the UPDATE's condition, under the row lock or SQLite's one writer).

Core statements on the transaction's connection, built once with bound values: the ORM session's
execution and the loading of four entities cost more than the statements themselves. The
principal comes back as columns (idp.principals.columns), its encrypted ones opened only when a
claim reads them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Row, Table, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from idp import clock
from idp.oidc.models import AuthorizationCode, Grant
from idp.oidc.token_request import ASYNCHRONOUS_COMMIT_COLUMN
from idp.principals.columns import (
    ACCOUNTS,
    AGENCIES,
    ENTERPRISES,
    PRINCIPAL_COLUMNS,
    PrincipalValues,
    live_principal_values,
    with_principal,
)

CODES = cast(Table, AuthorizationCode.__table__)
GRANTS = cast(Table, Grant.__table__)
CODE_WIDTH = len(CODES.c)  # a claim's row: the code's columns, then the principal's

# Bound names differ from column names (the b_ prefix): SQLAlchemy reserves a column's own name
# for the SET clause's value.
CLAIMED = (
    CODES.c.code_digest == bindparam("b_code_digest"),
    CODES.c.client_id == bindparam("b_client_id"),
    CODES.c.consumed_at.is_(None),
    CODES.c.expires_at > bindparam("b_now"),
)
CLAIM_CODE = update(CODES).where(*CLAIMED).values(consumed_at=bindparam("b_consumed_at")).returning(*CODES.c)
PRINCIPAL_ROWS = (
    select(*PRINCIPAL_COLUMNS)
    .select_from(ACCOUNTS)
    .outerjoin(AGENCIES, AGENCIES.c.id == bindparam("agency_id"))
    .outerjoin(ENTERPRISES, ENTERPRISES.c.id == AGENCIES.c.enterprise_account_id)
    .where(ACCOUNTS.c.id == bindparam("account_id"))
)

# The grant copies the code's fields; its principal is checked in Python afterwards, and a refused
# exchange deletes the grant again (no token was issued under it) in the same transaction.
GRANT_FROM_CODE = ("grant_id", "client_id", "account_id", "agency_id", "sid", "scope", "claims", "auth_time", "acr",
                   "amr")


def _claim_and_store_grant():
    claimed = CLAIM_CODE.cte("claimed")
    stored = insert(GRANTS).from_select(
        ["id", *GRANT_FROM_CODE[1:], "created_at"],
        select(*(claimed.c[name] for name in GRANT_FROM_CODE),
               bindparam("b_created_at", type_=GRANTS.c.created_at.type)),
    ).cte("stored")
    return with_principal(select(*claimed.c).select_from(claimed), claimed.c.account_id,
                          claimed.c.agency_id).add_columns(ASYNCHRONOUS_COMMIT_COLUMN).add_cte(stored)


CLAIM_AND_STORE_GRANT = _claim_and_store_grant()
DELETE_GRANT = delete(GRANTS).where(GRANTS.c.id == bindparam("grant_id"))


@dataclass(frozen=True)
class ClaimedCode:
    code: Row  # the code's columns, by name (a PostgreSQL claim's row has the principal's after them)
    principal: PrincipalValues | None  # None: the account disabled or gone, the agency removed
    grant_stored: bool  # PostgreSQL: the claim's statement stored the grant already


async def claim_code(connection: AsyncConnection, code_digest: str, client_id: str) -> ClaimedCode | None:
    """The code, consumed now, with its principal if still live; None if the code is unknown,
    another client's, expired or used."""
    now = clock.now()
    params = {"b_code_digest": code_digest, "b_client_id": client_id, "b_now": now, "b_consumed_at": now}
    if connection.dialect.name == "postgresql":
        row = (await connection.execute(CLAIM_AND_STORE_GRANT, {**params, "b_created_at": now})).first()
        if row is None:
            return None
        principal = live_principal_values(row[CODE_WIDTH:-1], row.agency_id, connection.dialect)
        return ClaimedCode(row, principal, grant_stored=True)
    code = (await connection.execute(CLAIM_CODE, params)).first()
    if code is None:
        return None
    values = (await connection.execute(PRINCIPAL_ROWS, {"account_id": code.account_id,
                                                        "agency_id": code.agency_id})).first()
    principal = None if values is None else live_principal_values(values, code.agency_id, connection.dialect)
    return ClaimedCode(code, principal, grant_stored=False)


async def forget_grant(connection: AsyncConnection, grant_id: str) -> None:
    """The grant a refused exchange's claim stored: no token was issued under it."""
    await connection.execute(DELETE_GRANT, {"grant_id": grant_id})
