"""The system's tables: its own accounts, the links to portal accounts (with the binding ids
settled and the calls owed to the portal), browser sessions, logins in progress at the portal,
and captchas."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mock_systems.common.db import Base
from shared.binding import Kind
from shared.sqltypes import UTCDateTime


class LocalAccount(Base):
    """An account of this business system, with its own password (never the portal's)."""

    __tablename__ = "local_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # stored lower-case
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None: no local password
    display_name: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    # Who the account is at the portal (docs/claims.md), from the claims of its creation and of
    # each login through the portal: the enterprise's 统一社会信用代码 ("" when none) and the
    # account type (legal_person / agent / personal; "" for an account never seen through the
    # portal). A system decides by them what an account may do for which enterprise.
    enterprise_code: Mapped[str] = mapped_column(String(32), default="", index=True)
    portal_account_type: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class LinkKind(str, enum.Enum):
    """How a link was made (授权绑定): the two choices of the binding page."""

    created_by_binding = "created_by_binding"  # 直接授权创建新的账号: 不可解除
    bound_existing = "bound_existing"  # 已有用户的登录授权: the user may undo it

    @property
    def wire(self) -> Kind:
        """The contract's name (shared.binding.Kind): "created" or "existing"."""
        return "created" if self is LinkKind.created_by_binding else "existing"


class PortalLink(Base):
    """A portal account (its ``sub`` at its ``issuer``) linked to one local account: at most one
    link per portal account and per local account (the unique constraints are the rule, not the
    code). A system that trusts two providers (the drug system: the portal and the supervision
    portal) keys links by (issuer, sub): a subject of one provider never logs in a user of the other."""

    __tablename__ = "portal_links"
    __table_args__ = (Index("uq_portal_links_issuer_subject", "issuer", "portal_subject", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    issuer: Mapped[str] = mapped_column(String(255))
    portal_subject: Mapped[str] = mapped_column(String(255))
    local_account_id: Mapped[int] = mapped_column(ForeignKey("local_accounts.id"), unique=True)
    kind: Mapped[LinkKind] = mapped_column(Enum(LinkKind, native_enum=False, length=32,
                                                create_constraint=True, name="link_kind"))
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # The portal's binding that made the link (None for links made by hand).
    binding_id: Mapped[str | None] = mapped_column(String(64), unique=True)


class BindingOutcome(str, enum.Enum):
    linked = "linked"  # the binding made a link (it may have been removed since: ended)
    cancelled = "cancelled"  # a tombstone: the portal cancelled it before it linked
    refused = "refused"  # a tombstone: this system refused it (and told the portal)
    ended = "ended"  # it linked, and the link was removed since


class BindingRecord(Base):
    """Every binding id this system has settled, once: a link and a tombstone share this
    primary key, so a cancelled binding can never link later and one binding links at most once
    (the constraint is the rule, as for portal_links)."""

    __tablename__ = "binding_records"

    binding_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))  # the provider whose binding it is
    outcome: Mapped[BindingOutcome] = mapped_column(Enum(BindingOutcome, native_enum=False, length=16,
                                                         create_constraint=True, name="binding_outcome"))
    portal_subject: Mapped[str | None] = mapped_column(String(255))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """A call this system owes the portal (confirm, refused, ended), kept until the portal
    acknowledges it; one per binding id and action, so a retry never makes a second one.
    Deliverers claim a row with a conditional UPDATE (``claimed_until``): any instance may."""

    __tablename__ = "binding_outbox"
    __table_args__ = (Index("uq_binding_outbox_binding_action", "binding_id", "action", unique=True),
                      CheckConstraint("action IN ('confirm', 'refused', 'ended')", name="action"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    issuer: Mapped[str] = mapped_column(String(255), index=True)  # the provider the call goes to
    binding_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    body: Mapped[dict] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A browser's session with this system, behind an opaque cookie (only its digest is
    stored). Anonymous until a login; every login starts a new row (a new cookie value)."""

    __tablename__ = "web_sessions"
    __table_args__ = (CheckConstraint("login_method IN ('local', 'portal')", name="login_method"),)

    id_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    csrf_secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    account_id: Mapped[int | None] = mapped_column(ForeignKey("local_accounts.id"))
    login_method: Mapped[str | None] = mapped_column(String(16))
    logged_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # After a login through the portal: who, which portal session (for back-channel logout),
    # what UserInfo said, and the ID token (the id_token_hint of the logout).
    portal_subject: Mapped[str | None] = mapped_column(String(255), index=True)
    portal_issuer: Mapped[str | None] = mapped_column(String(255))  # which provider logged it in
    # The binding whose subject this browser proved to be, by a silent portal login: only then
    # may it complete that binding (an attacker's link sent to a victim binds nothing).
    verified_binding_id: Mapped[str | None] = mapped_column(String(64))
    portal_sid: Mapped[str | None] = mapped_column(String(255), index=True)
    portal_claims: Mapped[dict | None] = mapped_column(JSON)
    id_token: Mapped[str | None] = mapped_column(Text)


class PendingLogin(Base):
    """An authorization request sent to the portal, until its callback: the state (digest),
    the nonce and the PKCE verifier, bound to the browser session that started it."""

    __tablename__ = "pending_logins"

    state_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))  # the provider it was sent to: only its callback takes it
    session_digest: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    return_to: Mapped[str] = mapped_column(String(2000), default="/")
    # Set for the silent login that checks a binding's subject (binding_start): its binding id.
    binding_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class Captcha(Base):
    """A graphic captcha's answer: server-side, used once, expiring in minutes."""

    __tablename__ = "captchas"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    answer: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
