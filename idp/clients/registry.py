"""Client lookup with a short cache. Every instance re-reads within client_cache_seconds of a
change; the CLI and catalogue loader also invalidate their own instance at once."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import select

from idp.clients.models import Client

CLIENT_ID_MAX = 64  # the length of clients.client_id
# 直接授权创建新的账号 (kind "created") is 不可解除 unless the catalogue says otherwise.
UNBINDABLE_KINDS = ("existing",)
# Who may bind a system (idp.bindings.eligibility): a personal account in its own capacity
# (个人登录), a legal person, an agent (经办人, 法人登录) — all unless the catalogue says otherwise.
ACCOUNT_TYPES = ("personal", "legal_person", "agent", "official")  # official: a staff deployment's


def unbindable_kinds(value: list | None) -> tuple[str, ...]:
    """The catalogue's ``unbindable_kinds`` of a client row, or the default."""
    return tuple(value) if value is not None else UNBINDABLE_KINDS


def account_types(value: list | None) -> tuple[str, ...]:
    """The catalogue's ``account_types`` of a client row, or the default (all)."""
    return tuple(value) if value is not None else ACCOUNT_TYPES


@dataclass(frozen=True)
class ClientInfo:
    """An immutable snapshot of a client row: safe to share between requests."""

    client_id: str
    secret_digest: str | None
    display_name: str
    contact: str | None
    token_endpoint_auth_method: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    scopes: tuple[str, ...]
    jwks: dict | None
    backchannel_logout_uri: str | None
    initiate_login_uri: str | None
    id_token_signed_response_alg: str
    require_pkce: bool
    first_party: bool
    binding_start_uri: str | None = None
    binding_api_uri: str | None = None
    agent_binding_modes: tuple[str, ...] = ("create", "existing")
    binding_modes: tuple[str, ...] = ("create", "existing")
    binding_slot: str | None = None
    unbindable_kinds: tuple[str, ...] = UNBINDABLE_KINDS
    account_types: tuple[str, ...] = ACCOUNT_TYPES
    min_realname_level: int = 0
    default_acr_values: tuple[str, ...] = ()
    require_pushed_authorization_requests: bool = False
    subject_type: str = "public"
    sector_identifier_uri: str | None = None
    enabled: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"

    @classmethod
    def from_row(cls, row: Client) -> ClientInfo:
        return cls(
            client_id=row.client_id,
            secret_digest=row.secret_digest,
            display_name=row.display_name,
            contact=row.contact,
            token_endpoint_auth_method=row.token_endpoint_auth_method,
            redirect_uris=tuple(row.redirect_uris or ()),
            post_logout_redirect_uris=tuple(row.post_logout_redirect_uris or ()),
            grant_types=tuple(row.grant_types or ()),
            scopes=tuple(row.scopes or ()),
            jwks=row.jwks,
            backchannel_logout_uri=row.backchannel_logout_uri,
            initiate_login_uri=row.initiate_login_uri,
            id_token_signed_response_alg=row.id_token_signed_response_alg,
            require_pkce=row.require_pkce,
            first_party=row.first_party,
            binding_start_uri=row.binding_start_uri,
            binding_api_uri=row.binding_api_uri,
            agent_binding_modes=tuple(row.agent_binding_modes or ("create", "existing")),
            binding_modes=tuple(row.binding_modes or ("create", "existing")),
            binding_slot=row.binding_slot,
            unbindable_kinds=unbindable_kinds(row.unbindable_kinds),
            account_types=account_types(row.account_types),
            min_realname_level=row.min_realname_level or 0,
            default_acr_values=tuple(row.default_acr_values or ()),
            require_pushed_authorization_requests=bool(row.require_pushed_authorization_requests),
            subject_type=row.subject_type or "public",
            sector_identifier_uri=row.sector_identifier_uri,
            enabled=row.disabled_at is None,
        )


class ClientRegistry:
    def __init__(self, ttl_seconds: float):
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, ClientInfo | None]] = {}

    def invalidate(self, client_id: str | None = None) -> None:
        if client_id is None:
            self._cache.clear()
        else:
            self._cache.pop(client_id, None)

    def __len__(self) -> int:
        return len(self._cache)

    async def get(self, db_factory, client_id: str) -> ClientInfo | None:
        hit = self._cache.get(client_id)
        if hit and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        if len(client_id) > CLIENT_ID_MAX or not client_id.isprintable():
            return None  # no such column value can exist (and a NUL breaks a PostgreSQL query)
        async with db_factory() as db:
            row = await db.scalar(select(Client).where(Client.client_id == client_id))
        if row is None or row.disabled_at is not None:
            # Misses are not cached: presented ids are caller-chosen, and caching each one
            # would let anyone grow this process's memory without bound.
            self._cache.pop(client_id, None)
            return None
        info = ClientInfo.from_row(row)
        self._cache[client_id] = (time.monotonic(), info)
        return info
