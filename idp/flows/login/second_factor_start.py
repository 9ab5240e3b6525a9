"""The start of a login's TOTP step (IDP_TOTP_REQUIRED; its page: idp.flows.login.second_factor):
after the right password, a stored flow of kind ``second_factor`` (state ``code_due``, the
account, the interaction to continue, bound to the browser, with its own CSRF token)."""
from __future__ import annotations

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from idp.accounts.models import Account
from idp.flows.login.states import State
from idp.flows.login.transitions import Attempt
from idp.flows.store import start_flow
from idp.oidc import interactions
from idp.portal import Portal

KIND = "second_factor"
PATH = "/login/totp"


async def to_second_factor(request: Request, portal: Portal, row, account: Account, attempt: Attempt) -> Response:
    """The password was right: on to the code (nothing about the session changes yet)."""
    browser, _ = interactions.browser_token(request, portal.settings)
    async with portal.sessionmaker.begin() as db:
        flow = start_flow(db, KIND, State.CODE_DUE, browser, data={
            "account_id": account.id, "interaction": row.id, "client_id": attempt.client_id,
            "source_ip": attempt.source_ip, "window": attempt.window, "device": attempt.device})
    return RedirectResponse(f"{PATH}?flow={flow.id}", status_code=303)
