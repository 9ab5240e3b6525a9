"""运维's JSON API (/staff/api/ops, idp.web.staff.ops_api over idp/operations/): clients
(register, edit, a secret shown once, disable and enable — a disabled client gets no
authorization, no token, no refresh and its access tokens fail at UserInfo), signing keys,
users' sessions (ended with back-channel logout) and accounts (found masked, unlocked,
disabled); every act in the audit log with the operator as actor; refusals change nothing;
the OpenAPI document for operators only."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select, update

from idp import clock
from idp.accounts.models import Account, with_indexes
from idp.clients.models import Client
from idp.staff.roles import HELPDESK, OPERATOR
from tests.support.portal import ISSUER, RegisteredClient, running_portal
from tests.support.signin import audit_events, settle_backchannel
from tests.support.staff import add_staff, staff_sign_in
from tests.support.tokens import client_credentials, code_flow, post_as, refresh, userinfo

API = "/staff/api/ops"


class Operator:
    def __init__(self, client, csrf: str):
        self.client, self.csrf = client, csrf

    async def get(self, path: str, **params):
        return await self.client.get(API + path, params=params)

    async def write(self, method: str, path: str, body: dict | None = None):
        return await self.client.request(method, API + path, json=body, headers={"X-CSRF-Token": self.csrf})


@pytest.fixture
async def ops(put):
    secret = await add_staff(put, "yunwei", [OPERATOR])
    async with put.http() as client:
        await staff_sign_in(client, "yunwei", secret=secret)
        me = await client.get(API + "/me")
        assert me.status_code == 200 and me.json()["roles"] == [OPERATOR]
        yield Operator(client, me.json()["csrf_token"])


async def client_row(put, client_id: str) -> Client | None:
    async with put.portal.reader() as db:
        return await db.get(Client, client_id)


async def test_the_openapi_document_is_for_signed_in_operators_only(put, ops):
    document = await ops.get("/openapi.json")
    assert document.status_code == 200
    paths = document.json()["paths"]
    assert {API + "/clients", API + "/clients/{client_id}/secret", API + "/keys/rotate",
            API + "/sessions/{sid}/end", API + "/accounts/{account_id}/unlock"} <= set(paths)
    assert all(path.startswith(API) for path in paths)  # this API's routes only
    helpdesk_secret = await add_staff(put, "kefu", [HELPDESK])
    async with put.http() as other, put.http() as stranger:
        await staff_sign_in(other, "kefu", secret=helpdesk_secret)
        assert (await other.get(API + "/openapi.json")).status_code == 403
        assert (await other.get(API + "/clients")).status_code == 403
        assert (await stranger.get(API + "/openapi.json")).status_code == 303
        for global_doc in ("/openapi.json", "/docs", "/redoc"):
            assert (await stranger.get(global_doc)).status_code == 404


async def test_a_write_without_the_sessions_csrf_token_is_refused_and_changes_nothing(put, ops):
    response = await ops.client.post(API + f"/clients/{put.rp.client_id}/disable")
    assert response.status_code == 403 and response.json()["error"] == "ops.csrf"
    forged = await ops.client.post(API + f"/clients/{put.rp.client_id}/disable", headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    assert (await client_row(put, put.rp.client_id)).disabled_at is None


async def test_an_operator_registers_a_client_whose_secret_is_shown_once_and_works(put, ops):
    response = await ops.write("POST", "/clients", {
        "client_id": "newsys", "display_name": "新系统", "redirect_uris": ["https://newsys.example.cn/cb"],
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"], "scopes": ["openid", "profile"]})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["client"]["redirect_uris"] == ["https://newsys.example.cn/cb"] and body["client_secret"]
    registered = RegisteredClient("newsys", body["client_secret"], "https://newsys.example.cn/cb")
    assert "access_token" in await client_credentials(put, registered)
    listed = {row["client_id"]: row for row in (await ops.get("/clients")).json()}
    assert "client_secret" not in listed["newsys"] and listed["newsys"]["disabled"] is False
    [added] = [e for e in await audit_events(put, "client.added") if e.client_id == "newsys"]
    assert added.actor == "staff:yunwei"


async def test_an_operator_registers_a_client_that_must_push_its_authorization_requests(put, ops):
    response = await ops.write("POST", "/clients", {
        "client_id": "fapi", "display_name": "FAPI", "redirect_uris": ["https://fapi.example.cn/cb"],
        "require_pushed_authorization_requests": True})
    assert response.status_code == 201, response.text
    assert response.json()["client"]["require_pushed_authorization_requests"] is True
    assert (await client_row(put, "fapi")).require_pushed_authorization_requests is True


async def test_an_operator_registers_a_pairwise_client_whose_sector_is_clear(put, ops):
    response = await ops.write("POST", "/clients", {
        "client_id": "pw", "display_name": "成对", "redirect_uris": ["https://pw.example.cn/cb"],
        "subject_type": "pairwise"})
    assert response.status_code == 201, response.text
    assert response.json()["client"]["subject_type"] == "pairwise"
    refused = await ops.write("POST", "/clients", {
        "client_id": "pw2", "display_name": "成对", "subject_type": "pairwise",
        "redirect_uris": ["https://one.example.cn/cb", "https://two.example.cn/cb"]})
    assert refused.status_code == 400 and "sector_identifier_uri" in refused.json()["message"]
    assert await client_row(put, "pw2") is None


@pytest.mark.parametrize("body, message", [
    ({"client_id": "A b", "display_name": "x"}, "客户端标识应为2至64位"),
    ({"client_id": "rp", "display_name": "重复"}, "客户端标识已被使用"),
    ({"client_id": "bad1", "display_name": "x", "redirect_uris": ["http://evil.example.cn/cb"]}, "客户端配置不正确"),
    ({"client_id": "bad2", "display_name": "x", "scopes": ["openid", "admin"]}, "客户端配置不正确"),
    ({"client_id": "bad3", "display_name": " "}, "请输入客户端名称"),
])
async def test_a_bad_registration_is_refused_with_a_clear_message_and_adds_nothing(put, ops, body, message):
    before = (await ops.get("/clients")).json()
    events = len(await audit_events(put, "client.added"))
    response = await ops.write("POST", "/clients", body)
    assert response.status_code in (400, 409) and message in response.json()["message"], response.text
    assert (await ops.get("/clients")).json() == before
    assert len(await audit_events(put, "client.added")) == events


async def test_an_operator_edits_redirect_uris_and_scopes_and_bad_values_change_nothing(put, ops):
    path = f"/clients/{put.rp.client_id}"
    changed = await ops.write("PATCH", path, {"redirect_uris": ["https://rp.example.cn/new-cb"],
                                              "scopes": ["openid", "profile"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["redirect_uris"] == ["https://rp.example.cn/new-cb"]
    [event] = await audit_events(put, "client.updated")
    assert event.actor == "staff:yunwei" and set(event.details["fields"]) == {"redirect_uris", "scopes"}
    for bad in ({"redirect_uris": ["https://rp.example.cn/cb#fragment"]}, {"scopes": ["everything"]}):
        refused = await ops.write("PATCH", path, bad)
        assert refused.status_code == 400 and "客户端配置不正确" in refused.json()["message"]
    row = await client_row(put, put.rp.client_id)
    assert row.redirect_uris == ["https://rp.example.cn/new-cb"] and row.scopes == ["openid", "profile"]
    missing = await ops.write("PATCH", "/clients/nosuch", {"scopes": ["openid"]})
    assert missing.status_code == 404 and missing.json()["message"] == "该客户端不存在。"


async def test_a_rotated_secret_replaces_the_old_one_at_once(put, ops):
    response = await ops.write("POST", f"/clients/{put.rp.client_id}/secret")
    assert response.status_code == 200
    new_secret = response.json()["client_secret"]
    assert new_secret != put.rp.client_secret
    old = await post_as(put, put.rp, "/token", grant_type="client_credentials", scope="profile")
    assert old.status_code == 401 and old.json()["error"] == "invalid_client"
    rotated = RegisteredClient(put.rp.client_id, new_secret, put.rp.redirect_uri)
    assert "access_token" in await client_credentials(put, rotated)
    [event] = [e for e in await audit_events(put, "client.secret_rotated") if e.actor == "staff:yunwei"]
    assert event.client_id == put.rp.client_id
    assert new_secret not in str(event.details)


async def test_two_rotations_at_once_leave_exactly_one_of_the_shown_secrets_working(put, ops):
    answers = await asyncio.gather(*(ops.write("POST", f"/clients/{put.rp.client_id}/secret") for _ in range(2)))
    secrets = [answer.json()["client_secret"] for answer in answers]
    working = [(await post_as(put, RegisteredClient(put.rp.client_id, secret, ""), "/token",
                              grant_type="client_credentials", scope="profile")).status_code == 200
               for secret in secrets]
    assert sorted(working) == [False, True]
    assert len([e for e in await audit_events(put, "client.secret_rotated") if e.actor == "staff:yunwei"]) == 2


async def test_a_disabled_client_gets_no_authorization_no_tokens_and_its_tokens_fail(put, browser, ops):
    tokens = await code_flow(put, browser, put.rp, "openid profile offline_access")
    assert (await userinfo(put, tokens["access_token"])).status_code == 200
    disabled = await ops.write("POST", f"/clients/{put.rp.client_id}/disable")
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert (await userinfo(put, tokens["access_token"])).status_code == 401
    refused = await refresh(put, put.rp, tokens["refresh_token"])
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    introspected = await post_as(put, put.rp, "/introspect", token=tokens["access_token"])
    assert introspected.status_code == 401
    async with put.http() as http:
        authorize = await http.get("/authorize", params={"client_id": put.rp.client_id, "response_type": "code",
                                                         "redirect_uri": put.rp.redirect_uri, "scope": "openid"})
    assert authorize.status_code == 400 and "location" not in authorize.headers
    again = await ops.write("POST", f"/clients/{put.rp.client_id}/disable")
    assert again.status_code == 409 and again.json()["message"] == "该客户端已停用。"
    enabled = await ops.write("POST", f"/clients/{put.rp.client_id}/enable")
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False
    assert (await userinfo(put, tokens["access_token"])).status_code == 200  # disabling suspends
    assert [e.actor for e in await audit_events(put, "client.disabled")] == ["staff:yunwei"]
    assert [e.client_id for e in await audit_events(put, "client.enabled")] == [put.rp.client_id]


async def test_two_operators_disabling_one_client_at_once_one_wins_the_other_is_told(put, ops):
    answers = await asyncio.gather(*(ops.write("POST", f"/clients/{put.rp.client_id}/disable") for _ in range(4)))
    assert sorted(answer.status_code for answer in answers) == [200, 409, 409, 409]
    assert len(await audit_events(put, "client.disabled")) == 1


async def test_the_operator_api_deletes_a_disabled_client(put, ops):
    refused = await ops.write("POST", f"/clients/{put.rp.client_id}/delete")
    assert refused.status_code == 409 and refused.json()["message"] == "请先停用该客户端，再删除。"
    await ops.write("POST", f"/clients/{put.rp.client_id}/disable")
    deleted = await ops.write("POST", f"/clients/{put.rp.client_id}/delete")
    assert deleted.status_code == 200 and deleted.json()["client"]["deleted"] is True
    assert [e.actor for e in await audit_events(put, "client.deleted")] == ["staff:yunwei"]

async def test_keys_are_listed_with_their_state_and_rotated(database_url):
    """With a publish lead, a new key is published first, the old one still signs; it retires
    when the new one starts (here: an hour later)."""
    async with running_portal(database_url, key_publish_lead_seconds=3600) as put:
        secret = await add_staff(put, "yunwei", [OPERATOR])
        async with put.http() as client:
            await staff_sign_in(client, "yunwei", secret=secret)
            ops = Operator(client, (await client.get(API + "/me")).json()["csrf_token"])
            await rotated_keys(put, ops)


async def rotated_keys(put, ops):
    before = (await ops.get("/keys")).json()
    assert {key["state"] for key in before} == {"signing"} and {key["alg"] for key in before} == {"RS256", "ES256"}
    rotated = await ops.write("POST", "/keys/rotate")
    assert rotated.status_code == 200 and {key["state"] for key in rotated.json()} == {"published"}
    after = {key["kid"]: key for key in (await ops.get("/keys")).json()}
    assert all(after[key["kid"]]["state"] == "signing" and after[key["kid"]]["signs_until"] for key in before)
    page = await ops.client.get("/staff/ops")
    assert page.text.count("已发布待启用") == 2 and page.text.count("签名中") == 2
    [event] = await audit_events(put, "keys.rotated")
    assert event.actor == "staff:yunwei" and set(event.details["kids"]) == {k["kid"] for k in rotated.json()}


async def test_an_operator_finds_a_users_session_and_ends_it_with_backchannel_logout(put, browser, ops):
    tokens = await code_flow(put, browser, put.rp, "openid profile")
    found = await ops.get("/sessions", username="ZhangSan")
    assert found.status_code == 200
    [session] = found.json()["sessions"]
    ended = await ops.write("POST", f"/sessions/{session['sid']}/end")
    assert ended.status_code == 200
    await settle_backchannel(put)
    assert [url for url, _ in put.backchannel.received] == [f"https://{put.rp.client_id}.rp.example.test/backchannel"]
    assert (await userinfo(put, tokens["access_token"])).status_code == 401
    assert (await ops.get("/sessions", username="zhangsan")).json()["sessions"] == []
    again = await ops.write("POST", f"/sessions/{session['sid']}/end")
    assert again.status_code == 409 and again.json()["message"] == "该会话已结束或不存在。"
    [event] = await audit_events(put, "session.ended_by_operator")
    assert event.actor == "staff:yunwei" and event.subject == put.account.subject
    missing = await ops.get("/sessions", username="nobody")
    assert missing.status_code == 404 and missing.json()["message"] == "该用户名不存在。"


async def test_accounts_are_found_by_username_mobile_or_id_number_and_shown_masked(put, ops):
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(Account).where(Account.id == put.account.id)
                         .values(with_indexes({"id_number": "11010519491231002X", "mobile": "13800138000"})))
    for words in ("zhangsan", "13800138000", "11010519491231002X"):
        [found] = (await ops.get("/accounts", q=words)).json()
        assert found["username"] == "zhangsan"
        assert found["id_number"] != "11010519491231002X" and "*" in found["id_number"]
        assert found["mobile"] == "138****8000"
    assert (await ops.get("/accounts", q="nobody")).json() == []
    empty = await ops.get("/accounts", q="")
    assert empty.status_code == 400 and "请输入用户名" in empty.json()["message"]


async def test_an_operator_unlocks_and_disables_an_account(put, browser, ops):
    tokens = await code_flow(put, browser, put.rp, "openid profile")
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(Account).where(Account.id == put.account.id)
                         .values(failed_logins=5, locked_until=clock.now() + dt.timedelta(minutes=30)))
    path = f"/accounts/{put.account.id}"
    assert (await ops.write("POST", path + "/unlock")).status_code == 200
    again = await ops.write("POST", path + "/unlock")
    assert again.status_code == 409 and again.json()["message"] == "该账号未被锁定。"
    async with put.portal.reader() as db:
        row = await db.get(Account, put.account.id)
    assert row.locked_until is None and row.failed_logins == 0
    assert (await ops.write("POST", path + "/disable")).status_code == 200
    assert (await userinfo(put, tokens["access_token"])).status_code == 401
    assert (await ops.write("POST", path + "/disable")).status_code == 409
    [unlocked] = await audit_events(put, "account.unlocked_by_operator")
    [disabled] = await audit_events(put, "account.disabled")
    assert unlocked.actor == disabled.actor == "staff:yunwei"
    assert unlocked.subject == disabled.subject == put.account.subject
    assert (await ops.write("POST", "/accounts/999999/unlock")).status_code == 404


async def test_an_operator_enables_a_disabled_account_again_and_of_two_at_once_one_acts(put, browser, ops):
    path = f"/accounts/{put.account.id}"
    not_disabled = await ops.write("POST", path + "/enable")
    assert not_disabled.status_code == 409 and not_disabled.json()["message"] == "该账号未被停用。"
    old = await code_flow(put, browser, put.rp, "openid profile")
    assert (await ops.write("POST", path + "/disable")).status_code == 200
    answers = await asyncio.gather(*(ops.write("POST", path + "/enable") for _ in range(3)))
    assert sorted(a.status_code for a in answers) == [200, 409, 409]
    [enabled] = await audit_events(put, "account.enabled")
    assert enabled.actor == "staff:yunwei" and enabled.subject == put.account.subject
    fresh = await code_flow(put, browser, put.rp, "openid profile")
    assert (await userinfo(put, fresh["access_token"])).status_code == 200
    assert (await userinfo(put, old["access_token"])).status_code == 401  # what the disabling ended stays ended


async def test_a_duplicate_deactivated_by_the_binding_administrators_is_not_enabled(put, ops):
    """It gave its ID number and mobile to the original account (idp/casework/duplicates.py)."""
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(Account).where(Account.id == put.account.id).values(
            id_number="11010519491231002X", personal_id_number=None, personal_mobile=None, disabled_at=clock.now()))
    refused = await ops.write("POST", f"/accounts/{put.account.id}/enable")
    assert refused.status_code == 409 and refused.json()["message"] == "该账号已作为重复账号注销，不能重新启用。"
    async with put.portal.reader() as db:
        assert (await db.get(Account, put.account.id)).disabled_at is not None
    assert await audit_events(put, "account.enabled") == []


async def test_an_unknown_client_is_404_and_a_public_client_has_no_secret(put, ops):
    public = await put.add_client("native", token_endpoint_auth_method="none",
                                  redirect_uris=["http://127.0.0.1:8765/cb"])
    refused = await ops.write("POST", f"/clients/{public.client_id}/secret")
    assert refused.status_code == 400 and refused.json()["message"] == "该客户端为公开客户端，没有密钥。"
    assert (await ops.write("POST", "/clients/nosuch/disable")).status_code == 404
    assert ISSUER  # the API answers on the portal's issuer like the rest of the console
    async with put.portal.reader() as db:
        assert (await db.scalar(select(Client.disabled_at).where(Client.client_id == "nosuch"))) is None
