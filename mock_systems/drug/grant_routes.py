"""子用户授权: the legal person picks an agent in 经办人列表, ticks modules in
信息采集类事项绑定 and clicks 保存. Only a legal-person account may open it."""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from mock_systems.common.pages import message_page, refusal_page
from mock_systems.drug.access import legal_person_actor, refuse_forged
from mock_systems.drug.grants import agents_of, granted_modules, save_grants
from mock_systems.drug.modules import MODULES
from mock_systems.drug.pages import render, see_other
from shared.messages import text
from shared.refusals import Refusal

router = APIRouter()
GRANTS = "/collection/sub-users"


def _agent_id(value) -> int | None:
    return int(value) if str(value or "").isdigit() and len(str(value)) < 10 else None


@router.get(GRANTS)
async def grants_page(request: Request) -> Response:
    system = request.app.state.system
    actor = await legal_person_actor(request)
    if isinstance(actor, Response):
        return actor
    selected_id = _agent_id(request.query_params.get("agent"))
    async with system.sessionmaker() as db:
        agents = await agents_of(db, actor.enterprise_code)
        grants = {agent.id: await granted_modules(db, agent.id, actor.enterprise_code) for agent in agents}
    selected = next((agent for agent in agents if agent.id == selected_id), None)
    if selected_id is not None and selected is None:
        return message_page(system, text("drug.grants.no_such_agent"), 404)
    return render(system, "grants.html", actor=actor, agents=agents, grants=grants, selected=selected,
                  modules=MODULES, saved=request.query_params.get("saved") == "1")


@router.post(GRANTS)
async def save(request: Request) -> Response:
    """保存: the chosen agent's grants become exactly the ticked modules (none: all revoked)."""
    system = request.app.state.system
    actor = await legal_person_actor(request)
    if isinstance(actor, Response):
        return actor
    form = await request.form()
    if (refusal := refuse_forged(request, actor, form)) is not None:
        return refusal
    agent_id = _agent_id(form.get("agent_id"))
    try:
        if agent_id is None:
            raise Refusal("drug.grants.no_such_agent")
        await save_grants(system, enterprise_code=actor.enterprise_code, agent_id=agent_id,
                          modules=[str(module) for module in form.getlist("modules")], granted_by_name=actor.name)
    except Refusal as refused:
        return refusal_page(system, refused)
    return see_other(f"{GRANTS}?agent={agent_id}&saved=1")
