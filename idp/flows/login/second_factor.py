"""The page of the TOTP step of a login, where the deployment requires it (IDP_TOTP_REQUIRED; the
supervision portal): after the right password, a stored flow (kind ``second_factor``, bound to
the browser, with its own CSRF token) asks for a code; at the first login it first shows the
enrolment QR code and secret (idp.accounts.totp). Only a passing code starts the session.

A wrong or replayed code counts a failure toward the lockout like a wrong password, and the
failure count is cleared only once the code passed. Every outcome is in the audit log.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from idp import clock
from idp.accounts import totp as account_totp
from idp.accounts.lockout import record_failure
from idp.accounts.models import Account
from idp.audit.log import record
from idp.errors import DomainError, PageError
from idp.flows.login.agent_login import signed_in
from idp.flows.login.second_factor_start import KIND, PATH
from idp.flows.login.states import State
from idp.flows.login.transitions import Attempt, accept_in, locked_refusal, log_in, next_url, refuse_if_locked
from idp.flows.store import EXPIRED, advance, load_flow
from idp.flows.web import posted_flow, run_step
from idp.oidc import interactions
from idp.portal import Portal
from idp.sessions.store import load_session
from idp.web.pages import render
from idp.web.staff.qr import qr_data_uri

router = APIRouter()


def attempt_of(flow) -> Attempt:
    data = flow.data
    return Attempt(data.get("client_id"), data.get("source_ip"), data.get("window", ""), data.get("device"))


async def code_page(portal: Portal, flow, account: Account, error: str | None = None, status_code: int = 200):
    async with portal.sessionmaker.begin() as db:
        enrolment = await account_totp.enrolment(db, portal.settings, account.id, account.username)
    return render("login_totp.html", status_code=status_code, flow=flow.id, csrf_token=flow.csrf_token,
                  account=account, error=error,
                  enrolment={"secret": enrolment.secret, "qr": qr_data_uri(enrolment.uri),
                             "issuer": account_totp.issuer_name(portal.settings)} if enrolment else None)


async def flow_account(portal: Portal, flow) -> Account:
    async with portal.reader() as db:
        account = await db.get(Account, flow.data["account_id"])
    if account is None or account.disabled_at is not None:
        raise PageError(EXPIRED, status_code=409, detail="account gone since the password step")
    return account


@router.get(PATH)
async def show_code(request: Request, flow: str = "") -> Response:
    portal: Portal = request.app.state.portal
    async with portal.reader() as db:
        row = await load_flow(db, portal.settings, request, flow, KIND)
    return await code_page(portal, row, await flow_account(portal, row))


async def refuse_code(portal: Portal, account: Account, attempt: Attempt, reason: str) -> None:
    """A wrong or replayed code: one failure toward the lockout (which may lock), recorded."""
    async with portal.sessionmaker.begin() as db:
        failure = await record_failure(db, portal.settings, account.id)
        record(db, "login.failed", outcome="failure", actor=account.subject, client_id=attempt.client_id,
               source_ip=attempt.source_ip, reason=reason, window=attempt.window, subject=account.subject)
        if failure.locked_now and failure.locked_until is not None:
            record(db, "account.locked", actor=account.subject, source_ip=attempt.source_ip,
                   failures=failure.failures, locked_until=failure.locked_until.isoformat(),
                   client_id=attempt.client_id, subject=account.subject)
    if failure.locked_until is not None:
        raise locked_refusal(failure.locked_until)
    raise DomainError("login.totp_wrong" if reason == "wrong_code" else "login.totp_replayed")


@router.post(PATH)
async def submit_code(request: Request) -> Response:
    portal: Portal = request.app.state.portal

    async def step(posted, flow) -> Response:
        account = await flow_account(portal, flow)
        attempt = attempt_of(flow)
        await refuse_if_locked(portal, account, attempt)
        async with portal.sessionmaker.begin() as db:
            outcome, enrolled = await account_totp.check_code(db, portal.settings, account.id,
                                                              str(posted.get("code") or ""), clock.now())
            if outcome == "passed":
                await advance(db, flow, expected=State.CODE_DUE, to=State.CODE_PASSED, finish=True)
                await accept_in(db, account, None)  # the count cleared, unless a lock came in meanwhile
                if enrolled:
                    record(db, "account.totp_enrolled", actor=account.subject, source_ip=attempt.source_ip,
                           subject=account.subject)
        if outcome != "passed":
            await refuse_code(portal, account, attempt, "wrong_code" if outcome == "wrong" else "replayed_code")
        async with portal.sessionmaker() as db:
            interaction = await interactions.load_interaction(db, portal.settings, request, flow.data["interaction"])
            previous = await load_session(db, portal.settings, request)
        token = await log_in(portal, account, previous, attempt, second_factor=True)
        return signed_in(portal, next_url(interaction), token)

    async def refused(posted, flow, refusal: DomainError) -> Response:
        return await code_page(portal, flow, await flow_account(portal, flow), refusal.text(), 400)

    return await run_step(request, load=posted_flow(request, portal, KIND, State.CODE_DUE), step=step,
                          refused=refused)
