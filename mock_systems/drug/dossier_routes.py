"""出口药品档案信息: 填报, 修改, 删除 (drafts only), 提交, 查看 and 变更.

Every page and action first asks access.module_actor (an agent needs the grant, read from the
database on each request); forms carry the session's CSRF token and the dossier's revision, so
an action on a page drawn before someone else's change is refused (dossier_transitions).
"""
from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request
from starlette.responses import Response

from mock_systems.common.pages import message_page, refusal_page
from mock_systems.drug.access import Actor, module_actor, refuse_forged
from mock_systems.drug.dossier_fields import CHANGE_REASON, FIELDS, content_of, read_values, validate
from mock_systems.drug.dossier_queries import events_of, find_dossier, find_version, list_dossiers, versions_of
from mock_systems.drug.dossier_transitions import (
    DossierRefused,
    change_dossier,
    create_draft,
    delete_draft,
    edit_draft,
    submit_dossier,
)
from mock_systems.drug.models import DRAFT, STATE_LABELS, SUBMITTED
from mock_systems.drug.modules import EXPORT_DOSSIER
from mock_systems.drug.pages import render, see_other
from shared.messages import text
from shared.path_ids import ROW_ID, parse_id

router = APIRouter()
DOSSIERS = "/collection/export-dossiers"
# ?done= on the page after an action: only these, never text from the query.
DONE = {"created": "drug.dossier.created", "edited": "drug.dossier.edited", "submitted": "drug.dossier.submitted",
        "deleted": "drug.dossier.deleted", "changed": "drug.dossier.changed"}


def _notice(request: Request) -> str | None:
    done = DONE.get(request.query_params.get("done", ""))
    return text(done) if done else None


async def _actor(request: Request) -> Actor | Response:
    return await module_actor(request, EXPORT_DOSSIER)


def _refusal(request: Request, refused: DossierRefused) -> Response:
    return refusal_page(request.app.state.system, refused)


@router.get(DOSSIERS)
async def dossier_list(request: Request) -> Response:
    system = request.app.state.system
    if isinstance(actor := await _actor(request), Response):
        return actor
    async with system.sessionmaker() as db:
        rows = await list_dossiers(db, actor.enterprise_code)
    return render(system, "dossier_list.html", actor=actor, rows=rows, states=STATE_LABELS, notice=_notice(request))


def _form(request: Request, actor: Actor, *, mode: str, values: dict, errors: Sequence[str] = (), dossier=None,
          status_code: int = 200) -> Response:
    fields = FIELDS + (CHANGE_REASON,) if mode == "change" else FIELDS
    return render(request.app.state.system, "dossier_form.html", status_code, actor=actor, mode=mode, fields=fields,
                  values=values, errors=list(errors), dossier=dossier)


@router.get(DOSSIERS + "/new")
async def new_page(request: Request) -> Response:
    if isinstance(actor := await _actor(request), Response):
        return actor
    return _form(request, actor, mode="create", values={})


@router.post(DOSSIERS + "/new")
async def create(request: Request) -> Response:
    """填报 → 保存草稿."""
    system = request.app.state.system
    if isinstance(actor := await _actor(request), Response):
        return actor
    form = await request.form()
    if (refusal := refuse_forged(request, actor, form)) is not None:
        return refusal
    values = read_values(form)
    if errors := validate(values):
        return _form(request, actor, mode="create", values=values, errors=errors, status_code=400)
    async with system.sessionmaker.begin() as db:
        dossier = await create_draft(db, actor, values)
    return see_other(f"{DOSSIERS}/{dossier.id}?done=created")


async def _load(request: Request, actor: Actor, dossier_id: int):
    """The enterprise's dossier and its (current or ?version=) version, or the refusal page."""
    system = request.app.state.system
    wanted = request.query_params.get("version")
    async with system.sessionmaker() as db:
        dossier = await find_dossier(db, actor.enterprise_code, dossier_id)
        version = await find_version(db, dossier, parse_id(wanted)) if dossier else None
        if dossier is None or version is None or (wanted is not None and parse_id(wanted) is None):
            return message_page(system, text("drug.dossier.not_found"), 404)
        return dossier, version, await versions_of(db, dossier), await events_of(db, dossier)


@router.get(DOSSIERS + "/{dossier_id:" + ROW_ID + "}")
async def view(request: Request, dossier_id: int) -> Response:
    """查看: a version (the current one by default), the list of versions and who did what."""
    if isinstance(actor := await _actor(request), Response):
        return actor
    if isinstance(loaded := await _load(request, actor, dossier_id), Response):
        return loaded
    dossier, version, versions, events = loaded
    return render(request.app.state.system, "dossier_view.html", actor=actor, dossier=dossier, version=version,
                  versions=versions, events=events, fields=FIELDS, states=STATE_LABELS, draft=DRAFT,
                  submitted=SUBMITTED, notice=_notice(request))


async def _form_page(request: Request, dossier_id: int, mode: str) -> Response:
    if isinstance(actor := await _actor(request), Response):
        return actor
    if isinstance(loaded := await _load(request, actor, dossier_id), Response):
        return loaded
    dossier, version = loaded[:2]
    wanted = DRAFT if mode == "edit" else SUBMITTED
    if dossier.state != wanted:
        return _refusal(request, DossierRefused("drug.dossier.edit_not_draft" if mode == "edit"
                                                else "drug.dossier.change_not_submitted"))
    return _form(request, actor, mode=mode, values=content_of(version), dossier=dossier)


@router.get(DOSSIERS + "/{dossier_id:" + ROW_ID + "}/edit")
async def edit_page(request: Request, dossier_id: int) -> Response:
    return await _form_page(request, dossier_id, "edit")


@router.get(DOSSIERS + "/{dossier_id:" + ROW_ID + "}/change")
async def change_page(request: Request, dossier_id: int) -> Response:
    return await _form_page(request, dossier_id, "change")


async def _act(request: Request, dossier_id: int, mode: str) -> Response:
    """The POST of 修改, 变更, 提交 or 删除: CSRF, the revision the page showed, the transition."""
    system = request.app.state.system
    if isinstance(actor := await _actor(request), Response):
        return actor
    form = await request.form()
    if (refusal := refuse_forged(request, actor, form)) is not None:
        return refusal
    revision = parse_id(form.get("revision"))
    if revision is None:
        return _refusal(request, DossierRefused("drug.dossier.stale"))
    fields = FIELDS + (CHANGE_REASON,) if mode == "change" else FIELDS
    values = read_values(form, fields) if mode in ("edit", "change") else {}
    if values and (errors := validate(values, fields)):
        return _form(request, actor, mode=mode, values=values, errors=errors, status_code=400,
                     dossier={"id": dossier_id, "revision": revision})
    try:
        async with system.sessionmaker.begin() as db:
            if mode == "edit":
                await edit_draft(db, actor, dossier_id, revision, values)
            elif mode == "change":
                reason = values.pop(CHANGE_REASON.name)
                await change_dossier(db, actor, dossier_id, revision, values, reason)
            elif mode == "submit":
                await submit_dossier(db, actor, dossier_id, revision)
            else:
                await delete_draft(db, actor, dossier_id, revision)
    except DossierRefused as refused:
        if refused.message_id == "drug.dossier.change_unchanged":
            return _form(request, actor, mode=mode, values={**values, CHANGE_REASON.name: reason},
                         errors=[refused.text()], dossier={"id": dossier_id, "revision": revision},
                         status_code=400)
        return _refusal(request, refused)
    if mode == "delete":
        return see_other(f"{DOSSIERS}?done=deleted")
    return see_other(f"{DOSSIERS}/{dossier_id}?done=" + {"edit": "edited", "change": "changed",
                                                         "submit": "submitted"}[mode])


@router.post(DOSSIERS + "/{dossier_id:" + ROW_ID + "}/edit")
async def edit(request: Request, dossier_id: int) -> Response:
    return await _act(request, dossier_id, "edit")


@router.post(DOSSIERS + "/{dossier_id:" + ROW_ID + "}/change")
async def change(request: Request, dossier_id: int) -> Response:
    return await _act(request, dossier_id, "change")


@router.post(DOSSIERS + "/{dossier_id:" + ROW_ID + "}/submit")
async def submit(request: Request, dossier_id: int) -> Response:
    return await _act(request, dossier_id, "submit")


@router.post(DOSSIERS + "/{dossier_id:" + ROW_ID + "}/delete")
async def delete(request: Request, dossier_id: int) -> Response:
    return await _act(request, dossier_id, "delete")
