"""Authentication context classes (OIDC Core §2 acr) the portal issues: the real-name level the
signed-in account has reached when the code is issued. Everyone logs in with password and graphic
captcha (amr ``pwd``); what differs between accounts is how far their identity was verified:
二级 at registration, 三级 after the CTID upgrade (/upgrade). ``urn:zwfw:acr:password`` is an
account without real-name verification.

A request's ``acr_values`` (or the client's registered ``default_acr_values``) is met when the
reached level is at least one of the values asked for: 三级 satisfies a request for 二级. Values
the portal does not know are ignored (OIDC Core §3.1.2.1: acr_values is a voluntary claim); a
request naming only unknown values asks for nothing.
"""
from __future__ import annotations

ACR_PASSWORD = "urn:zwfw:acr:password"
ACR_LEVEL_2 = "urn:zwfw:acr:realname:level-2"
ACR_LEVEL_3 = "urn:zwfw:acr:realname:level-3"
# In rising order; the rank is the account's realname_level.
LEVEL_OF = {ACR_PASSWORD: 0, ACR_LEVEL_2: 2, ACR_LEVEL_3: 3}
ACR_VALUES = tuple(LEVEL_OF)
AMR_PASSWORD = ["pwd"]
# Password and a TOTP code (RFC 8176 §2: otp, and mfa for two factors), where the deployment
# requires TOTP (IDP_TOTP_REQUIRED).
AMR_PASSWORD_TOTP = ["pwd", "otp", "mfa"]


def reached_acr(realname_level: int) -> str:
    """The acr of a login by an account at this real-name level."""
    reached = ACR_PASSWORD
    for acr, level in LEVEL_OF.items():
        if realname_level >= level:
            reached = acr
    return reached


def required_level(acr_values: list[str] | tuple[str, ...]) -> int | None:
    """The lowest real-name level that meets the request; None when it asks for nothing known."""
    levels = [LEVEL_OF[value] for value in acr_values if value in LEVEL_OF]
    return min(levels) if levels else None


def essential_acr(claims: dict | None) -> list[str]:
    """The acr values of an essential ``acr`` in the claims parameter's id_token member (OIDC
    Core §5.5.1.1), which the portal treats like ``acr_values``."""
    request = ((claims or {}).get("id_token") or {}).get("acr")
    if not isinstance(request, dict) or request.get("essential") is not True:
        return []
    values = request.get("values", [request["value"]] if "value" in request else [])
    return [value for value in values if isinstance(value, str)] if isinstance(values, list) else []


def requested_acr(acr_values: list[str], claims: dict | None, default_acr_values: tuple[str, ...]) -> list[str]:
    """What the request asks for: its acr_values, else an essential acr claim, else the client's
    registered default_acr_values."""
    return list(acr_values) or essential_acr(claims) or list(default_acr_values)


def token_acr(realname_level: int, requested: list[str]) -> str:
    """The ID token's acr: the highest requested value the login meets (OIDC Core §5.5.1.1 wants
    one of the requested values), else the level reached."""
    met = [value for value in requested if value in LEVEL_OF and LEVEL_OF[value] <= realname_level]
    return max(met, key=LEVEL_OF.__getitem__) if met else reached_acr(realname_level)
