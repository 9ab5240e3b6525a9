"""Claiming an authorization code (RFC 6749 §4.1.2: used once) with what its exchange needs: the
code's row, the rows of its principal, and the grant its tokens will belong to, stored in the
claim's transaction so that a replay's revocation always finds it.

On PostgreSQL that is one statement: the conditional UPDATE … RETURNING and the grant's
INSERT … SELECT as data-modifying CTEs, the principal's rows joined to the claimed row. SQLite
has no data-modifying CTE: there the UPDATE … RETURNING, one joined select of the principal, and
the grant's INSERT once the exchange's checks passed, in the same transaction. Of N concurrent
claims one wins either way (the UPDATE's condition, under the row lock or SQLite's one writer).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import aliased

from idp import clock
from idp.accounts.models import Account
from idp.oidc.models import AuthorizationCode, Grant
from idp.principals.models import Agency

CODES = cast(Table, AuthorizationCode.__table__)
GRANTS = cast(Table, Grant.__table__)
Enterprise = aliased(Account)

# Built once with bound values (a value in .values() gets a type object of its own per call, whose
# cache key SQLAlchemy rebuilds every time; bound names differ from column names: the b_ prefix).
# synchronize_session=False: it runs first in a fresh session, so no loaded object needs the value.
CLAIM_CODE = (
    update(AuthorizationCode)
    .where(
        AuthorizationCode.code_digest == bindparam("b_code_digest"),
        AuthorizationCode.client_id == bindparam("b_client_id"),
        AuthorizationCode.consumed_at.is_(None),
        AuthorizationCode.expires_at > bindparam("b_now"),
    )
    .values(consumed_at=bindparam("b_consumed_at"))
    .returning(AuthorizationCode)
    .execution_options(synchronize_session=False)
)
PRINCIPAL_ROWS = (
    select(Account, Agency, Enterprise)
    .select_from(Account)
    .outerjoin(Agency, Agency.id == bindparam("agency_id"))
    .outerjoin(Enterprise, Enterprise.id == Agency.enterprise_account_id)
    .where(Account.id == bindparam("account_id"))
)

# The grant copies the code's fields; its principal is checked in Python afterwards, and a refused
# exchange deletes the grant again (no token was issued under it) in the same transaction.
GRANT_FROM_CODE = ("grant_id", "client_id", "account_id", "agency_id", "sid", "scope", "claims", "auth_time", "acr",
                   "amr")


def _claim_and_store_grant():
    claimed = (
        update(CODES)
        .where(
            CODES.c.code_digest == bindparam("b_code_digest"),
            CODES.c.client_id == bindparam("b_client_id"),
            CODES.c.consumed_at.is_(None),
            CODES.c.expires_at > bindparam("b_now"),
        )
        .values(consumed_at=bindparam("b_consumed_at"))
        .returning(*CODES.c)
        .cte("claimed")
    )
    stored = insert(GRANTS).from_select(
        ["id", *GRANT_FROM_CODE[1:], "created_at"],
        select(*(claimed.c[name] for name in GRANT_FROM_CODE),
               bindparam("b_created_at", type_=GRANTS.c.created_at.type)),
    ).cte("stored")
    code = aliased(AuthorizationCode, claimed)
    return (
        select(code, Account, Agency, Enterprise)
        .select_from(claimed)
        .outerjoin(Account, Account.id == code.account_id)
        .outerjoin(Agency, Agency.id == code.agency_id)
        .outerjoin(Enterprise, Enterprise.id == Agency.enterprise_account_id)
        .add_cte(stored)
    )


CLAIM_AND_STORE_GRANT = _claim_and_store_grant()
DELETE_GRANT = delete(GRANTS).where(GRANTS.c.id == bindparam("grant_id"))


@dataclass(frozen=True)
class ClaimedCode:
    code: AuthorizationCode
    account: Account | None
    agency: Agency | None
    enterprise: Account | None
    grant_stored: bool  # PostgreSQL: the claim's statement stored the grant already


async def claim_code(db, code_digest: str, client_id: str) -> ClaimedCode | None:
    """The code, consumed now, with its principal's rows; None if it is unknown, another client's,
    expired or used."""
    now = clock.now()
    params = {"b_code_digest": code_digest, "b_client_id": client_id, "b_now": now, "b_consumed_at": now}
    if db.get_bind().dialect.name == "postgresql":
        row = (await db.execute(CLAIM_AND_STORE_GRANT, {**params, "b_created_at": now})).first()
        return None if row is None else ClaimedCode(row[0], row[1], row[2], row[3], grant_stored=True)
    code = (await db.execute(CLAIM_CODE, params)).scalars().first()
    if code is None:
        return None
    rows = (await db.execute(PRINCIPAL_ROWS, {"account_id": code.account_id, "agency_id": code.agency_id})).first()
    account, agency, enterprise = rows if rows is not None else (None, None, None)
    return ClaimedCode(code, account, agency, enterprise, grant_stored=False)


async def forget_grant(db, grant_id: str) -> None:
    """The grant a refused exchange's claim stored: no token was issued under it."""
    await db.execute(DELETE_GRANT, {"grant_id": grant_id})
