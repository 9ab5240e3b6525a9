"""Protocol state: interactions, codes, grants, tokens, consents, logout deliveries.

Everything a second instance needs lives here, not in process memory.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from idp.db.base import Base, UTCDateTime


class Interaction(Base):
    """A stored authorization request waiting for the user: login, consent or account choice.

    Its id travels in the login/consent URLs; its CSRF token is bound to the browser cookie.
    """

    __tablename__ = "interactions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str | None] = mapped_column(ForeignKey("clients.client_id"))
    request: Mapped[dict] = mapped_column(JSON)  # the validated authorization parameters
    browser_digest: Mapped[str] = mapped_column(String(64))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Grant(Base):
    """What one authorization (or one client_credentials call) allowed; tokens hang off it.

    Revoking the grant revokes every token issued under it (code reuse, refresh reuse).
    """

    __tablename__ = "grants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)  # an agent's grant
    sid: Mapped[str | None] = mapped_column(String(64), index=True)
    scope: Mapped[str] = mapped_column(Text)
    claims: Mapped[dict | None] = mapped_column(JSON)  # the OIDC `claims` request, if any
    auth_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    acr: Mapped[str | None] = mapped_column(String(64))
    amr: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(64))


class AuthorizationCode(Base):
    """A code, stored by digest. Redemption sets consumed_at in one UPDATE … RETURNING;
    the row stays as a tombstone so a replay can revoke the grant it produced."""

    __tablename__ = "authorization_codes"

    code_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    sid: Mapped[str] = mapped_column(String(64), index=True)  # logout voids the session's codes
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str | None] = mapped_column(Text)
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    claims: Mapped[dict | None] = mapped_column(JSON)
    auth_time: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    acr: Mapped[str] = mapped_column(String(64))
    amr: Mapped[list] = mapped_column(JSON)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    consumed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    grant_id: Mapped[str] = mapped_column(String(64))  # the grant its tokens will belong to
    # RFC 9449 §10: the DPoP key (its RFC 7638 thumbprint) the code may only be redeemed with.
    dpop_jkt: Mapped[str | None] = mapped_column(String(64))


class AccessToken(Base):
    """The jti of every issued JWT access token, so userinfo/introspection can see revocation."""

    __tablename__ = "access_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class RefreshToken(Base):
    """Opaque refresh tokens by digest. Rotation consumes a token in one UPDATE … RETURNING;
    presenting a consumed one revokes the whole grant (the token family)."""

    __tablename__ = "refresh_tokens"

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    consumed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # RFC 9449 §5: a public client's refresh token works only with a proof of this key.
    dpop_jkt: Mapped[str | None] = mapped_column(String(64))


class PushedRequest(Base):
    """A pushed authorization request (RFC 9126 §2), validated when pushed, waiting for its one
    use at the authorization endpoint: found by the digest of its request_uri, and deleted by
    that use in one DELETE … RETURNING, so of N concurrent uses one proceeds."""

    __tablename__ = "pushed_requests"

    uri_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"))
    request: Mapped[dict] = mapped_column(JSON)  # AuthorizationRequest.to_json()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class DpopProofJti(Base):
    """A DPoP proof seen (RFC 9449 §11.1): the digest of its key thumbprint and jti, kept until
    the proof could no longer be accepted anyway; the primary key refuses a second use."""

    __tablename__ = "dpop_proof_jtis"

    proof_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class Consent(Base):
    """Scopes an account has granted a client."""

    __tablename__ = "consents"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"), primary_key=True)
    scopes: Mapped[list] = mapped_column(JSON)
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class LogoutDelivery(Base):
    """A back-channel logout token waiting to reach a client (an outbox: retried until delivered)."""

    __tablename__ = "logout_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"))
    uri: Mapped[str] = mapped_column(String(500))
    logout_token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    abandoned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
