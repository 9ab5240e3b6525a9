"""法人登录 for an agent (经办人): after its password, which enterprise it acts for.

One enterprise: the session starts acting for it at once. Several: a stored flow (state
``choosing``, the candidates, the interaction to continue, bound to the browser and with its
own CSRF token) shows them (idp.flows.login.agent_choice), and the choice starts the session.
None: the person is told to use 个人登录 — only after the password was right, so nothing is
revealed to a guesser.
"""
from __future__ import annotations

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from idp.accounts.models import Account
from idp.agents.transitions import agencies_of_person
from idp.errors import DomainError
from idp.flows.login.states import State
from idp.flows.login.transitions import Attempt, log_in, next_url
from idp.flows.store import start_flow
from idp.oidc import interactions
from idp.portal import Portal
from idp.sessions.store import session_cookie_name, set_cookie

KIND = "agent_choice"
PATH = "/login/enterprise"


def signed_in(portal: Portal, location: str, token: str) -> Response:
    response = RedirectResponse(location, status_code=303)
    set_cookie(response, portal.settings, session_cookie_name(portal.settings), token, None)
    return response


async def continue_as_agent(request: Request, portal: Portal, row, person: Account, previous,
                            attempt: Attempt) -> Response:
    """The password was right and the person is no legal person: act for an enterprise."""
    async with portal.reader() as db:
        choices = await agencies_of_person(db, person.id)
    if not choices:
        raise DomainError("login.not_agent")
    if len(choices) == 1:
        token = await log_in(portal, person, previous, attempt, choices[0][0])
        return signed_in(portal, next_url(row), token)
    browser, _ = interactions.browser_token(request, portal.settings)
    async with portal.sessionmaker.begin() as db:
        flow = start_flow(db, KIND, State.CHOOSING, browser, data={
            "account_id": person.id, "interaction": row.id, "agencies": [agency.id for agency, _ in choices],
            "client_id": attempt.client_id, "source_ip": attempt.source_ip,
            "device": attempt.device})
    return RedirectResponse(f"{PATH}?flow={flow.id}", status_code=303)
