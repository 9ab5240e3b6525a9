"""Registering clients: the catalogue loader and the operations behind the CLI."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.audit.log import record
from idp.clients.models import Client
from idp.clients.pairwise import SUBJECT_TYPES
from idp.clients.registry import ACCOUNT_TYPES
from idp.oidc.scopes import SUPPORTED_SCOPES
from idp.oidc.sector_identifier import SectorError, check_sector, registered_subjects
from idp.oidc.sessions_acr import ACR_VALUES
from idp.security.tokens import digest, new_token
from shared.yaml_files import read_yaml

AUTH_METHODS = {"client_secret_basic", "client_secret_post", "private_key_jwt", "none"}
GRANT_TYPES = {"authorization_code", "refresh_token", "client_credentials"}
FIELDS = ("display_name", "contact", "token_endpoint_auth_method", "redirect_uris", "post_logout_redirect_uris",
          "grant_types", "scopes", "jwks", "backchannel_logout_uri", "initiate_login_uri",
          "id_token_signed_response_alg", "require_pkce", "first_party", "binding_start_uri", "binding_api_uri",
          "agent_binding_modes", "binding_modes", "binding_slot", "unbindable_kinds", "account_types",
          "min_realname_level", "default_acr_values", "require_pushed_authorization_requests", "subject_type",
          "sector_identifier_uri")
SUBJECT_FIELDS = {"subject_type", "sector_identifier_uri", "redirect_uris"}


class ClientConfigError(ValueError):
    pass


def check_client_fields(values: dict, *, production: bool) -> None:
    """Registration rules (RFC 9700 §2.1, §2.6): exact https redirect URIs, no fragments;
    http only for loopback (native apps, and business systems in development)."""
    if values.get("token_endpoint_auth_method", "client_secret_basic") not in AUTH_METHODS:
        raise ClientConfigError("unknown token_endpoint_auth_method")
    if not set(values.get("grant_types", [])) <= GRANT_TYPES:
        raise ClientConfigError("unknown grant type")
    if not set(values.get("scopes", [])) <= SUPPORTED_SCOPES:
        raise ClientConfigError("unknown scope")
    for name in ("agent_binding_modes", "binding_modes"):
        if not set(values.get(name, ["create"])) <= {"create", "existing"}:
            raise ClientConfigError(f"{name} may hold create and existing only")
    if not set(values.get("unbindable_kinds") or []) <= {"created", "existing"}:
        raise ClientConfigError("unbindable_kinds may hold created and existing only")
    if not set(values.get("account_types") or []) <= set(ACCOUNT_TYPES):
        raise ClientConfigError("account_types may hold personal, legal_person, agent and official only")
    level = values.get("min_realname_level")
    if level is not None and (isinstance(level, bool) or level not in (0, 2, 3)):
        raise ClientConfigError("min_realname_level is 0, 2 or 3")
    acr = values.get("default_acr_values")
    if acr is not None and not (isinstance(acr, list) and set(acr) <= set(ACR_VALUES)):
        raise ClientConfigError("default_acr_values may hold " + ", ".join(ACR_VALUES) + " only")
    if values.get("subject_type", "public") not in SUBJECT_TYPES:
        raise ClientConfigError("subject_type is public or pairwise")
    if not isinstance(values.get("require_pushed_authorization_requests", False), bool):
        raise ClientConfigError("require_pushed_authorization_requests is true or false")
    slot = values.get("binding_slot")
    # An agent's slot appends "@<agency id>" (idp.bindings.transitions.slot_of), within bindings.slot's 64.
    if slot is not None and not (isinstance(slot, str) and 0 < len(slot) <= 40 and slot.isprintable()
                                 and "@" not in slot):
        raise ClientConfigError("binding_slot is 1 to 40 printable characters without @")
    if values.get("id_token_signed_response_alg", "RS256") not in ("RS256", "ES256"):
        raise ClientConfigError("id_token_signed_response_alg must be RS256 or ES256")
    if values.get("token_endpoint_auth_method") == "private_key_jwt" and not values.get("jwks"):
        raise ClientConfigError("private_key_jwt needs jwks")
    uris = list(values.get("redirect_uris", [])) + list(values.get("post_logout_redirect_uris", []))
    uris += [u for u in (values.get("backchannel_logout_uri"), values.get("initiate_login_uri"),
                         values.get("binding_start_uri"), values.get("binding_api_uri"),
                         values.get("sector_identifier_uri")) if u]
    for uri in uris:
        parts = urlsplit(uri)
        if parts.fragment or parts.scheme not in ("https", "http") or not parts.netloc:
            raise ClientConfigError(f"invalid URI {uri}")
        loopback = parts.hostname in ("127.0.0.1", "::1", "localhost")
        if parts.scheme == "http" and not loopback:
            raise ClientConfigError(f"http is allowed for loopback URIs only: {uri}")
        # In production only a native app (a public client) may use loopback http (RFC 8252 §7.3);
        # a business system's endpoints are https.
        if parts.scheme == "http" and production and values.get("token_endpoint_auth_method") != "none":
            raise ClientConfigError(f"production mode refuses http URIs for a confidential client: {uri}")


async def upsert_client(db: AsyncSession, client_id: str, values: dict, *, source: str, production: bool,
                        actor: str | None = None, http: httpx.AsyncClient | None = None) -> Client:
    """Create or update a client; a change is recorded (client.added, client.updated with the
    fields that changed), loading an unchanged catalogue again records nothing. A pairwise
    client's sector is checked (idp.oidc.sector_identifier; ``http`` fetches its document)."""
    check_client_fields(values, production=production)
    now = clock.now()
    row = await db.get(Client, client_id)
    added = row is None
    if row is None:
        row = Client(client_id=client_id, created_at=now, source=source)
        db.add(row)
    changed = [field for field in FIELDS if field in values and (added or getattr(row, field) != values[field])]
    if SUBJECT_FIELDS.intersection(changed):
        await _check_subjects(row, values, added, http)
    for field in changed:
        setattr(row, field, values[field])
    if changed or added:
        row.updated_at = now
        record(db, "client.added" if added else "client.updated", actor=actor or source, client_id=client_id,
               source=source, fields=changed)
    return row


async def _check_subjects(row: Client, values: dict, added: bool, http: httpx.AsyncClient | None) -> None:
    def value(name: str, default=None):
        return values[name] if name in values else (default if added else getattr(row, name))

    registered = None if added else registered_subjects(row.subject_type or "public", row.sector_identifier_uri,
                                                         row.redirect_uris or [])
    try:
        await check_sector(http, value("subject_type", "public"), value("sector_identifier_uri"),
                           value("redirect_uris", []), registered=registered)
    except SectorError as exc:
        raise ClientConfigError(str(exc)) from None


async def load_catalogue(db: AsyncSession, path: Path, *, production: bool, actor: str | None = None) -> list[str]:
    """Create or update every system of the catalogue file; secrets are left alone. ``actor``:
    who loads it (the CLI); at start-up, "catalogue"."""
    data = read_yaml(path) or {}
    loaded = []
    for entry in data.get("systems", []):
        entry = dict(entry)
        client_id = entry.pop("client_id")
        await upsert_client(db, client_id, entry, source="catalogue", production=production, actor=actor)
        loaded.append(client_id)
    return loaded


async def rotate_secret(db: AsyncSession, client_id: str, *, actor: str = "cli") -> str:
    """A new 256-bit secret; only its digest is stored. The caller shows it once."""
    row = await db.scalar(select(Client).where(Client.client_id == client_id))
    if row is None:
        raise ClientConfigError(f"no client {client_id}")
    secret = new_token()
    row.secret_digest = digest(secret)
    row.updated_at = clock.now()
    record(db, "client.secret_rotated", actor=actor, client_id=client_id)
    return secret
