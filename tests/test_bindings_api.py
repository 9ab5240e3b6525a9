"""The binding back-channel from the portal's side (docs/binding-protocol.md, shared/binding.py):
the systems' API with client credentials, idempotent confirmation, the slot under 20 parallel
starts, cancelling an abandoned pending binding, the reconciler, and the signed requests."""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import pytest
from sqlalchemy import select, update

from idp import clock
from idp.background import run_background
from idp.bindings import outbox
from idp.bindings.models import Binding
from tests.support.binding_flows import (
    binding,
    binding_of,
    bound,
    confirm,
    host,
    live,
    make_due,
    on_bindings_page,
    run_outbox,
    start,
    system_api,
    verified_claims,
)
from tests.support.portal import hidden_fields
from tests.support.space import signed_in


@pytest.fixture
async def drug(put):
    return await put.add_client("drug", display_name="药品业务应用系统")


@pytest.fixture
async def udi(put):
    return await put.add_client("udi", display_name="医疗器械唯一标识管理信息系统", scopes=["openid", "profile"])


async def started(put, client, mode="existing") -> str:
    browser = await on_bindings_page(put, put.account)
    try:
        return binding_of(await start(browser, client.client_id, mode))
    finally:
        await browser.aclose()


async def test_the_intent_gives_the_owner_the_subject_mode_expiry_and_consented_claims(put, drug, udi):
    binding_id = await started(put, udi, "create")
    async with system_api(put, udi) as api:
        intent = (await api.get(f"/api/bindings/{binding_id}")).json()
    row = await binding(put, binding_id)
    assert intent == {"binding_id": binding_id, "client_id": "udi", "sub": put.account.subject, "mode": "create",
                      "state": "pending", "expires_at": clock.epoch(row.expires_at),
                      "claims": {"sub": put.account.subject, "name": "张三", "preferred_username": "zhangsan",
                                 "updated_at": intent["claims"]["updated_at"]},
                      "actor_sub": put.account.subject}  # the user's own browser completes it
    assert 590 <= intent["expires_at"] - clock.epoch(row.created_at) <= 600
    # Another system does not see it; a wrong secret or none is refused.
    async with system_api(put, drug) as api:
        assert (await api.get(f"/api/bindings/{binding_id}")).status_code == 404
    async with put.http(auth=("udi", "wrong")) as api:
        assert (await api.get(f"/api/bindings/{binding_id}")).status_code == 401
    async with put.http() as api:
        response = await api.get(f"/api/bindings/{binding_id}")
        assert response.status_code == 401 and response.json()["error"] == "invalid_client"


async def test_confirm_is_idempotent_and_a_different_kind_is_a_conflict(put, drug):
    binding_id = await started(put, drug, "existing")
    for _ in range(2):
        response = await confirm(put, drug, binding_id, "existing", "li_si")
        assert response.status_code == 200 and response.json() == {"state": "active"}
    row = await binding(put, binding_id)
    assert (row.state, row.kind, row.local_account) == ("active", "existing", "li_si")
    conflict = await confirm(put, drug, binding_id, "created")
    assert conflict.status_code == 409 and conflict.json() == {"error": "conflict", "state": "active"}
    assert (await binding(put, binding_id)).kind == "existing"


async def test_a_kind_that_does_not_match_the_chosen_mode_is_refused(put, drug):
    binding_id = await started(put, drug, "existing")
    assert (await confirm(put, drug, binding_id, "created")).status_code == 409
    assert (await binding(put, binding_id)).state == "pending"


async def test_confirm_by_another_client_is_refused(put, drug, udi):
    binding_id = await started(put, drug, "create")
    assert (await confirm(put, udi, binding_id, "created")).status_code == 404
    assert (await binding(put, binding_id)).state == "pending"
    async with put.http(auth=("drug", "wrong")) as api:
        response = await api.post(f"/api/bindings/{binding_id}/confirm", json={"kind": "created", "local_account": "x"})
        assert response.status_code == 401
    assert (await binding(put, binding_id)).state == "pending"


async def test_a_refusal_fails_the_binding_and_frees_the_slot(put, drug):
    binding_id = await started(put, drug, "existing")
    async with system_api(put, drug) as api:
        bad = await api.post(f"/api/bindings/{binding_id}/refused", json={"reason": "whatever"})
        assert bad.status_code == 400
        for _ in range(2):  # idempotent
            response = await api.post(f"/api/bindings/{binding_id}/refused", json={"reason": "local_account_taken"})
            assert response.json() == {"state": "failed"}
    row = await binding(put, binding_id)
    assert (row.state, row.slot, row.ended_reason) == ("failed", None, "local_account_taken")
    assert (await confirm(put, drug, binding_id, "existing")).status_code == 409  # too late
    assert binding_of(await start(await on_bindings_page(put, put.account), "drug", "existing"))


async def test_a_system_refusing_by_its_own_rules_ends_the_binding_at_once(put, drug):
    """not_eligible: e.g. the licensed-pharmacist system finds no register record; the user may retry at once."""
    binding_id = await started(put, drug, "create")
    async with system_api(put, drug) as api:
        response = await api.post(f"/api/bindings/{binding_id}/refused", json={"reason": "not_eligible"})
    assert response.json() == {"state": "failed"}
    row = await binding(put, binding_id)
    assert (row.state, row.slot, row.ended_reason) == ("failed", None, "not_eligible")
    assert binding_of(await start(await on_bindings_page(put, put.account), "drug", "create"))


async def test_the_system_ending_a_link_ends_the_binding(put, drug):
    browser = await on_bindings_page(put, put.account)
    binding_id = await bound(put, browser, drug, "existing")
    async with system_api(put, drug) as api:
        response = await api.post(f"/api/bindings/{binding_id}/ended", json={"reason": "unbound in account settings"})
        assert response.json() == {"state": "ended"}
    row = await binding(put, binding_id)
    assert (row.state, row.slot, row.ended_by) == ("ended", None, "system:drug")
    await browser.aclose()


async def test_twenty_parallel_starts_make_exactly_one_binding(put, drug):
    """The system's binding calls fail, so an abandoned pending binding cannot be cancelled: the
    unique slot alone decides, and only one of twenty submissions gets a binding."""
    put.systems.failing.add(host("drug"))
    browser = await signed_in(put, put.account)
    page = await browser.go("/space/bindings/drug")
    csrf = hidden_fields(page.text)["csrf_token"]
    responses = await asyncio.gather(*(browser.client.post("/space/bindings/drug",
                                                           data={"csrf_token": csrf, "mode": "existing"})
                                       for _ in range(20)))
    assert sorted(r.status_code for r in responses) == [303] + [409] * 19
    refused = next(r for r in responses if r.status_code == 409)
    assert "上一次绑定药品业务应用系统尚未完成，且暂时无法联系该业务系统" in refused.text
    async with put.portal.reader() as db:
        rows = (await db.scalars(select(Binding).where(Binding.account_id == put.account.id))).all()
    assert [(r.state, r.slot) for r in rows] == [("pending", "drug")]
    await browser.aclose()


async def test_coming_back_to_a_pending_binding_cancels_it_and_starts_afresh(put, drug):
    first = await started(put, drug, "create")
    second = await started(put, drug, "existing")
    assert second != first
    assert (await binding(put, first)).state == "failed" and (await binding(put, first)).slot is None
    assert (await binding(put, second)).state == "pending"
    (call,) = put.systems.calls
    assert (call.method, call.path) == ("POST", f"/binding-api/bindings/{first}/cancel")
    claims = await verified_claims(put, call.token)
    assert (claims["aud"], claims["action"], claims["binding_id"], claims["sub"]) == (
        "drug", "cancel", first, put.account.subject)


async def test_coming_back_when_the_system_had_linked_marks_it_active(put, drug):
    first = await started(put, drug, "create")
    put.systems.link(host("drug"), first, put.account.subject, "created", "new-account")
    browser = await on_bindings_page(put, put.account)
    again = await start(browser, "drug", "existing")
    assert again.status_code == 409 and "当前政务门户用户已经绑定了药品业务应用系统" in again.text
    row = await binding(put, first)
    assert (row.state, row.kind, row.local_account) == ("active", "created", "new-account")
    assert [b.id for b in await live(put, put.account.id)] == [first]
    await browser.aclose()


async def expire(put, binding_id: str, seconds_ago: int) -> None:
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(Binding).where(Binding.id == binding_id)
                         .values(expires_at=clock.now() - dt.timedelta(seconds=seconds_ago)))


async def test_the_reconciler_waits_for_the_margin_then_asks_the_system(put, drug):
    linked, abandoned = await started(put, drug, "existing"), None
    other = await put.add_account("lisi", name="李四")
    browser = await on_bindings_page(put, other)
    abandoned = binding_of(await start(browser, "drug", "create"))
    put.systems.link(host("drug"), linked, put.account.subject, "existing", "zhang")
    for binding_id in (linked, abandoned):
        await expire(put, binding_id, 60)  # expired, but within the margin: not asked yet
    assert await outbox.reconcile_due(put.portal) == 0
    for binding_id in (linked, abandoned):
        await expire(put, binding_id, 121)
    assert await outbox.reconcile_due(put.portal) == 2
    assert await outbox.reconcile_due(put.portal) == 0  # asked once, not once per round
    assert await run_outbox(put) == 2
    row = await binding(put, linked)
    assert (row.state, row.kind, row.local_account) == ("active", "existing", "zhang")
    row = await binding(put, abandoned)
    assert (row.state, row.slot, row.ended_reason) == ("failed", None, "unknown")
    for call in put.systems.calls:
        assert call.method == "GET"
        claims = await verified_claims(put, call.token)
        assert call.path == f"/binding-api/bindings/{claims['binding_id']}" and claims["action"] == "status"
    await browser.aclose()


async def test_the_reconciler_keeps_asking_a_system_that_is_down(put, drug):
    binding_id = await started(put, drug, "existing")
    await expire(put, binding_id, 200)
    put.systems.down.add(host("drug"))
    assert await outbox.reconcile_due(put.portal) == 1
    assert await run_outbox(put) == 0
    assert (await binding(put, binding_id)).state == "pending"
    put.systems.down.clear()
    assert await run_outbox(put) == 1
    assert (await binding(put, binding_id)).state == "failed"


async def test_each_request_to_a_system_is_signed_for_exactly_its_action(put, drug):
    browser = await on_bindings_page(put, put.account)
    first = binding_of(await start(browser, "drug", "existing"))
    second = binding_of(await start(browser, "drug", "existing"))  # cancel of the first
    put.systems.link(host("drug"), second, put.account.subject, "existing")
    await expire(put, second, 200)
    await outbox.reconcile_due(put.portal)
    await run_outbox(put)  # status of the second
    page = await browser.go("/space/bindings")
    await browser.client.post("/space/bindings/drug/unbind",
                              data={"csrf_token": hidden_fields(page.text)["csrf_token"]})
    expected = [("POST", f"/binding-api/bindings/{first}/cancel", "cancel", first),
                ("GET", f"/binding-api/bindings/{second}", "status", second),
                ("DELETE", f"/binding-api/links/{put.account.subject}", "unlink", second)]
    assert [(c.method, c.path) for c in put.systems.calls] == [e[:2] for e in expected]
    jtis = set()
    for call, (_, _, action, binding_id) in zip(put.systems.calls, expected, strict=True):
        assert call.host == host("drug")
        claims = await verified_claims(put, call.token)
        assert (claims["aud"], claims["action"], claims["binding_id"], claims["sub"]) == (
            "drug", action, binding_id, put.account.subject)
        assert ("force" in claims) == (action == "unlink") and not claims.get("force")
        jtis.add(claims["jti"])
    assert len(jtis) == 3
    assert (await binding(put, second)).state == "ended"
    await browser.aclose()


async def test_the_background_loop_reconciles_and_retries_on_its_own(put, drug):
    stale = await started(put, drug, "existing")
    await expire(put, stale, 200)
    put.systems.link(host("drug"), stale, put.account.subject, "existing")
    put.systems.down.add(host("drug"))
    worker = asyncio.create_task(run_background(put.portal, interval=0.05))
    try:
        for _ in range(40):  # the loop asks, the system is down: still pending
            await asyncio.sleep(0.05)
        assert (await binding(put, stale)).state == "pending"
        put.systems.down.clear()
        await make_due(put)
        for _ in range(100):
            if (await binding(put, stale)).state == "active":
                break
            await asyncio.sleep(0.05)
        assert (await binding(put, stale)).state == "active"
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
