"""Staff force-unbind (the consultation's action): the CLI and the bearer-token API undo any
binding, 不可解除 included, with a reason and the staff member recorded in the audit log."""
from __future__ import annotations

import asyncio
import hashlib
import secrets

import pytest
from sqlalchemy import select

from idp.audit.models import AuditEvent
from idp.cli import main
from tests.support.binding_flows import (
    binding,
    bound,
    host,
    on_bindings_page,
    run_outbox,
    shown,
    verified_claims,
)
from tests.support.portal import running_portal

REASON = "咨询单 2026-001：企业申请与药品业务应用系统解除绑定"


async def audited(put, event: str) -> list[AuditEvent]:
    async with put.portal.reader() as db:
        return list((await db.scalars(select(AuditEvent).where(AuditEvent.event == event))).all())


async def test_the_cli_force_unbinds_a_created_link_and_the_outbox_finishes_it(put, database_url, monkeypatch):
    # The CLI reaches the system through its real network: here nothing listens, so the unlink
    # stays in the outbox and the portal's background loop (run by hand) finishes it.
    drug = await put.add_client("drug", display_name="药品业务应用系统", binding_api_uri="http://127.0.0.1:9")
    browser = await on_bindings_page(put, put.account)
    binding_id = await bound(put, browser, drug, "create")
    monkeypatch.setenv("IDP_DATABASE_URL", database_url)
    code = await asyncio.to_thread(main, ["bindings", "force-unbind", "zhangsan", "drug", "--reason", REASON,
                                          "--staff", "kefu-07"])
    assert code == 0
    row = await binding(put, binding_id)
    assert (row.state, row.ended_by, row.ended_reason) == ("unbinding", "staff:kefu-07", REASON)
    (event,) = await audited(put, "binding.force_unbind")
    assert event.actor == "staff:kefu-07" and event.client_id == "drug"
    assert event.details["reason"] == REASON and event.details["binding_id"] == binding_id

    await put.add_client("drug", display_name="药品业务应用系统", binding_api_uri=f"https://{host('drug')}")
    assert await run_outbox(put) == 1
    row = await binding(put, binding_id)
    assert (row.state, row.slot, row.ended_by, row.ended_reason) == ("ended", None, "staff:kefu-07", REASON)
    (call,) = [c for c in put.systems.calls if c.method == "DELETE"]
    claims = await verified_claims(put, call.token)
    assert (claims["action"], claims["force"], claims["reason"], claims["binding_id"]) == (
        "unlink", True, REASON, binding_id)
    assert shown((await browser.go("/space/bindings")).text, "drug") == "bind"
    await browser.aclose()


async def test_the_cli_refuses_without_a_binding(put, database_url, monkeypatch, capsys):
    monkeypatch.setenv("IDP_DATABASE_URL", database_url)
    code = await asyncio.to_thread(main, ["bindings", "force-unbind", "zhangsan", "drug", "--reason", REASON,
                                          "--staff", "kefu-07"])
    assert code == 2 and "zhangsan has no binding to drug" in capsys.readouterr().err
    assert await audited(put, "binding.force_unbind") == []


@pytest.fixture
async def staff_api(database_url):
    token = secrets.token_urlsafe(32)
    async with running_portal(database_url, admin_api_token_digest=hashlib.sha256(token.encode()).hexdigest()) as put:
        put.account = await put.add_account("zhangsan")
        put.token = token
        yield put


async def test_the_api_force_unbinds_with_a_reason_and_audits_it(staff_api):
    put = staff_api
    classification = await put.add_client("classification", display_name="医疗器械分类界定信息系统")
    browser = await on_bindings_page(put, put.account)
    binding_id = await bound(put, browser, classification, "create")
    url = f"/admin/api/bindings/{binding_id}/force-unbind"
    body = {"reason": REASON, "staff": "kefu-08"}
    async with put.http() as http:
        assert (await http.post(url, json=body)).status_code == 401
        assert (await http.post(url, json=body, headers={"Authorization": "Bearer wrong"})).status_code == 401
        auth = {"Authorization": f"Bearer {put.token}"}
        assert (await http.post(url, json={"staff": "kefu-08"}, headers=auth)).status_code == 400
        assert (await http.post("/admin/api/bindings/nope/force-unbind", json=body, headers=auth)).status_code == 404
        assert await audited(put, "binding.force_unbind") == []
        response = await http.post(url, json=body, headers=auth)
        assert response.status_code == 200 and response.json() == {"state": "ended"}
        again = await http.post(url, json=body, headers=auth)
        assert again.status_code == 409 and again.json()["state"] == "ended"
    row = await binding(put, binding_id)
    assert (row.state, row.slot, row.ended_by, row.ended_reason) == ("ended", None, "staff:kefu-08", REASON)
    assert put.systems.links == {}  # the system removed even a created link: forced
    (event,) = await audited(put, "binding.force_unbind")
    assert event.actor == "staff:kefu-08" and event.details["reason"] == REASON
    (call,) = [c for c in put.systems.calls if c.method == "DELETE"]
    assert (await verified_claims(put, call.token))["force"] is True
    await browser.aclose()


async def test_the_api_is_off_without_a_token_digest(put):
    browser = await on_bindings_page(put, put.account)
    drug = await put.add_client("drug", display_name="药品业务应用系统")
    binding_id = await bound(put, browser, drug, "create")
    async with put.http() as http:
        response = await http.post(f"/admin/api/bindings/{binding_id}/force-unbind",
                                   json={"reason": REASON, "staff": "x"}, headers={"Authorization": "Bearer "})
    assert response.status_code == 404
    assert (await binding(put, binding_id)).state == "active"
    await browser.aclose()
