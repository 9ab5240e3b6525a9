"""Signing in to the staff console: /staff/login (username, password, captcha), then
/staff/login/totp (the authenticator's code, or enrolment: the QR code and the secret, counted
only after one valid code), and /staff/logout. The steps are idp.staff.signin's."""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from idp.audit.log import record
from idp.captcha.store import issue_captcha
from idp.errors import DomainError, PageError
from idp.limits.rates import hit_now
from idp.oidc.client_address import client_ip
from idp.portal import Portal
from idp.security.tokens import constant_time_equal
from idp.staff import signin, totp
from idp.staff.sessions import ACTIVE, FACTOR, LOGIN, LoadedSession, end_staff_session, open_session
from idp.web.kit import portal_of
from idp.web.pages import render, with_retry_after
from idp.web.staff import STAFF, STAFF_LOGIN, STAFF_LOGIN_CODE, STAFF_LOGOUT
from idp.web.staff.kit import (
    StaffSignedIn,
    check_staff_csrf,
    clear_staff_cookie,
    set_staff_cookie,
    staff_session_of,
)
from idp.web.staff.qr import qr_data_uri

router = APIRouter()


def to(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


async def login_form(portal: Portal, session: LoadedSession, *, username: str = "", error: str | None = None,
                     status_code: int = 200) -> Response:
    async with portal.sessionmaker.begin() as db:
        captcha_id = await issue_captcha(portal, db)
    return render("staff/login.html", status_code=status_code, csrf_token=session.csrf_secret, username=username,
                  captcha_id=captcha_id, error=error)


@router.get(STAFF_LOGIN)
async def login_page(request: Request) -> Response:
    portal = portal_of(request)
    session = await staff_session_of(request)
    if session is not None and session.stage == ACTIVE:
        return to(STAFF)
    if session is not None and session.stage == LOGIN:
        return await login_form(portal, session)
    async with portal.sessionmaker.begin() as db:
        token, session = await open_session(db, portal.settings, client_ip(request))
    response = await login_form(portal, session)
    set_staff_cookie(response, portal.settings, token)
    return response


async def posted_in(request: Request, stage: str) -> tuple[LoadedSession, FormData]:
    """The form of a sign-in step, posted in this browser's session at ``stage`` with its CSRF token."""
    form = await request.form()
    session = await staff_session_of(request)
    submitted = form.get("csrf_token")
    if (session is None or session.stage != stage or not isinstance(submitted, str)
            or not constant_time_equal(submitted, session.csrf_secret)):
        raise PageError("page.expired", status_code=403, detail="no staff sign-in in progress for this form")
    return session, form


def field(form: FormData, name: str, limit: int = 128) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


@router.post(STAFF_LOGIN)
async def login_submit(request: Request) -> Response:
    portal = portal_of(request)
    session, form = await posted_in(request, LOGIN)
    username = field(form, "username", 64).strip()
    source_ip = client_ip(request)
    try:
        await hit_now(portal, ("staff_login_per_address", source_ip), ("staff_login_per_account", username))
        await signin.pass_captcha(portal, field(form, "captcha_id"), field(form, "captcha", 16))
        account = await signin.check_staff_password(portal, username, field(form, "password"), source_ip)
        token = await signin.to_second_factor(portal, session, account)
    except DomainError as exc:
        return with_retry_after(
            await login_form(portal, session, username=username, error=exc.text(), status_code=400), exc)
    response = to(STAFF_LOGIN_CODE)
    set_staff_cookie(response, portal.settings, token)
    return response


async def code_page(portal: Portal, session: LoadedSession, *, error: str | None = None,
                    status_code: int = 200) -> Response:
    """The code form; for a member without an enrolled authenticator, the enrolment first."""
    assert session.account is not None
    secret = await signin.enrolment_secret(portal, session.account.id)
    enrolment = None
    if secret is not None:
        uri = totp.provisioning_uri(secret, session.account.username)
        enrolment = {"secret": secret, "qr": qr_data_uri(uri), "issuer": totp.ISSUER_NAME}
    return render("staff/totp.html", status_code=status_code, csrf_token=session.csrf_secret,
                  member_name=session.account.name, username=session.account.username, enrolment=enrolment,
                  error=error)


@router.get(STAFF_LOGIN_CODE)
async def code_form(request: Request) -> Response:
    session = await staff_session_of(request)
    if session is None or session.stage != FACTOR:
        return to(STAFF if session is not None and session.stage == ACTIVE else STAFF_LOGIN)
    return await code_page(portal_of(request), session)


@router.post(STAFF_LOGIN_CODE)
async def code_submit(request: Request) -> Response:
    portal = portal_of(request)
    session, form = await posted_in(request, FACTOR)
    try:
        await hit_now(portal, ("staff_login_per_address", client_ip(request)))
        token = await signin.check_code(portal, session, field(form, "code", 16), client_ip(request))
    except DomainError as exc:
        return with_retry_after(await code_page(portal, session, error=exc.text(), status_code=400), exc)
    response = to(STAFF)
    set_staff_cookie(response, portal.settings, token)
    return response


@router.post(STAFF_LOGOUT)
async def logout(request: Request, member: StaffSignedIn) -> Response:
    portal = portal_of(request)
    check_staff_csrf(member, await request.form())
    async with portal.sessionmaker.begin() as db:
        if await end_staff_session(db, member.session_digest):
            record(db, "staff.logout", actor=member.actor, source_ip=client_ip(request))
    response = to(STAFF_LOGIN)
    clear_staff_cookie(response, portal.settings)
    return response
