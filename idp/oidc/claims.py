"""Claim values for an account, or for an agent acting for an enterprise. Names follow
idp.oidc.scopes; docs/claims.md documents them.

The accounts are ORM entities (ID tokens, the binding API) or the same columns read by one select
(UserInfo, idp.principals.columns); only the requested claims are computed, so an encrypted
column no claim asks for is never decrypted."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from idp import clock
from idp.accounts.models import Account, AccountType
from idp.principals.columns import AccountValues, EnterpriseValues, PrincipalValues
from idp.principals.principal import Principal

AnAccount = Account | AccountValues

ACCOUNT_CLAIMS: dict[str, Callable[[Any], Any]] = {
    "name": lambda account: account.name,
    "preferred_username": lambda account: account.username,
    "updated_at": lambda account: clock.epoch(account.updated_at),
    "email": lambda account: account.email,
    # True only when the current value was proven by a code sent to it (OIDC Core §5.1).
    "email_verified": lambda account: account.email_verified_at is not None and bool(account.email),
    "phone_number": lambda account: account.mobile,
    "phone_number_verified": lambda account: account.mobile_verified_at is not None and bool(account.mobile),
    "account_type": lambda account: account.account_type.value,
    "realname_level": lambda account: account.realname_level,
    "id_type": lambda account: account.id_type,
    "id_number": lambda account: account.id_number,
    "unit": lambda account: account.unit,
    "jurisdiction": lambda account: account.jurisdiction,
}


def enterprise_claim(enterprise: AnAccount | EnterpriseValues) -> dict:
    return {
        "name": enterprise.enterprise_name,
        "unified_social_credit_code": enterprise.credit_code,
        "legal_representative": enterprise.name,
    }


def account_claims(account: AnAccount, names: set[str], enterprise: AnAccount | EnterpriseValues | None = None,
                   seen_as: Callable[[str], str] = str) -> dict:
    """``enterprise`` is set when ``account`` (a person) acts for it as its agent (经办人): the
    person's own data, the enterprise's, and account_type "agent". ``seen_as``: the subject the
    client sees for an account's own (idp.clients.pairwise)."""
    values = {name: ACCOUNT_CLAIMS[name](account) for name in names if name in ACCOUNT_CLAIMS}
    if enterprise is not None:
        if "account_type" in names:
            values["account_type"] = "agent"
        if "enterprise" in names:
            values["enterprise"] = enterprise_claim(enterprise)
        if "acting_person" in names:
            values["acting_person"] = {"sub": seen_as(account.subject), "name": account.name}
    elif "enterprise" in names and account.account_type == AccountType.legal_person:
        values["enterprise"] = enterprise_claim(account)
    # Standard claims are never blank or the literal "null" (conformance §a.5): omit them instead.
    return {k: v for k, v in values.items() if v not in (None, "")}


def principal_claims(principal: Principal | PrincipalValues, names: set[str],
                     seen_as: Callable[[str], str] = str) -> dict:
    """The claims ``names`` of whoever the principal is: the account, with its enterprise for an agent."""
    return account_claims(principal.account, names, principal.enterprise, seen_as)
