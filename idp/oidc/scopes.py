"""Scopes and the claims they release (OIDC Core §5.4, plus the portal's own).

The table in docs/claims.md is the contract for business-system teams; keep them in step.
"""
from __future__ import annotations

SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "openid": ("sub",),
    "profile": ("name", "preferred_username", "updated_at"),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "offline_access": (),
    # 身份信息: natural person, legal person or agent (with the acting person), the real-name level.
    "identity": ("account_type", "realname_level", "acting_person"),
    # 企业信息: the enterprise of a legal person (or the one an agent acts for).
    "enterprise": ("enterprise",),
    # 证件号码: only with this scope and the user's explicit consent.
    "id_number": ("id_type", "id_number"),
    # 监管信息: an official's unit and jurisdiction (a staff deployment's accounts, idp.accounts.officials).
    "supervision": ("unit", "jurisdiction"),
}
SUPPORTED_SCOPES = frozenset(SCOPE_CLAIMS)

# Shown on the consent page, in the guide's words where it has them.
SCOPE_LABELS = {
    "profile": "获取您的用户信息（姓名、用户名）",
    "email": "获取您的电子邮箱",
    "phone": "获取您的手机号",
    "offline_access": "在您离线时继续访问上述信息",
    "identity": "获取您的身份信息（自然人身份、法人身份、实名等级）",
    "enterprise": "获取您的企业信息（营业执照数据）",
    "id_number": "获取您的证件类型和证件号码",
    "supervision": "获取您的单位和管辖区域",
}

# Scopes that need the user's explicit consent even for the portal's own business systems.
ALWAYS_CONSENT = frozenset({"id_number"})

ALL_CLAIMS = tuple(sorted({c for claims in SCOPE_CLAIMS.values() for c in claims}
                          | {"iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid", "at_hash", "azp"}))


def scopes_needing_consent(scope: list[str], first_party: bool) -> set[str]:
    requested = set(scope) - {"openid"}
    return requested & ALWAYS_CONSENT if first_party else requested


def claims_for(scope: list[str], claims_request: dict | None, target: str,
               allowed_scopes: tuple[str, ...] | list[str] | None = None) -> set[str]:
    """The claim names released to ``target`` ("userinfo" or "id_token").

    Scope claims go to userinfo only (OIDC Core §5.4). The ``claims`` parameter (§5.5) may ask
    for single claims in either place, but never for those behind an always-consent scope
    that was not granted, nor for those of a scope the client is not registered for
    (``allowed_scopes``, the client's scopes; empty means all, as at the authorization endpoint).
    """
    names: set[str] = set()
    if target == "userinfo":
        for value in scope:
            names.update(SCOPE_CLAIMS.get(value, ()))
    requested = (claims_request or {}).get(target)
    if isinstance(requested, dict):
        registered = set(allowed_scopes) if allowed_scopes else SUPPORTED_SCOPES
        releasable = {
            c for s, claims in SCOPE_CLAIMS.items()
            if s in registered and (s in scope or s not in ALWAYS_CONSENT) for c in claims
        }
        names.update(k for k in requested if k in releasable)
    return names
