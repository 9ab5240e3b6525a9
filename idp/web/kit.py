"""What every signed-in page of the spaces needs (个人空间 / 法人空间, 账号设置, 我的绑定,
经办人授权, 我的消息, 登录设备, 实名升级), as typed FastAPI dependencies:

- ``SignedIn``: the login session; without one the browser goes to login (:class:`NotSignedIn`,
  turned into the redirect by the app's handler :func:`login_redirect`);
- ``CsrfForm``: the submitted form, read once, after its CSRF token matched the session's
  (OWASP ASVS 4.0 V4.2.2);
- ``LegalPerson``: the session of a legal person acting for itself (经办人授权);
- :func:`render_page`: the page frame with the account's profile, menu and CSRF secret.

A handler is then a short list of steps: its dependencies run in the order of its parameters.

Layer: web. Pages import these; nothing below the web layer does.
"""
# No ``from __future__ import annotations``: FastAPI reads the dependencies of the closures
# below from their annotations, which must be objects, not names of a closure's variables.
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from idp.agents.transitions import require_legal_person
from idp.errors import DomainError, PageError
from idp.inbox.store import unread_count
from idp.oidc import interactions
from idp.oidc.client_address import client_ip as client_ip  # the pages' helper, from below
from idp.oidc.models import Interaction
from idp.portal import Portal
from idp.security.tokens import constant_time_equal
from idp.sessions.store import ActiveSession, load_session
from idp.space.profile import profile_of
from idp.web.pages import render
from idp.web.space import MENU

LOGIN = "/login"


def portal_of(request: Request) -> Portal:
    return request.app.state.portal


@dataclass(frozen=True)
class PageSession(ActiveSession):
    """The login session as a signed-in page sees it: with the count of unread notes in 我的消息
    that the header of every such page shows, read in the same transaction as the session."""

    unread_messages: int = 0


async def signed_in(request: Request) -> PageSession | None:
    """The login session of this browser, or None."""
    portal = portal_of(request)
    async with portal.sessionmaker.begin() as db:  # load_session may touch last_seen_at
        session = await load_session(db, portal.settings, request)
        if session is None:
            return None
        return PageSession(**vars(session), unread_messages=await unread_count(db, session.account.id))


class NotSignedIn(Exception):
    """A signed-in page was asked for without a login session; the app answers :func:`to_login`."""

    def __init__(self, login_url: str = LOGIN):
        super().__init__(login_url)
        self.login_url = login_url


def to_login(login_url: str = LOGIN) -> Response:
    return RedirectResponse(login_url, status_code=303)


async def login_redirect(_request: Request, exc: NotSignedIn) -> Response:
    """The app's handler of :class:`NotSignedIn`."""
    return to_login(exc.login_url)


SessionDependency = Callable[[Request], Awaitable[ActiveSession]]


def signed_in_for(login_url: str) -> SessionDependency:
    """A dependency giving the login session, or sending the browser to ``login_url`` (a page
    may name where login returns to, as /upgrade does)."""
    async def require_signed_in(request: Request) -> ActiveSession:
        session = await signed_in(request)
        if session is None:
            raise NotSignedIn(login_url)
        return session
    return require_signed_in


def check_csrf(session: ActiveSession, form: FormData) -> None:
    """Every form of a signed-in page carries the session's CSRF secret (OWASP ASVS 4.0 V4.2.2)."""
    submitted = form.get("csrf_token")
    if not isinstance(submitted, str) or not constant_time_equal(submitted, session.csrf_secret):
        raise PageError("page.expired", status_code=403, detail="CSRF token mismatch")


def csrf_form_for(require_session: SessionDependency) -> Callable[..., Awaitable[FormData]]:
    """A dependency giving the form of a signed-in page once its CSRF token is checked; the
    session comes from ``require_session`` (FastAPI resolves it once per request)."""
    async def checked_form(request: Request,
                           session: Annotated[ActiveSession, Depends(require_session)]) -> FormData:
        form = await request.form()
        check_csrf(session, form)
        return form
    return checked_form


require_signed_in = signed_in_for(LOGIN)
SignedIn = Annotated[ActiveSession, Depends(require_signed_in)]
CsrfForm = Annotated[FormData, Depends(csrf_form_for(require_signed_in))]


async def require_legal_person_session(session: SignedIn) -> ActiveSession:
    """经办人授权 is the legal person's own: an agent acting for it, or a personal account, is refused."""
    if session.agency is not None:
        raise PageError("agents.legal_only", status_code=403)
    try:
        require_legal_person(session.account)
    except DomainError as exc:
        raise PageError(exc.message_id, status_code=403, **exc.values) from None
    return session


LegalPerson = Annotated[ActiveSession, Depends(require_legal_person_session)]


def render_page(template: str, session: ActiveSession, *, status_code: int = 200, **context) -> Response:
    """A space page: the account's profile (the enterprise's frame for an agent), menu, CSRF secret
    and the header's unread count (a page that just changed it passes ``unread_messages``)."""
    if isinstance(session, PageSession):
        context.setdefault("unread_messages", session.unread_messages)
    return render(template, status_code=status_code, profile=profile_of(session.account, session.enterprise),
                  csrf_token=session.csrf_secret, menu=MENU, **context)


async def interaction_page(request: Request, interaction_id: str) -> tuple[Interaction, ActiveSession | None]:
    """A page of the login interaction (consent, account choice): this browser's unfinished
    interaction and the login session, if any (the caller sends a browser without one to log in)."""
    portal = portal_of(request)
    async with portal.sessionmaker() as db:
        row = await interactions.load_interaction(db, portal.settings, request, interaction_id)
        session = await load_session(db, portal.settings, request)
    return row, session


async def posted_interaction(db: AsyncSession, request: Request,
                             form: FormData) -> tuple[Interaction, ActiveSession | None]:
    """The interaction a form of such a page was posted for (this browser's, with its CSRF token)
    and the login session, read in the caller's transaction."""
    portal = portal_of(request)
    row = await interactions.load_interaction(db, portal.settings, request, str(form.get("interaction") or ""))
    interactions.check_csrf(row, form.get("csrf_token"))
    return row, await load_session(db, portal.settings, request)


def to_interaction_login(row: Interaction) -> Response:
    """On to the login page of this interaction (no login session, or another account wanted)."""
    return RedirectResponse(f"/login?interaction={row.id}", status_code=303)
