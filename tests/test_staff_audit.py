"""审计 in the staff console (/staff/audit): an auditor's search, its keyset pages, its exports
(streamed, each one recorded), and refusals: bad filters and tokens on the form, 403 without the role."""
from __future__ import annotations

import csv
import io
import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from idp.audit.models import AuditEvent
from idp.staff.roles import ADMIN, AUDITOR, BINDINGS, HELPDESK
from tests.support.audit import add_events
from tests.support.staff import add_staff, alert, staff_sign_in

ROW_IDS = re.compile(r'<tr class="audit-event" data-id="(\d+)">')


@pytest.fixture
async def auditor(put):
    secret = await add_staff(put, "shenji", AUDITOR)
    async with put.http() as client:
        await staff_sign_in(client, "shenji", secret=secret)
        yield client


def _link(page, element_id: str) -> str:
    found = re.search(rf'id="{element_id}" href="([^"]+)"', page.text)
    assert found, f"no {element_id}"
    return unescape(found.group(1))


async def test_an_auditor_searches_pages_forward_and_sees_beijing_time(put, auditor):
    ids = await add_events(put, 60, actor="alice", event="login.failed", outcome="failure", source_ip="10.1.1.1")
    await add_events(put, 5, actor="bob", event="login.failed")
    page = await auditor.get("/staff/audit", params={"event": "login.", "actor": "alice",
                                                     "since": "2026-12-01 00:00", "until": "2026-12-02"})
    assert page.status_code == 200
    assert "北京时间" in page.text
    first = [int(i) for i in ROW_IDS.findall(page.text)]
    assert first == list(reversed(ids))[:50]
    assert "2026-12-01 00:59:00" in page.text  # the newest, 2026-11-30T16:59Z, in Beijing time
    assert 'value="alice"' in page.text  # the form keeps the search

    second = await auditor.get(_link(page, "next-page"))
    assert second.status_code == 200
    assert [int(i) for i in ROW_IDS.findall(second.text)] == list(reversed(ids))[50:]
    assert 'id="next-page"' not in second.text
    assert 'id="first-page"' in second.text


async def test_bad_filters_and_tokens_are_told_on_the_form(put, auditor):
    page = await auditor.get("/staff/audit", params={"since": "昨天", "actor": "alice"})
    assert page.status_code == 400
    assert alert(page) == "“开始时间”的格式不正确，请按“2026-12-01 08:00”（北京时间）填写"
    assert 'value="昨天"' in page.text and 'id="export-csv"' not in page.text

    await add_events(put, 55)
    first = await auditor.get("/staff/audit", params={"event": "test.event"})
    token = parse_qs(urlsplit(_link(first, "next-page")).query)["page"][0]
    for params in ({"event": "test.event", "page": token[:-2] + "xy"},  # altered
                   {"event": "test.", "page": token},  # another search
                   {"event": "test.event", "page": "%%%"}):
        page = await auditor.get("/staff/audit", params=params)
        assert page.status_code == 400
        assert alert(page) == "翻页链接无效或已被修改，请重新查询"


async def test_exports_stream_the_whole_search_and_are_recorded(put, auditor):
    ids = await add_events(put, 70, actor="alice", client_id="udi", details={"reason": "=cmd|' /C calc'!A0"})
    await add_events(put, 3, actor="bob", client_id="udi")
    page = await auditor.get("/staff/audit", params={"client_id": "udi", "actor": "alice"})

    response = await auditor.get(_link(page, "export-csv"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="audit-\d{8}-\d{6}\.csv"', response.headers["content-disposition"])
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [int(r["id"]) for r in rows] == list(reversed(ids))  # every page of the search, not one
    assert rows[0]["details"].startswith('{"reason": "=cmd')  # inside JSON text: not a formula

    response = await auditor.get(_link(page, "export-json"))
    assert response.headers["content-type"] == "application/x-ndjson; charset=utf-8"
    assert [json.loads(line)["id"] for line in response.text.splitlines()] == list(reversed(ids))

    async with put.portal.reader() as db:
        exports = (await db.scalars(select(AuditEvent).where(AuditEvent.event == "audit.export")
                                    .order_by(AuditEvent.id))).all()
    assert [(e.actor, e.details["format"], e.source_ip) for e in exports] == [
        ("staff:shenji", "csv", "127.0.0.1"), ("staff:shenji", "json", "127.0.0.1")]
    assert exports[0].details["filters"] == {"actor": "alice", "client_id": "udi"}


async def test_an_export_with_a_bad_filter_exports_nothing(put, auditor):
    response = await auditor.get("/staff/audit/export/csv", params={"until": "2026-02-30"})
    assert response.status_code == 400 and "结束时间" in response.text
    assert (await auditor.get("/staff/audit/export/xml")).status_code == 404
    async with put.portal.reader() as db:
        assert await db.scalar(select(AuditEvent.id).where(AuditEvent.event == "audit.export")) is None


@pytest.mark.parametrize("roles", [[HELPDESK], [BINDINGS, ADMIN]])
async def test_staff_without_the_auditor_role_are_refused(put, roles):
    secret = await add_staff(put, "other", roles)
    async with put.http() as client:
        await staff_sign_in(client, "other", secret=secret)
        for path in ("/staff/audit", "/staff/audit/export/csv", "/staff/audit/export/json"):
            response = await client.get(path)
            assert response.status_code == 403, path
            assert "无权访问" in response.text and "审计" in response.text
        home = await client.get("/staff")
        assert 'href="/staff/audit"' not in home.text
    async with put.http() as stranger:
        response = await stranger.get("/staff/audit/export/csv")
        assert response.status_code == 303 and response.headers["location"] == "/staff/login"
