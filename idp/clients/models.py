"""OpenID clients: the business systems of the catalogue, and any a CLI adds."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.db.base import Base, UTCDateTime


class Client(Base):
    __tablename__ = "clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # SHA-256 of a 256-bit random secret; the secret itself is shown once and never stored.
    secret_digest: Mapped[str | None] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(500))
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(32), default="client_secret_basic")
    redirect_uris: Mapped[list] = mapped_column(JSON, default=list)
    post_logout_redirect_uris: Mapped[list] = mapped_column(JSON, default=list)
    grant_types: Mapped[list] = mapped_column(JSON, default=list)
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    jwks: Mapped[dict | None] = mapped_column(JSON)  # for private_key_jwt
    backchannel_logout_uri: Mapped[str | None] = mapped_column(String(500))
    backchannel_logout_session_required: Mapped[bool] = mapped_column(Boolean, default=True)
    initiate_login_uri: Mapped[str | None] = mapped_column(String(500))
    # 授权绑定 (docs/binding-protocol.md): where the browser starts a binding on the system, and
    # the base URL of the system's binding API that the portal calls.
    binding_start_uri: Mapped[str | None] = mapped_column(String(500))
    binding_api_uri: Mapped[str | None] = mapped_column(String(500))
    # The binding modes a legal person may use for its agents (经办人): the UDI system lets
    # agents bind existing sub-accounts only.
    agent_binding_modes: Mapped[list | None] = mapped_column(JSON)  # None: both
    # The binding modes anyone may use: the drug system at the supervision portal binds existing
    # regulator accounts only (docs/supervision.md).
    binding_modes: Mapped[list | None] = mapped_column(JSON)  # None: both
    # Systems with the same binding slot exclude each other: one portal account binds one of
    # them (分类界定 ⟂ 药械组合, docs/behaviours.md, Binding). None: the system's own slot, its client id.
    binding_slot: Mapped[str | None] = mapped_column(String(40))
    # The kinds of link the user may undo (解除绑定); a link "created" by 直接授权创建新的账号 is
    # 不可解除 by default. None: existing only.
    unbindable_kinds: Mapped[list | None] = mapped_column(JSON)
    # Who may bind the system at all (idp.bindings.eligibility): the principal kinds allowed
    # (personal, legal_person, agent; None: all) and the real-name level required (None: any).
    # The licensed-pharmacist system: personal accounts in their own capacity, at 三级.
    account_types: Mapped[list | None] = mapped_column(JSON)
    min_realname_level: Mapped[int | None] = mapped_column(Integer)
    # The acr values asked for when an authorization request names none (idp.oidc.acr).
    default_acr_values: Mapped[list | None] = mapped_column(JSON)
    id_token_signed_response_alg: Mapped[str] = mapped_column(String(8), default="RS256")
    # PKCE is required unless a confidential client's registration says otherwise.
    require_pkce: Mapped[bool] = mapped_column(Boolean, default=True)
    # RFC 9126 §6: this client's authorization requests must come through the PAR endpoint.
    require_pushed_authorization_requests: Mapped[bool] = mapped_column(Boolean, default=False)
    # OIDC Core §8: "public" (the account's own subject) or "pairwise" (one per sector,
    # idp.oidc.pairwise); the sector is the sector_identifier_uri's host, else the redirect URIs' one.
    subject_type: Mapped[str] = mapped_column(String(16), default="public")
    sector_identifier_uri: Mapped[str | None] = mapped_column(String(500))
    # First-party business systems skip the consent page for ordinary scopes.
    first_party: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(16), default="cli")  # catalogue | cli
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Deleted (idp.operations.clients.delete_client): disabled for good, its tokens gone.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"


class ClientAssertionJti(Base):
    """private_key_jwt assertions seen, so that one cannot be replayed (RFC 7523 §3)."""

    __tablename__ = "client_assertion_jtis"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    jti: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
