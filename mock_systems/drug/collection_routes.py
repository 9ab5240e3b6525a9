"""信息采集: the 采集内容 list (出口药品档案信息), and 子用户授权 for the legal person."""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from mock_systems.drug.access import collection_actor, may_use
from mock_systems.drug.modules import EXPORT_DOSSIER
from mock_systems.drug.pages import render
from shared.messages import text

router = APIRouter()
COLLECTION = "/collection"


@router.get(COLLECTION)
async def collection_home(request: Request) -> Response:
    system = request.app.state.system
    actor = await collection_actor(request)
    if isinstance(actor, Response):
        return actor
    async with system.sessionmaker() as db:
        export_allowed = await may_use(db, actor, EXPORT_DOSSIER)
    supplied = {"1": "drug.enterprise.supplied", "0": "drug.enterprise.already_supplied"}.get(
        request.query_params.get("supplied", ""))
    return render(system, "collection.html", actor=actor, export_allowed=export_allowed,
                  supplied=text(supplied) if supplied else None)
