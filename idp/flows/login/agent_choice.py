"""法人登录 for an agent (经办人) with several enterprises: the page of the choice
(idp.flows.login.agent_login starts it), and the choice starts the session."""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from idp.accounts.models import Account
from idp.agents.transitions import agencies_of_person
from idp.errors import PageError
from idp.flows.login.agent_login import KIND, PATH, signed_in
from idp.flows.login.states import State
from idp.flows.login.transitions import Attempt, log_in, next_url
from idp.flows.store import EXPIRED, advance, load_flow
from idp.flows.web import posted_flow
from idp.oidc import interactions
from idp.portal import Portal
from idp.sessions.store import load_session
from idp.web.pages import render

router = APIRouter()
async def _candidates(portal: Portal, flow) -> list:
    """The flow's enterprises that are still live (one may have removed the agent meanwhile)."""
    async with portal.reader() as db:
        live = await agencies_of_person(db, flow.data["account_id"])
    return [(agency, enterprise) for agency, enterprise in live if agency.id in flow.data["agencies"]]


@router.get(PATH)
async def choose_page(request: Request, flow: str = "") -> Response:
    portal: Portal = request.app.state.portal
    async with portal.reader() as db:
        row = await load_flow(db, portal.settings, request, flow, KIND)
    return render("login_enterprise.html", flow=row.id, csrf_token=row.csrf_token,
                  choices=await _candidates(portal, row))


@router.post(PATH)
async def choose(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    form = await request.form()
    flow = await posted_flow(request, portal, KIND)(form)
    async with portal.sessionmaker() as db:
        interaction = await interactions.load_interaction(db, portal.settings, request, flow.data["interaction"])
        previous = await load_session(db, portal.settings, request)
        person = await db.get(Account, flow.data["account_id"])
    chosen = next((agency for agency, _ in await _candidates(portal, flow)
                   if str(agency.id) == str(form.get("agency", ""))), None)
    if chosen is None or person is None or person.disabled_at is not None:
        raise PageError(EXPIRED, status_code=409, detail="not one of the flow's live agencies")
    async with portal.sessionmaker.begin() as db:
        await advance(db, flow, expected=State.CHOOSING, to=State.CHOSEN, finish=True, agency=chosen.id)
    attempt = Attempt(flow.data.get("client_id"), flow.data.get("source_ip"), "legal", flow.data.get("device"))
    token = await log_in(portal, person, previous, attempt, chosen)
    return signed_in(portal, next_url(interaction), token)
