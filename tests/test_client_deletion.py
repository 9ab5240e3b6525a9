"""Deleting a client (idp.operations.client_deletion, ``idp clients delete``): only a disabled
client without live bindings; its tokens, grants and consents go, the row and its id stay so the
audit log keeps naming it and nothing brings it back."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, update

from idp.bindings.models import Binding
from idp.cli import main as idp_cli
from idp.clients.models import Client
from idp.errors import DomainError
from idp.oidc.models import AccessToken, Consent, Grant, RefreshToken
from idp.operations.client_deletion import delete_client
from idp.operations.clients import disable_client, enable_client, register_client, rotate_client_secret
from tests.support.bindings import bound_on_portal
from tests.support.signin import audit_events
from tests.support.tokens import code_flow, refresh, userinfo


async def cli(argv: list[str]) -> int:
    return await asyncio.to_thread(idp_cli, argv)


async def refused(coroutine) -> str:
    with pytest.raises(DomainError) as caught:
        await coroutine
    return caught.value.message_id


async def rows(put, model, client_id: str) -> int:
    async with put.portal.sessionmaker() as db:
        if model in (AccessToken, RefreshToken):
            grants = select(Grant.id).where(Grant.client_id == client_id).scalar_subquery()
            return await db.scalar(select(func.count()).select_from(model).where(model.grant_id.in_(grants)))
        return await db.scalar(select(func.count()).select_from(model).where(model.client_id == client_id))


async def test_a_disabled_client_without_bindings_is_deleted_with_its_tokens(put, browser):
    partner = await put.add_client("partner", first_party=False)
    tokens = await code_flow(put, browser, partner, "openid profile offline_access")
    assert await rows(put, Consent, "partner") == 1
    assert await refused(delete_client(put.portal, "partner", actor="cli")) == "ops.client_delete_enabled"
    await disable_client(put.portal, "partner", actor="cli")
    removed = await delete_client(put.portal, "partner", actor="cli")
    assert removed["grants"] == 1 and removed["consents"] == 1 and removed["refresh_tokens"] == 1
    for model in (AccessToken, RefreshToken, Grant, Consent):
        assert await rows(put, model, "partner") == 0, model
    assert (await userinfo(put, tokens["access_token"])).status_code == 401
    assert (await refresh(put, partner, tokens["refresh_token"])).status_code == 401
    # Nothing brings it back, and its id stays its own.
    assert await refused(enable_client(put.portal, "partner", actor="cli")) == "ops.client_deleted_final"
    assert await refused(rotate_client_secret(put.portal, "partner", actor="cli")) == "ops.client_deleted_final"
    assert await refused(register_client(put.portal, "partner", {"display_name": "另一个", "redirect_uris": [
        partner.redirect_uri]}, actor="cli")) == "ops.client_exists"
    assert await refused(delete_client(put.portal, "partner", actor="cli")) == "ops.client_already_deleted"
    [event] = await audit_events(put, "client.deleted")
    assert event.actor == "cli" and event.client_id == "partner"
    async with put.portal.sessionmaker() as db:
        assert (await db.get(Client, "partner")).deleted_at is not None


async def test_a_client_with_a_live_binding_is_not_deleted_until_it_ends(put):
    await bound_on_portal(put, put.account, put.rp.client_id)
    await disable_client(put.portal, put.rp.client_id, actor="cli")
    assert await refused(delete_client(put.portal, put.rp.client_id, actor="cli")) == "ops.client_delete_bound"
    assert await audit_events(put, "client.deleted") == []
    async with put.portal.sessionmaker.begin() as db:  # the user unbinds: the slot is released
        await db.execute(update(Binding).values(slot=None, state="ended"))
    await delete_client(put.portal, put.rp.client_id, actor="cli")


async def test_two_operators_deleting_at_once_one_wins_the_other_is_told(put):
    await disable_client(put.portal, put.rp.client_id, actor="cli")
    outcomes = await asyncio.gather(*(delete_client(put.portal, put.rp.client_id, actor=f"staff:op{i}")
                                      for i in range(4)), return_exceptions=True)
    assert sum(isinstance(outcome, dict) for outcome in outcomes) == 1
    assert sorted(o.message_id for o in outcomes if isinstance(o, DomainError)) == ["ops.client_already_deleted"] * 3
    assert len(await audit_events(put, "client.deleted")) == 1


async def test_clients_are_deleted_from_the_command_line(put, database_url, monkeypatch, capsys):
    monkeypatch.setenv("IDP_DATABASE_URL", database_url)
    assert await cli(["clients", "delete", put.rp.client_id]) == 2
    assert "请先停用该客户端，再删除。" in capsys.readouterr().err
    assert await cli(["clients", "disable", put.rp.client_id]) == 0
    assert await cli(["clients", "delete", put.rp.client_id]) == 0
    assert f"client {put.rp.client_id} deleted" in capsys.readouterr().out
    assert await cli(["clients", "enable", put.rp.client_id]) == 2
    assert "该客户端已删除，不能再启用或修改。" in capsys.readouterr().err
    assert [e.actor for e in await audit_events(put, "client.deleted")] == ["cli"]

