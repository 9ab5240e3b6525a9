"""The portal's own Prometheus counters: security events, counted when they are stored.

Logins, tokens and replays are counted from their audit records (idp.audit.log calls
:func:`count_when_committed`): the count is kept on the database session and added when the
transaction commits, dropped when it rolls back, so a counter says exactly what the audit log
holds. Delivery failures of the two outboxes are counted where the attempt fails.

Every label value comes from the fixed sets below (never from a request); the children are
created at import, so each series exists with 0 before its first event and an alert's rate()
has something to compare with.
"""
from __future__ import annotations

from prometheus_client import Counter
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

LOGINS = Counter("idp_logins_total", "Login attempts at the portal's login windows, by result", ("result",))
STAFF_LOGINS = Counter("idp_staff_logins_total", "Staff console sign-ins, by result", ("result",))
LOCKOUTS = Counter("idp_account_lockouts_total", "Accounts locked after too many wrong passwords or answers")
TOKENS = Counter("idp_tokens_issued_total", "Token responses issued, by grant type", ("grant_type",))
REPLAYS = Counter("idp_token_replays_total", "A used authorization code or refresh token presented again by "
                  "its own client (the grant is revoked)", ("kind",))
LOGOUT_FAILURES = Counter("idp_backchannel_logout_failures_total",
                          "Back-channel logout deliveries that failed: an attempt, or given up for good", ("stage",))
BINDING_CALL_FAILURES = Counter("idp_binding_call_failures_total",
                                "Attempts at a binding call to a business system that failed (retried)")
RATE_LIMITED = Counter("idp_rate_limited_total", "Requests refused by a rate limit (429), by limit name", ("limit",))

LOGIN_RESULTS = ("succeeded", "failed", "locked")
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
REPLAY_KINDS = ("authorization_code", "refresh_token")
FAILURE_STAGES = ("attempt", "abandoned")
# The children, made here and looked up by label value (``labels()`` takes a lock and builds
# its key on every call: 2 % of a client_credentials token's CPU).
LOGINS_BY = {result: LOGINS.labels(result) for result in LOGIN_RESULTS}
STAFF_LOGINS_BY = {result: STAFF_LOGINS.labels(result) for result in LOGIN_RESULTS}
TOKENS_BY = {grant: TOKENS.labels(grant) for grant in GRANT_TYPES}
REPLAYS_BY = {kind: REPLAYS.labels(kind) for kind in REPLAY_KINDS}
LOGOUT_FAILURES_BY = {stage: LOGOUT_FAILURES.labels(stage) for stage in FAILURE_STAGES}

PENDING = "idp.metrics.pending"


def counter_for(event_name: str, details: dict):
    """The counter child an audit event adds one to, or None."""
    if event_name == "login.succeeded":
        return LOGINS_BY["succeeded"]
    if event_name == "login.failed":
        return LOGINS_BY["locked" if details.get("reason") == "locked" else "failed"]
    if event_name == "staff.login.succeeded":
        return STAFF_LOGINS_BY["succeeded"]
    if event_name == "staff.login.failed":
        return STAFF_LOGINS_BY["failed"]
    if event_name == "staff.locked":
        return STAFF_LOGINS_BY["locked"]
    if event_name == "account.locked":
        return LOCKOUTS
    if event_name == "token.issued" and details.get("grant_type") in TOKENS_BY:
        return TOKENS_BY[details["grant_type"]]
    if event_name == "token.refreshed":
        return TOKENS_BY["refresh_token"]
    if event_name == "authorization.code_reused":
        return REPLAYS_BY["authorization_code"]
    if event_name == "token.refresh_reused":
        return REPLAYS_BY["refresh_token"]
    if event_name == "logout.backchannel_abandoned":
        return LOGOUT_FAILURES_BY["abandoned"]
    return None


def count_when_committed(db: AsyncSession, event_name: str, details: dict) -> None:
    counter = counter_for(event_name, details)
    if counter is not None:
        db.info.setdefault(PENDING, []).append(counter)


@event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    for counter in session.info.pop(PENDING, ()):
        counter.inc()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(PENDING, None)


def count_rate_limited(limit: str) -> None:
    """A refusal by a rate limit; the label is the limit's name (idp.limits.rates), never a scope."""
    RATE_LIMITED.labels(limit).inc()
