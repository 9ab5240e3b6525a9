"""Pairwise subject identifiers (OpenID Connect Core §8.1): the ``sub`` a client sees.

A client registered with ``subject_type: pairwise`` sees, for each principal, the keyed hash
HMAC-SHA256(IDP_PAIRWISE_SALT, sector ‖ local subject), base64url: the same for every client of
one sector, different for clients of different sectors, so two business systems cannot correlate
a user by ``sub`` and nobody without the salt can compute it. The local subject is the account's
own (or, for an agent, its agency's: idp.principals.principal.Principal.subject). The sector is
the host of the client's ``sector_identifier_uri`` (checked at registration,
idp.oidc.sector_identifier), else the one host of its redirect URIs (§8.1).

Everything a client receives with a subject goes through :func:`subject_for`: ID token, access
token, UserInfo, introspection, the back-channel logout token, and the binding contract's intents
and calls (docs/binding-protocol.md). It lives in the domain layer because the binding calls do.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Sequence
from typing import Protocol
from urllib.parse import urlsplit

from idp.settings import Settings

SUBJECT_TYPES = ("public", "pairwise")


class SubjectClient(Protocol):
    """A client row or a :class:`~idp.clients.registry.ClientInfo`: what decides its subjects."""

    # Read-only properties: a frozen ClientInfo has them as fields, a Client row as columns.
    @property
    def subject_type(self) -> str: ...

    @property
    def sector_identifier_uri(self) -> str | None: ...

    @property
    def redirect_uris(self) -> Sequence[str]: ...


class NoSector(ValueError):
    """§8.1: redirect URIs on several hosts need a sector_identifier_uri."""


def sector_of(sector_identifier_uri: str | None, redirect_uris: Sequence[str]) -> str:
    if sector_identifier_uri:
        return (urlsplit(sector_identifier_uri).hostname or "").lower()
    hosts = {(urlsplit(uri).hostname or "").lower() for uri in redirect_uris}
    if len(hosts) != 1:
        raise NoSector("redirect URIs on several hosts need a sector_identifier_uri")
    return hosts.pop()


def pairwise_subject(settings: Settings, sector: str, local_subject: str) -> str:
    salt = settings.pairwise_salt.get_secret_value().encode()
    mac = hmac.new(salt, f"{sector}\x00{local_subject}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def subject_for(settings: Settings, client: SubjectClient, local_subject: str) -> str:
    """What ``client`` sees as the ``sub`` of the principal whose own subject is ``local_subject``."""
    if client.subject_type != "pairwise":
        return local_subject
    return pairwise_subject(settings, sector_of(client.sector_identifier_uri, client.redirect_uris), local_subject)


def seen_by(settings: Settings, client: SubjectClient) -> Callable[[str], str]:
    return lambda local_subject: subject_for(settings, client, local_subject)
