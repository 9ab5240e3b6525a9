"""Claim values for an account. Names follow idp.oidc.scopes; docs/claims.md documents them."""
from __future__ import annotations

from idp import clock
from idp.accounts.models import Account, AccountType


def account_claims(account: Account, names: set[str]) -> dict:
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
    }
    if account.account_type == AccountType.legal_person:
        values["enterprise"] = {
            "name": account.enterprise_name,
            "unified_social_credit_code": account.credit_code,
            "legal_representative": account.name,
        }
    # Standard claims are never blank or the literal "null" (conformance §a.5): omit them instead.
    return {k: v for k, v in values.items() if k in names and v not in (None, "")}
