"""A principal read as columns of one Core select instead of ORM entities, for the read path every
API call takes (UserInfo): there the ORM session, its identity map and the loading of three
entities cost more than the query. The checks are :func:`~idp.principals.principal.load_principal`'s.

The encrypted columns (idp.personal_data) are selected as stored and opened by their own column
type (``Sealed``, which authenticates each against its column) when a claim first reads them: most
calls release none of them, and each opening costs about as much as a small query's Python work."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from sqlalchemy import Text, type_coerce

from idp.accounts.models import Account, AccountType
from idp.personal_data.columns import Sealed
from idp.principals.models import Agency

ACCOUNTS = Account.__table__
AGENCIES = Agency.__table__
ENTERPRISES = ACCOUNTS.alias("enterprise")  # the legal person an agent acts for

PLAIN = ("id", "subject", "account_type", "username", "name", "updated_at", "email_verified_at",
         "mobile_verified_at", "realname_level", "id_type", "unit", "jurisdiction", "enterprise_name",
         "credit_code", "disabled_at")
SEALED = ("email", "mobile", "id_number")
OPENERS = {name: cast(Sealed, ACCOUNTS.c[name].type) for name in SEALED}  # each column's own type


class AccountValues:
    """The account's columns that claims are made of, as one row held them. ``email``,
    ``mobile`` and ``id_number`` are decrypted on first read, by the column's own type."""

    id: int
    subject: str
    account_type: AccountType
    username: str
    name: str
    updated_at: dt.datetime
    email_verified_at: dt.datetime | None
    mobile_verified_at: dt.datetime | None
    realname_level: int
    id_type: str | None
    unit: str | None
    jurisdiction: str | None
    enterprise_name: str | None
    credit_code: str | None
    disabled_at: dt.datetime | None

    def __init__(self, values: Sequence[Any], dialect) -> None:
        for name, value in zip(PLAIN, values, strict=False):
            setattr(self, name, value)
        self._stored = dict(zip(SEALED, values[len(PLAIN):], strict=True))
        self._dialect = dialect

    def _opened(self, name: str) -> str | None:
        return OPENERS[name].process_result_value(self._stored[name], self._dialect)

    @property
    def email(self) -> str | None:
        return self._opened("email")

    @property
    def mobile(self) -> str | None:
        return self._opened("mobile")

    @property
    def id_number(self) -> str | None:
        return self._opened("id_number")


class EnterpriseValues(NamedTuple):
    """What an agent's claims say of the enterprise it acts for (idp.oidc.claims)."""

    name: str
    enterprise_name: str | None
    credit_code: str | None


@dataclass(frozen=True)
class PrincipalValues:
    """:class:`~idp.principals.principal.Principal` read as columns: whom a token speaks for."""

    subject: str
    account: AccountValues
    enterprise: EnterpriseValues | None = None


# The columns a select adds, in this order, after joining ACCOUNTS (the principal's account),
# AGENCIES (its agency, if an agent) and ENTERPRISES (the agency's enterprise) by outer joins.
PRINCIPAL_COLUMNS = (
    *(ACCOUNTS.c[name] for name in PLAIN),
    *(type_coerce(ACCOUNTS.c[name], Text) for name in SEALED),  # as stored: see AccountValues
    AGENCIES.c.subject, AGENCIES.c.removed_at, AGENCIES.c.agent_account_id,
    ENTERPRISES.c.name, ENTERPRISES.c.enterprise_name, ENTERPRISES.c.credit_code, ENTERPRISES.c.id,
    ENTERPRISES.c.disabled_at,
)
ACCOUNT_END = len(PLAIN) + len(SEALED)
DISABLED_AT = PLAIN.index("disabled_at")


def live_principal_values(values: Sequence[Any], agency_id: int | None, dialect) -> PrincipalValues | None:
    """The principal of the PRINCIPAL_COLUMNS ``values`` if it is still live: the account enabled
    and, for an agent, the agency not removed, its agent this account, its enterprise enabled."""
    account_id, disabled_at = values[0], values[DISABLED_AT]
    if account_id is None or disabled_at is not None:
        return None
    account = AccountValues(values[:ACCOUNT_END], dialect)
    if agency_id is None:
        return PrincipalValues(account.subject, account)
    subject, removed_at, agent_account_id, name, enterprise_name, credit_code, enterprise_id, \
        enterprise_disabled_at = values[ACCOUNT_END:]
    if subject is None or removed_at is not None or agent_account_id != account_id:
        return None
    if enterprise_id is None or enterprise_disabled_at is not None:
        return None
    return PrincipalValues(subject, account, EnterpriseValues(name, enterprise_name, credit_code))


def with_principal(statement, account_id, agency_id):
    """``statement`` (a select) with the PRINCIPAL_COLUMNS added after its own, joined by outer
    joins to the account ``account_id`` and the agency ``agency_id`` (columns or bound values):
    a row even when the account is gone, which :func:`live_principal_values` then refuses."""
    return (
        statement.add_columns(*PRINCIPAL_COLUMNS)
        .outerjoin(ACCOUNTS, ACCOUNTS.c.id == account_id)
        .outerjoin(AGENCIES, AGENCIES.c.id == agency_id)
        .outerjoin(ENTERPRISES, ENTERPRISES.c.id == AGENCIES.c.enterprise_account_id)
    )
