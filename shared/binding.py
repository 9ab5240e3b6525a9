"""The binding (授权绑定) contract between the portal and a business system.

Both sides import this module; neither imports the other. docs/binding-protocol.md explains the
design; this file fixes the names, paths and message shapes.

Authentication:
- business system → portal: HTTP Basic with the system's OpenID client id and secret;
- portal → business system: ``Authorization: Bearer <JWT>`` signed with the portal's key
  (verified against its JWKS), header ``typ`` = :data:`PORTAL_REQUEST_TYP`, claims ``iss``,
  ``aud`` (the client id), ``iat``, ``exp`` (at most :data:`PORTAL_REQUEST_MAX_SECONDS` later),
  ``jti``, and ``action`` / ``binding_id`` / ``sub`` naming exactly the request it authorizes, plus
  ``force`` and ``reason`` for staff force-unbind.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

# --- vocabulary ------------------------------------------------------------------------------

Mode = Literal["create", "existing"]  # 直接授权创建新的账号 / 已有用户的登录授权
Kind = Literal["created", "existing"]  # how a link was made; "created" is never undone by the user
PortalState = Literal["pending", "active", "unbinding", "ended", "failed"]
LinkStatus = Literal["linked", "cancelled", "unknown"]
# not_eligible: the system's own rules refuse the subject (e.g. the licensed-pharmacist system
# finds no qualification record of this name and ID number); the system shows the user why.
RefusalReason = Literal["subject_already_linked", "local_account_taken", "expired", "abandoned", "not_eligible"]

KIND_OF_MODE: dict[str, str] = {"create": "created", "existing": "existing"}

# A binding intent lives this long; the portal asks the system about it only after the margin.
INTENT_SECONDS = 600
RECONCILE_MARGIN_SECONDS = 120

# --- portal endpoints (called by the business system, HTTP Basic) ------------------------------

PORTAL_INTENT = "/api/bindings/{binding_id}"  # GET  → Intent
PORTAL_CONFIRM = "/api/bindings/{binding_id}/confirm"  # POST Confirmation → {"state": "active"}
PORTAL_REFUSED = "/api/bindings/{binding_id}/refused"  # POST Refusal → {"state": "failed"}
PORTAL_ENDED = "/api/bindings/{binding_id}/ended"  # POST {"reason": …} → {"state": "ended"}
PORTAL_BINDINGS_PAGE = "/space/bindings"  # where the browser returns (我的绑定)
# POST {"sub", "title", "body"} → 201 {"posted": true}: a note in the bound user's 我的消息;
# 404 {"error": "not_found"} unless ``sub`` is bound to the calling system (docs/binding-protocol.md).
PORTAL_NOTICES = "/api/notices"
NOTICE_TITLE_MAX = 100
NOTICE_BODY_MAX = 1000

# --- business-system endpoints -----------------------------------------------------------------

SYSTEM_START = "/binding/start"  # browser: GET ?binding=<id>
SYSTEM_STATUS = "/binding-api/bindings/{binding_id}"  # GET → Status (portal-signed JWT)
SYSTEM_CANCEL = "/binding-api/bindings/{binding_id}/cancel"  # POST → Status ("cancelled" or "linked")
SYSTEM_UNLINK = "/binding-api/links/{sub}"  # DELETE → 204; 409 {"error": "created_not_unbindable"}

PORTAL_REQUEST_TYP = "binding+jwt"
PORTAL_REQUEST_MAX_SECONDS = 120
ACTIONS = ("status", "cancel", "unlink")


@dataclass(frozen=True)
class Intent:
    """What the portal tells the system about a binding it started (GET PORTAL_INTENT)."""

    binding_id: str
    client_id: str
    sub: str
    mode: Mode
    state: PortalState
    expires_at: int  # epoch seconds; the system refuses to link after it
    claims: dict = field(default_factory=dict)  # the user's claims for the consented scopes
    # The portal user who started the binding and must be the one in the browser (the subject
    # check): the subject itself, or the legal person when it binds a system for its agent.
    actor_sub: str | None = None

    @property
    def browser_sub(self) -> str:
        """Whose silent portal login may complete this binding."""
        return self.actor_sub or self.sub

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Intent:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class Confirmation:
    """The system linked the subject (POST PORTAL_CONFIRM). Idempotent per binding id."""

    kind: Kind
    local_account: str  # the system's own reference, shown to staff; never a credential

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Refusal:
    """The system will not link this binding (POST PORTAL_REFUSED); the portal frees the slot."""

    reason: RefusalReason

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Status:
    """The system's answer about one binding id (SYSTEM_STATUS, SYSTEM_CANCEL)."""

    status: LinkStatus
    kind: Kind | None = None
    local_account: str | None = None

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}
