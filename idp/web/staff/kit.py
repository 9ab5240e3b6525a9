"""What every page of the staff console needs, as typed FastAPI dependencies (no router here):

- ``staff_with(role)``: the signed-in :class:`StaffMember` holding ``role`` — without a console
  session the browser goes to /staff/login, without the role the answer is the 403 page
  (:class:`MissingRole`, rendered by the app's handler :func:`missing_role_page`);
- ``staff_form_with(role)``: the same member and the posted form, once its CSRF token matched
  the session's;
- :func:`render_staff_page`: the console's frame (``staff/layout.html``) with the menu entries of
  the member's roles only.

Each dependency carries the role it requires as ``staff_role``, so a test can find every route
of the console and the role it needs (tests/test_staff_roles.py).

Layer: web.
"""
# No ``from __future__ import annotations``: FastAPI reads the dependencies of the closures
# below from their annotations, which must be objects.
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, NamedTuple

from fastapi import Depends, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from idp.errors import PageError
from idp.security.tokens import constant_time_equal
from idp.settings import Settings
from idp.staff.roles import ADMIN, AUDITOR, BINDINGS, HELPDESK, OPERATOR, ROLE_NAMES
from idp.staff.sessions import ACTIVE, LoadedSession, load_staff_session
from idp.web.kit import NotSignedIn, portal_of
from idp.web.pages import render
from idp.web.staff import AUDIT, BINDING_REQUESTS, CONSULTATIONS, OPERATIONS, STAFF, STAFF_ADMIN, STAFF_LOGIN
from shared.messages import text

STAFF_COOKIE = "staff_session"


@dataclass(frozen=True)
class StaffMember:
    """The signed-in staff member a console page acts for."""

    id: int
    username: str
    name: str
    roles: frozenset[str]
    csrf_token: str = field(default="", repr=False)  # the session's: every form of the console carries it
    session_digest: str = field(default="", repr=False)

    @property
    def actor(self) -> str:
        """The audit log's actor for what this member does."""
        return f"staff:{self.username}"


class MenuEntry(NamedTuple):
    role: str
    label: str
    path: str


MENU = (MenuEntry(HELPDESK, ROLE_NAMES[HELPDESK], CONSULTATIONS),
        MenuEntry(BINDINGS, ROLE_NAMES[BINDINGS], BINDING_REQUESTS),
        MenuEntry(AUDITOR, ROLE_NAMES[AUDITOR], AUDIT),
        MenuEntry(ADMIN, ROLE_NAMES[ADMIN], STAFF_ADMIN),
        MenuEntry(OPERATOR, ROLE_NAMES[OPERATOR], OPERATIONS))


class MissingRole(Exception):
    """A console page was asked for by a member without its role: the app answers 403."""

    def __init__(self, member: StaffMember, role: str):
        super().__init__(role)
        self.member = member
        self.role = role


def staff_cookie_name(settings: Settings) -> str:
    """Path /staff, no __Host- (which requires path /); after the deployment's IDP_COOKIE_PREFIX."""
    return settings.cookie_prefix + STAFF_COOKIE


def set_staff_cookie(response: Response, settings: Settings, token: str) -> None:
    """The console's own cookie: only ever sent to /staff, never cross-site, a browser session's."""
    response.set_cookie(staff_cookie_name(settings), token, path=STAFF, httponly=True, samesite="strict",
                        secure=settings.issuer_is_https)


def clear_staff_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(staff_cookie_name(settings), path=STAFF, httponly=True, samesite="strict",
                           secure=settings.issuer_is_https)


async def staff_session_of(request: Request) -> LoadedSession | None:
    """This browser's live console session at any stage, or None."""
    portal = portal_of(request)
    async with portal.sessionmaker.begin() as db:  # loading may touch last_seen_at
        return await load_staff_session(db, portal.settings, request.cookies.get(staff_cookie_name(portal.settings)))


async def current_staff(request: Request) -> StaffMember:
    """The signed-in member, or the browser goes to the console's sign-in."""
    session = await staff_session_of(request)
    if session is None or session.stage != ACTIVE or session.account is None:
        raise NotSignedIn(STAFF_LOGIN)
    account = session.account
    return StaffMember(account.id, account.username, account.name, session.roles, session.csrf_secret,
                       session.id_digest)


StaffDependency = Callable[[Request], Awaitable[StaffMember]]


def staff_with(role: str | None) -> StaffDependency:
    """A dependency giving the signed-in member holding ``role`` (None: any member)."""
    async def require_staff(request: Request) -> StaffMember:
        member = await current_staff(request)
        if role is not None and role not in member.roles:
            raise MissingRole(member, role)
        return member
    require_staff.staff_role = role  # type: ignore[attr-defined]
    return require_staff


def check_staff_csrf(member: StaffMember, form: FormData) -> None:
    submitted = form.get("csrf_token")
    if not isinstance(submitted, str) or not constant_time_equal(submitted, member.csrf_token):
        raise PageError("page.expired", status_code=403, detail="CSRF token mismatch")


def staff_form_with(role: str | None) -> Callable[..., Awaitable[tuple[StaffMember, FormData]]]:
    """A dependency giving (member, form) for a POST of the console: the role first (403 without
    it), then the form's CSRF token."""
    require = staff_with(role)

    async def checked_form(request: Request,
                           member: Annotated[StaffMember, Depends(require)]) -> tuple[StaffMember, FormData]:
        form = await request.form()
        check_staff_csrf(member, form)
        return member, form
    checked_form.staff_role = role  # type: ignore[attr-defined]
    return checked_form


StaffSignedIn = Annotated[StaffMember, Depends(staff_with(None))]


def render_staff_page(request: Request, template: str, member: StaffMember, *, status_code: int = 200,
                      **context) -> Response:
    """A console page in ``staff/layout.html``: the member, the menu of its roles, the CSRF token."""
    menu = [entry for entry in MENU if entry.role in member.roles]
    return render(template, status_code=status_code, member=member, menu=menu, csrf_token=member.csrf_token,
                  current_path=request.url.path, role_names=ROLE_NAMES, **context)


async def missing_role_page(request: Request, exc: MissingRole) -> Response:
    """The app's handler of :class:`MissingRole`: 403, in the console's frame."""
    return render_staff_page(request, "staff/forbidden.html", exc.member, status_code=403,
                             message=text("staff.missing_role", role=ROLE_NAMES.get(exc.role, exc.role)))
