"""OpenID Connect Back-Channel Logout 1.0.

Ending a session writes one logout token per participating client into an outbox
(``logout_deliveries``, a shared.outbox) in the same transaction; any instance then delivers due
rows, claiming each with one conditional UPDATE so two instances never post the same row at once,
and retries with exponential back-off while a client is down. Each attempt posts a freshly
signed copy of the stored token, whose two-minute exp a retry would otherwise have outlived.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import logging

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.audit.log import record
from idp.clients.models import Client
from idp.clients.pairwise import subject_for
from idp.keys import jws
from idp.metrics import LOGOUT_FAILURES
from idp.oidc.models import LogoutDelivery
from idp.portal import Portal
from idp.security.tokens import new_token
from shared.outbox import Columns, Outbox, Result, Retry

log = logging.getLogger(__name__)
EVENT = "http://schemas.openid.net/event/backchannel-logout"
LEASE = dt.timedelta(seconds=60)
TOKEN_SECONDS = 120


def logout_token(portal: Portal, ring, client: Client, subject: str, sid: str) -> str:
    """§2.4: iss, aud, iat, exp, jti, sub and sid, the events claim; never a nonce. ``sub`` is the
    one this client sees (pairwise for a pairwise client, OIDC Core §8.1)."""
    claims = {"iss": portal.settings.issuer, "aud": client.client_id,
              "sub": subject_for(portal.settings, client, subject), "sid": sid, "events": {EVENT: {}}}
    return _signed(ring, claims, client.id_token_signed_response_alg)


def _signed(ring, claims: dict, alg: str) -> str:
    # §4: exp at most two minutes ahead, so a captured token is soon useless; a new jti each time.
    now = clock.epoch(clock.now())
    claims = {**claims, "iat": now, "exp": now + TOKEN_SECONDS, "jti": new_token()}
    return jws.sign(ring, claims, alg=alg, typ="logout+jwt")


def fresh_copy(ring, stored: str) -> str:
    """The stored token signed anew: RPs reject an expired logout token (§2.6), and a retry
    after a client's outage comes long after the two minutes of the first one."""
    head, payload, _ = stored.split(".")
    header, claims = (json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))) for part in (head, payload))
    return _signed(ring, claims, header["alg"])


async def enqueue_logout(db: AsyncSession, portal: Portal, client_ids: list[str], subject: str, sid: str) -> int:
    if not client_ids:
        return 0
    ring = await portal.key_ring()
    clients = (await db.scalars(select(Client).where(Client.client_id.in_(client_ids)))).all()
    now = clock.now()
    queued = 0
    for client in clients:
        if not client.backchannel_logout_uri:
            continue
        db.add(LogoutDelivery(
            client_id=client.client_id, uri=client.backchannel_logout_uri,
            logout_token=logout_token(portal, ring, client, subject, sid),
            created_at=now, next_attempt_at=now, attempts=0,
        ))
        queued += 1
    return queued


COLUMNS = Columns(abandoned="abandoned_at")  # the lease is next_attempt_at itself


def _outbox(portal: Portal) -> Outbox:
    """logout_deliveries as a shared outbox, given up after IDP_BACKCHANNEL_MAX_ATTEMPTS."""
    settings = portal.settings
    return Outbox(LogoutDelivery, read=portal.reader, write=portal.sessionmaker.begin, clock=lambda: clock.now(),
                  lease=LEASE, retry=Retry(settings.backchannel_retry_seconds,
                                           max_attempts=settings.backchannel_max_attempts),
                  columns=COLUMNS, gave_up=_abandoned)


def _abandoned(db: AsyncSession, row: LogoutDelivery, error: str) -> None:
    record(db, "logout.backchannel_abandoned", outcome="failure", client_id=row.client_id, error=error)


async def deliver_due(portal: Portal) -> int:
    """Deliver every due logout token once. Returns how many were delivered."""
    return await _outbox(portal).deliver_due(_poster(portal), concurrently=True)


def _poster(portal: Portal):
    async def post(row: LogoutDelivery) -> Result:
        """§2.5: the token form-posted to the client's back-channel logout URI; 200 or 204 is success."""
        error = None
        try:
            response = await portal.http.post(
                row.uri, data={"logout_token": fresh_copy(await portal.key_ring(), row.logout_token)},
                timeout=portal.settings.backchannel_logout_timeout_seconds,
            )
            if response.status_code not in (200, 204):
                error = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            error = exc.__class__.__name__
        if error:
            LOGOUT_FAILURES.labels("attempt").inc()
            log.warning("back-channel logout to %s failed (%s), attempt %s", row.client_id, error, row.attempts)
        return Result(error=error)
    return post
