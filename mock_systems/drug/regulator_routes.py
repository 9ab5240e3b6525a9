"""The regulator's pages (出口药品档案查阅): the submitted export dossiers of the enterprises in
its jurisdiction, searched by enterprise, status and date, and one dossier with its versions
and history. Read-only: there is no form here, and every write of 信息采集 refuses a
regulator (access.enterprise_actor).

Only a session logged in through the supervision portal (its issuer, providers.py) of an
account the province's administrator opened as a regulator, with the 查阅权限, gets here:
checked in the database on every request, so a withdrawn permission takes effect at once.
"""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from mock_systems.common.context import SystemContext
from mock_systems.common.page_guard import logged_in
from mock_systems.common.pages import message_page
from mock_systems.drug.dossier_fields import FIELDS
from mock_systems.drug.dossier_queries import events_of, find_version, versions_of
from mock_systems.drug.models import STATE_LABELS
from mock_systems.drug.pages import render
from mock_systems.drug.regulator_models import RegulatorAccount
from mock_systems.drug.regulator_queries import (
    STATUSES,
    Search,
    enterprise_name,
    find_in_jurisdiction,
    search_dossiers,
)
from mock_systems.drug.regulators import regulator_of
from mock_systems.drug.supervision import NAME as SUPERVISION
from shared.messages import text
from shared.path_ids import ROW_ID

router = APIRouter()
DOSSIERS = "/regulation/dossiers"


@dataclass(frozen=True)
class Reader:
    name: str
    regulator: RegulatorAccount
    jurisdiction: str


async def regulator_reader(request: Request) -> Reader | Response:
    """The regulator with the 查阅权限, or the refusal page."""
    system: SystemContext = request.app.state.system
    current = await logged_in(request)
    if isinstance(current, Response):
        return current
    session, account = current
    supervision = SystemContext.of_provider(request, SUPERVISION)
    if supervision is None or session.login_method != "portal" \
            or session.portal_issuer != supervision.settings.issuer:
        return message_page(system, text("drug.regulation.supervision_only"), 403, "not a supervision portal login")
    async with system.sessionmaker() as db:
        regulator = await regulator_of(db, account.id)
    if regulator is None:
        return message_page(system, text("drug.regulation.supervision_only"), 403, "not a regulator account")
    if regulator.dossier_jurisdiction is None:
        return message_page(system, text("drug.regulation.no_permission"), 403, "no dossier permission")
    return Reader(account.display_name, regulator, regulator.dossier_jurisdiction)


@router.get(DOSSIERS)
async def dossier_search(request: Request) -> Response:
    reader = await regulator_reader(request)
    if isinstance(reader, Response):
        return reader
    system: SystemContext = request.app.state.system
    search = Search.parse(request.query_params)
    async with system.sessionmaker() as db:
        rows = await search_dossiers(db, reader.jurisdiction, search)
    return render(system, "regulation_list.html", reader=reader, search=search, rows=rows, statuses=STATUSES)


@router.get(DOSSIERS + "/{dossier_id:" + ROW_ID + "}")
async def dossier_view(request: Request, dossier_id: int, version: int | None = None) -> Response:
    reader = await regulator_reader(request)
    if isinstance(reader, Response):
        return reader
    system: SystemContext = request.app.state.system
    async with system.sessionmaker() as db:
        dossier = await find_in_jurisdiction(db, reader.jurisdiction, dossier_id)
        shown = await find_version(db, dossier, version) if dossier is not None else None
        if dossier is None or shown is None:
            return message_page(system, text("drug.dossier.not_found"), 404)
        versions, events = await versions_of(db, dossier), await events_of(db, dossier)
        enterprise = await enterprise_name(db, dossier.enterprise_code)
    return render(system, "regulation_view.html", reader=reader, dossier=dossier, version=shown, versions=versions,
                  events=events, fields=FIELDS, states=STATE_LABELS, enterprise=enterprise)
