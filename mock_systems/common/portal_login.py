"""Login through the portal: the authorization code flow with PKCE S256 (OIDC Core §3.1).

``/auth/login`` is also the initiate_login_uri registered with the portal (third-party-initiated
login, OIDC Core §4): it accepts ``iss`` (which must be our portal) and ``target_link_uri``
(followed only within this system). The state, nonce and code verifier wait in the database,
bound to the browser's session, until ``/auth/callback`` claims them once.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from mock_systems.common.accounts import refresh_identity
from mock_systems.common.binding_subject import finish_subject_check
from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from mock_systems.common.links import linked_account
from mock_systems.common.models import PendingLogin, WebSession
from mock_systems.common.pages import message_page
from mock_systems.common.portal_client import PortalError
from mock_systems.common.portal_request import send_to_portal
from mock_systems.common.security import digest
from mock_systems.common.sessions import (
    load_session,
    log_in,
    set_cookie,
)
from mock_systems.common.settings import MissingClientSecret
from mock_systems.common.tokens import TokenRefused, verify_id_token
from shared.messages import text

router = APIRouter()
# UserInfo claims kept in the session for the home page (and for the binding to come).
KEPT_CLAIMS = ("name", "preferred_username", "account_type", "realname_level", "enterprise", "acting_person")


def local_target(system: SystemContext, target_link_uri: str | None) -> str:
    """Where to land after the login: a path of this system named by target_link_uri, else the
    home page (OIDC Core §4: the RP must not become an open redirector)."""
    if not target_link_uri:
        return "/"
    target, base = urlsplit(target_link_uri), urlsplit(system.settings.base_url)
    if (target.scheme, target.netloc) != (base.scheme, base.netloc) or not target.path.startswith("/") \
            or target.path.startswith("//"):
        return "/"
    return target.path + (f"?{target.query}" if target.query else "")


@router.api_route("/auth/login", methods=["GET", "POST"])
async def start_login(request: Request) -> Response:
    system: SystemContext = request.app.state.system
    params = request.query_params if request.method == "GET" else await request.form()
    if "iss" in params and params["iss"] != system.settings.issuer:
        return message_page(system, text("system.login.wrong_issuer"), 400, "iss is not the configured issuer")
    prompts = system.profile.extension.before_portal_login if system.profile.extension else None
    if prompts is not None and "iss" in params and (page := await prompts(request, system, params)) is not None:
        return page
    target = params.get("target_link_uri")
    return_to = local_target(system, str(target) if target is not None else None)
    return await send_to_portal(request, system, return_to=return_to)


async def claim_pending(db: AsyncSession, issuer: str, state: str | None, session: WebSession | None
                        ) -> PendingLogin | None:
    """The login this callback (the one of provider ``issuer``) answers, taken once; only from
    the browser that started it, and only a login sent to that provider."""
    if not state or session is None:
        return None
    result = await db.execute(delete(PendingLogin).where(
        PendingLogin.state_digest == digest(state), PendingLogin.session_digest == session.id_digest,
        PendingLogin.issuer == issuer,
    ).returning(PendingLogin))
    pending = result.scalars().first()
    return pending if pending is not None and pending.expires_at > utcnow() else None


def _ascii(value: str) -> str:
    return "".join(c for c in value[:60] if c.isascii() and c.isprintable() and c not in "\"'\\")


@router.get("/auth/callback")
async def callback(request: Request) -> Response:
    system: SystemContext = request.app.state.system
    query = request.query_params
    async with system.sessionmaker.begin() as db:
        session = await load_session(db, system, request)
        pending = await claim_pending(db, system.settings.issuer, query.get("state"), session)
    if pending is None or session is None:  # claim_pending finds none without a session
        return message_page(system, text("system.login.expired"), 400, "unknown, used or expired state")
    # RFC 9207 §2.4: the response must come from the portal we sent the user to.
    if query.get("iss") != system.settings.issuer:
        return message_page(system, text("system.login.wrong_issuer"), 400, "iss parameter missing or not our issuer")
    if pending.binding_id is not None:  # the silent login of 授权绑定: who is this browser?
        return await finish_subject_check(system, session, pending, query)
    if "error" in query or not query.get("code"):
        return message_page(system, text("system.login.denied"), 400, f"error={_ascii(query.get('error', ''))}")
    try:
        tokens = await system.portal.redeem_code(query["code"], pending.code_verifier)
        claims = await verify_id_token(system.portal, system.settings, tokens["id_token"], nonce=pending.nonce,
                                       access_token=tokens["access_token"])
        info = await system.portal.userinfo(tokens["access_token"])
    except TokenRefused as exc:
        return message_page(system, text("system.login.failed"), 401, f"id_token refused: {exc}")
    except (PortalError, MissingClientSecret) as exc:
        return message_page(system, text("system.login.portal_unavailable"), 502, _ascii(str(exc)))
    if info.get("sub") != claims["sub"]:  # OIDC Core §5.3.4
        return message_page(system, text("system.login.failed"), 401, "userinfo is about another subject")
    async with system.sessionmaker.begin() as db:
        linked = await linked_account(db, system.settings.issuer, claims["sub"])
        if linked is None:
            return unlinked(system, claims)
        refresh_identity(linked[1], info)  # the enterprise and account type may have changed
        token = await log_in(db, system, session, account_id=linked[1].id, login_method="portal",
                             portal_subject=claims["sub"], portal_issuer=system.settings.issuer,
                             portal_sid=claims.get("sid"), id_token=tokens["id_token"],
                             portal_claims={k: info[k] for k in KEPT_CLAIMS if k in info})
    response = RedirectResponse(pending.return_to, status_code=303)
    set_cookie(response, system, token)
    return response


def unlinked(system: SystemContext, claims: dict) -> Response:
    """A portal account with no link here: nobody is logged in; binding happens at the portal."""
    return message_page(system, text("system.not_linked"), 403)
