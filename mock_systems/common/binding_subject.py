"""The subject check of 授权绑定: the system completes a binding only in a browser whose portal
user started it — the binding's subject, or the legal person binding a system for its agent
(``Intent.actor_sub``) — by a silent prompt=none login, then the ID token's sub is compared."""
from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit

from sqlalchemy import update
from starlette.responses import RedirectResponse, Response

from mock_systems.common.binding_intent import fetch_intent
from mock_systems.common.context import SystemContext
from mock_systems.common.models import PendingLogin, WebSession
from mock_systems.common.pages import message_page
from mock_systems.common.portal_client import PortalError
from mock_systems.common.security import constant_time_equal
from mock_systems.common.settings import MissingClientSecret
from mock_systems.common.tokens import TokenRefused, verify_id_token
from shared.binding import SYSTEM_START
from shared.messages import text

log = logging.getLogger(__name__)


async def finish_subject_check(system: SystemContext, session: WebSession, pending: PendingLogin,
                               query) -> Response:
    """The callback of the silent login (OIDC Core §3.1.2.6: login_required when the browser has no
    portal session): the ID token's sub must be the intent's sub. Refusals send nothing to the
    portal, so the binding stays pending for its real subject."""
    if "error" in query or not query.get("code"):
        return message_page(system, text("system.binding.portal_login_required"), 403,
                            "no portal session for the binding")
    try:
        intent = await fetch_intent(system, pending.binding_id)
        tokens = await system.portal.redeem_code(query["code"], pending.code_verifier)
        claims = await verify_id_token(system.portal, system.settings, tokens["id_token"], nonce=pending.nonce,
                                       access_token=tokens["access_token"])
    except TokenRefused as exc:
        return message_page(system, text("system.login.failed"), 401, f"id_token refused: {exc}")
    except (PortalError, MissingClientSecret) as exc:
        return message_page(system, text("system.login.portal_unavailable"), 502, str(exc)[:200])
    # The portal user who started the binding: its subject, or the legal person binding for an agent.
    if not constant_time_equal(str(claims["sub"]), intent.browser_sub):
        log.warning("binding %s opened by another portal user", intent.binding_id)
        return message_page(system, text("system.binding.not_subject"), 403,
                            "the portal user is not the binding subject")
    async with system.sessionmaker.begin() as db:
        await db.execute(update(WebSession).where(WebSession.id_digest == session.id_digest)
                         .values(verified_binding_id=intent.binding_id))
    # Under the system's base URL: a second provider's endpoints sit under a prefix (providers.py).
    start = urlsplit(system.settings.endpoint(SYSTEM_START)).path
    return RedirectResponse(start + "?" + urlencode({"binding": intent.binding_id}), status_code=303)
