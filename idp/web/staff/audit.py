"""审计: the audit log for auditors, read-only: a search, its pages (下一页 by keyset token), and
its export as CSV or NDJSON, streamed. Each export is itself recorded (``audit.export``).

Times are typed and shown in Beijing time. Staff without the 审计 role get 403 on every route here.
"""
from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response, StreamingResponse

from idp import clock
from idp.audit.export import FORMATS, export_chunks
from idp.audit.filters import TEXT_FIELDS, AuditFilters, parse_filters
from idp.audit.log import record
from idp.audit.models import AuditEvent
from idp.audit.search import every_event, search_page
from idp.errors import DomainError, PageError
from idp.staff.roles import AUDITOR
from idp.web.kit import client_ip, portal_of
from idp.web.staff import AUDIT
from idp.web.staff.kit import StaffMember, render_staff_page, staff_with

router = APIRouter()
Auditor = Annotated[StaffMember, Depends(staff_with(AUDITOR))]
FIELDS = ("since", "until", *TEXT_FIELDS)
EXPORT = AUDIT + "/export/{format_name}"


def _typed(request: Request) -> dict[str, str]:
    """The search as typed, bounded (a filter longer than its column is refused by parse_filters)."""
    return {name: request.query_params.get(name, "")[:200] for name in FIELDS}


def _row(row: AuditEvent) -> dict:
    return {"id": row.id, "at": clock.beijing_seconds_text(row.at), "event": row.event, "outcome": row.outcome,
            "actor": row.actor or "", "subject": row.subject or "", "client_id": row.client_id or "",
            "source_ip": row.source_ip or "", "details": json.dumps(row.details, ensure_ascii=False, sort_keys=True)}


@router.get(AUDIT)
async def audit_page(request: Request, member: Auditor) -> Response:
    typed = _typed(request)
    portal = portal_of(request)
    try:
        filters = parse_filters(typed)
        async with portal.reader() as db:
            page = await search_page(db, portal.settings, filters, request.query_params.get("page") or None)
    except DomainError as exc:
        return render_staff_page(request, "staff/audit.html", member, status_code=400, typed=typed,
                                 error=exc.text(), rows=[], next_url=None, export_urls={})
    query = filters.as_text()
    next_url = f"{AUDIT}?{urlencode({**query, 'page': page.next_token})}" if page.next_token else None
    export_urls = {name: f"{AUDIT}/export/{name}?{urlencode(query)}" for name in FORMATS}
    return render_staff_page(request, "staff/audit.html", member, typed=typed, error=None,
                             rows=[_row(row) for row in page.events], next_url=next_url, export_urls=export_urls,
                             first_url=f"{AUDIT}?{urlencode(query)}", continued="page" in request.query_params)


@router.get(EXPORT)
async def audit_export(request: Request, member: Auditor, format_name: str) -> Response:
    if format_name not in FORMATS:
        raise PageError("page.not_found", status_code=404, detail="no such export format")
    filters: AuditFilters = parse_filters(_typed(request))  # a bad filter: the error page, nothing exported
    portal = portal_of(request)
    async with portal.sessionmaker.begin() as db:
        record(db, "audit.export", actor=member.actor, source_ip=client_ip(request),
               format=format_name, filters=filters.as_text())
    media_type, extension = FORMATS[format_name]
    stamp = clock.now().astimezone(clock.BEIJING).strftime("%Y%m%d-%H%M%S")

    async def body():
        async for chunk in export_chunks(format_name, every_event(portal.reader, filters)):
            yield chunk.encode()

    return StreamingResponse(body(), media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="audit-{stamp}.{extension}"',
        "Cache-Control": "no-store",
    })
