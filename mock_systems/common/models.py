"""The system's tables: its own accounts, the links to portal accounts, browser sessions,
logins in progress at the portal, and captchas."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mock_systems.common.db import Base, UTCDateTime


class LocalAccount(Base):
    """An account of this business system, with its own password (never the portal's)."""

    __tablename__ = "local_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # stored lower-case
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None: no local password
    display_name: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class LinkKind(str, enum.Enum):
    """How a link was made (授权绑定): the two choices of the binding page."""

    created_by_binding = "created_by_binding"  # 直接授权创建新的账号: 不可解除
    bound_existing = "bound_existing"  # 已有用户的登录授权: the user may undo it


class PortalLink(Base):
    """A portal account (its ``sub``) linked to one local account: at most one link per portal
    account and per local account (the unique constraints are the rule, not the code)."""

    __tablename__ = "portal_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    portal_subject: Mapped[str] = mapped_column(String(255), unique=True)
    local_account_id: Mapped[int] = mapped_column(ForeignKey("local_accounts.id"), unique=True)
    kind: Mapped[LinkKind] = mapped_column(Enum(LinkKind, native_enum=False, length=32,
                                                create_constraint=True, name="link_kind"))
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


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
    portal_sid: Mapped[str | None] = mapped_column(String(255), index=True)
    portal_claims: Mapped[dict | None] = mapped_column(JSON)
    id_token: Mapped[str | None] = mapped_column(Text)


class PendingLogin(Base):
    """An authorization request sent to the portal, until its callback: the state (digest),
    the nonce and the PKCE verifier, bound to the browser session that started it."""

    __tablename__ = "pending_logins"

    state_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_digest: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    return_to: Mapped[str] = mapped_column(String(2000), default="/")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class Captcha(Base):
    """A graphic captcha's answer: server-side, used once, expiring in minutes."""

    __tablename__ = "captchas"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    answer: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
