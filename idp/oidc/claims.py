"""Claim values for an account, or for an agent acting for an enterprise. Names follow
idp.oidc.scopes; docs/claims.md documents them."""
from __future__ import annotations

from collections.abc import Callable

from idp import clock
from idp.accounts.models import Account, AccountType
from idp.principals.principal import Principal


def enterprise_claim(enterprise: Account) -> dict:
    return {
        "name": enterprise.enterprise_name,
        "unified_social_credit_code": enterprise.credit_code,
        "legal_representative": enterprise.name,
    }


def account_claims(account: Account, names: set[str], enterprise: Account | None = None,
                   seen_as: Callable[[str], str] = str) -> dict:
    """``enterprise`` is set when ``account`` (a person) acts for it as its agent (经办人): the
    person's own data, the enterprise's, and account_type "agent". ``seen_as``: the subject the
    client sees for an account's own (idp.clients.pairwise)."""
    values = {
        "name": account.name,
        "preferred_username": account.username,
        "updated_at": clock.epoch(account.updated_at),
        "email": account.email,
        # True only when the current value was proven by a code sent to it (OIDC Core §5.1).
        "email_verified": bool(account.email) and account.email_verified_at is not None,
        "phone_number": account.mobile,
        "phone_number_verified": bool(account.mobile) and account.mobile_verified_at is not None,
        "account_type": account.account_type.value,
        "realname_level": account.realname_level,
        "id_type": account.id_type,
        "id_number": account.id_number,
        "unit": account.unit,
        "jurisdiction": account.jurisdiction,
    }
    if enterprise is not None:
        values["account_type"] = "agent"
        values["enterprise"] = enterprise_claim(enterprise)
        values["acting_person"] = {"sub": seen_as(account.subject), "name": account.name}
    elif account.account_type == AccountType.legal_person:
        values["enterprise"] = enterprise_claim(account)
    # Standard claims are never blank or the literal "null" (conformance §a.5): omit them instead.
    return {k: v for k, v in values.items() if k in names and v not in (None, "")}


def principal_claims(principal: Principal, names: set[str], seen_as: Callable[[str], str] = str) -> dict:
    """The claims ``names`` of whoever the principal is: the account, with its enterprise for an agent."""
    return account_claims(principal.account, names, principal.enterprise, seen_as)
