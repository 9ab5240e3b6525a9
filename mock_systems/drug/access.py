"""Who may use 信息采集, decided from the database on every request (nothing cached): the
logged-in account's portal account type and enterprise (LocalAccount.portal_account_type,
enterprise_code), and for an agent the modules its legal person granted (子用户授权)."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from mock_systems.common.accounts import claim_object
from mock_systems.common.context import SystemContext
from mock_systems.common.page_guard import logged_in
from mock_systems.common.pages import message_page
from mock_systems.common.security import constant_time_equal
from mock_systems.drug.enterprise_info import enterprise_info
from mock_systems.drug.grants import has_grant
from mock_systems.drug.modules import MODULES
from shared.messages import text

LEGAL_PERSON, AGENT = "legal_person", "agent"


@dataclass(frozen=True)
class Actor:
    """The logged-in enterprise account, and the person acting (recorded on every action)."""

    account_id: int
    account_type: str  # LEGAL_PERSON or AGENT
    enterprise_code: str
    enterprise_name: str
    name: str
    csrf_token: str

    @property
    def is_legal_person(self) -> bool:
        return self.account_type == LEGAL_PERSON


async def enterprise_actor(request: Request) -> Actor | Response:
    """The logged-in legal person or agent of an enterprise, or the page to show instead."""
    system: SystemContext = request.app.state.system
    current = await logged_in(request)  # not logged in: the home page (and any access gate first)
    if isinstance(current, Response):
        return current
    session, account = current
    # Only the enterprises' portal (this context's issuer) speaks for enterprises: a session of
    # another provider (the supervision portal) never acts for one, whatever its account says.
    other_provider = session.login_method == "portal" and session.portal_issuer != system.settings.issuer
    if other_provider or account.portal_account_type not in (LEGAL_PERSON, AGENT) or not account.enterprise_code:
        return message_page(system, text("drug.collection.enterprise_only"), 403)
    claims = (session.portal_claims or {}) if session.login_method == "portal" else {}
    acting = claim_object(claims, "acting_person")
    enterprise = claim_object(claims, "enterprise")
    return Actor(account_id=account.id, account_type=account.portal_account_type,
                 enterprise_code=account.enterprise_code,
                 enterprise_name=str(enterprise.get("name") or account.organisation or ""),
                 name=str(acting.get("name") or account.display_name)[:100], csrf_token=session.csrf_secret)


ENTERPRISE_INFO = "/collection/enterprise"  # 补充企业信息


async def collection_actor(request: Request) -> Actor | Response:
    """:func:`enterprise_actor` once its enterprise has supplied its details (补充企业信息);
    before that, every page of 信息采集 sends the browser to that form."""
    actor = await enterprise_actor(request)
    if isinstance(actor, Response):
        return actor
    async with request.app.state.system.sessionmaker() as db:
        supplied = await enterprise_info(db, actor.enterprise_code)
    return actor if supplied is not None else RedirectResponse(ENTERPRISE_INFO, status_code=303)


async def may_use(db: AsyncSession, actor: Actor, module_id: str) -> bool:
    """A legal person uses every module of its enterprise; an agent only those granted."""
    return actor.is_legal_person or await has_grant(db, actor.account_id, actor.enterprise_code, module_id)


async def module_actor(request: Request, module_id: str) -> Actor | Response:
    """The actor allowed to use ``module_id``, or the refusal (checked in the database each time,
    so revoking a grant takes effect on the next request)."""
    system: SystemContext = request.app.state.system
    actor = await collection_actor(request)
    if isinstance(actor, Response):
        return actor
    async with system.sessionmaker() as db:
        allowed = await may_use(db, actor, module_id)
    if not allowed:
        return message_page(system, text("drug.module.not_granted", module=MODULES[module_id]), 403)
    return actor


async def legal_person_actor(request: Request) -> Actor | Response:
    system: SystemContext = request.app.state.system
    actor = await collection_actor(request)
    if isinstance(actor, Response) or actor.is_legal_person:
        return actor
    return message_page(system, text("drug.grants.legal_only"), 403)


def refuse_forged(request: Request, actor: Actor, form) -> Response | None:
    """The refusal of a form without this session's CSRF token, or None."""
    if not constant_time_equal(str(form.get("csrf_token", "")), actor.csrf_token):
        return message_page(request.app.state.system, text("page.expired"), 403, "CSRF token mismatch")
    return None
