"""补充企业信息 (/collection/enterprise): the form an enterprise fills on its first entry to
信息采集 (its legal person or an agent, whoever comes first); afterwards 信息采集 opens."""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from mock_systems.drug.access import ENTERPRISE_INFO, enterprise_actor, refuse_forged
from mock_systems.drug.enterprise_info import FIELDS, checked_fields, enterprise_info, supplement_enterprise_info
from mock_systems.drug.pages import render, see_other
from shared.refusals import Refusal

router = APIRouter()
COLLECTION = "/collection"


@router.get(ENTERPRISE_INFO)
async def enterprise_form(request: Request) -> Response:
    system = request.app.state.system
    actor = await enterprise_actor(request)
    if isinstance(actor, Response):
        return actor
    async with system.sessionmaker() as db:
        if await enterprise_info(db, actor.enterprise_code) is not None:
            return see_other(COLLECTION)
    return render(system, "enterprise_info.html", actor=actor, fields=FIELDS, values={}, error=None)


@router.post(ENTERPRISE_INFO)
async def supplement(request: Request) -> Response:
    system = request.app.state.system
    actor = await enterprise_actor(request)
    if isinstance(actor, Response):
        return actor
    form = await request.form()
    if (refusal := refuse_forged(request, actor, form)) is not None:
        return refusal
    try:
        values = checked_fields(form)
    except Refusal as exc:  # the form again, with what was typed and the reason
        typed = {name: str(form.get(name) or "")[:limit] for name, _, limit in FIELDS}
        return render(system, "enterprise_info.html", exc.status_code, actor=actor, fields=FIELDS, values=typed,
                      error=exc.text())
    first = await supplement_enterprise_info(system, enterprise_code=actor.enterprise_code,
                                             enterprise_name=actor.enterprise_name, filled_by_name=actor.name,
                                             values=values)
    return see_other(COLLECTION + ("?supplied=1" if first else "?supplied=0"))
