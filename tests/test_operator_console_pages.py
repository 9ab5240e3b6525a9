"""运维's page /staff/ops (idp.web.staff.ops over idp/operations/): a rotated secret shown once
in the answer (never in a URL), disable and enable, the keys' rotation, a user's sessions found
and ended, accounts found (masked), unlocked, disabled; a refusal shows the portal's words on
the page and changes nothing."""
from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from sqlalchemy import update

from idp import clock
from idp.accounts.models import Account, with_indexes
from idp.clients.models import Client
from idp.staff.roles import OPERATOR
from tests.support.signin import audit_events, settle_backchannel
from tests.support.staff import add_staff, staff_sign_in
from tests.support.tokens import code_flow, userinfo

NOTICE = re.compile(r'<p class="notice" role="status" id="ops-notice">(.*?)</p>', re.S)
ERROR = re.compile(r'<p class="error" role="alert" id="ops-error">(.*?)</p>', re.S)


@pytest.fixture
async def operator(put):
    secret = await add_staff(put, "yunwei", [OPERATOR])
    async with put.http() as client:
        await staff_sign_in(client, "yunwei", secret=secret)
        yield client


async def post(client, path: str, **data):
    page = await client.get("/staff/ops")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = await client.post(path, data={"csrf_token": token, **data})
    if response.status_code == 303:
        response = await client.get(response.headers["location"])
    return response


async def test_a_new_secret_is_shown_once_in_the_answer(put, operator):
    page = await post(operator, f"/staff/ops/clients/{put.rp.client_id}/secret")
    secret = re.search(r'<code id="secret-value">([^<]+)</code>', page.text).group(1)
    assert page.status_code == 200 and len(secret) >= 40
    assert secret not in (await operator.get("/staff/ops")).text


async def test_a_client_is_disabled_and_enabled_from_the_page(put, operator):
    page = await post(operator, f"/staff/ops/clients/{put.rp.client_id}/disable")
    assert "已停用客户端 rp" in unescape(NOTICE.search(page.text).group(1))
    row = re.search(r'<tr id="client-rp".*?</tr>', page.text, re.S).group(0)
    assert "已停用" in row and 'id="enable-rp"' in row
    again = await post(operator, f"/staff/ops/clients/{put.rp.client_id}/disable")
    assert again.status_code == 409 and ERROR.search(again.text).group(1) == "该客户端已停用。"
    page = await post(operator, f"/staff/ops/clients/{put.rp.client_id}/enable")
    assert "已启用客户端 rp" in NOTICE.search(page.text).group(1)


async def test_a_disabled_client_is_deleted_from_the_page(put, operator):
    assert 'id="delete-rp"' not in (await operator.get("/staff/ops")).text  # disable first
    await post(operator, f"/staff/ops/clients/{put.rp.client_id}/disable")
    page = await post(operator, f"/staff/ops/clients/{put.rp.client_id}/delete")
    assert "已删除客户端 rp" in unescape(NOTICE.search(page.text).group(1))
    row = re.search(r'<tr id="client-rp".*?</tr>', page.text, re.S).group(0)
    assert "已删除" in row and "<form" not in row.split('class="actions')[1]
    again = await post(operator, f"/staff/ops/clients/{put.rp.client_id}/delete")
    assert again.status_code == 409 and ERROR.search(again.text).group(1) == "该客户端已删除。"
    assert [e.actor for e in await audit_events(put, "client.deleted")] == ["staff:yunwei"]

async def test_an_edit_with_a_bad_uri_is_refused_on_the_page_and_changes_nothing(put, operator):
    page = await post(operator, f"/staff/ops/clients/{put.rp.client_id}/edit",
                      redirect_uris="http://evil.example.cn/cb", scope=["openid"])
    assert page.status_code == 400 and "客户端配置不正确" in ERROR.search(page.text).group(1)
    async with put.portal.reader() as db:
        assert (await db.get(Client, put.rp.client_id)).redirect_uris == [put.rp.redirect_uri]
    page = await post(operator, f"/staff/ops/clients/{put.rp.client_id}/edit",
                      redirect_uris="https://rp.example.cn/a\nhttps://rp.example.cn/b", scope=["openid", "profile"])
    assert "已更新客户端 rp" in NOTICE.search(page.text).group(1)
    async with put.portal.reader() as db:
        row = await db.get(Client, put.rp.client_id)
    assert row.redirect_uris == ["https://rp.example.cn/a", "https://rp.example.cn/b"]
    assert row.scopes == ["openid", "profile"]


async def test_a_users_session_is_found_and_ended_from_the_page(put, browser, operator):
    tokens = await code_flow(put, browser, put.rp, "openid profile")
    page = await operator.get("/staff/ops", params={"username": "zhangsan"})
    sid = re.search(r'action="/staff/ops/sessions/([^/"]+)/end"', page.text).group(1)
    page = await post(operator, f"/staff/ops/sessions/{sid}/end", username="zhangsan")
    assert NOTICE.search(page.text).group(1) == "已结束该会话，并通知了相关业务系统退出。"
    assert 'id="no-sessions"' in page.text
    await settle_backchannel(put)
    assert len(put.backchannel.received) == 1
    assert (await userinfo(put, tokens["access_token"])).status_code == 401
    unknown = await operator.get("/staff/ops", params={"username": "nobody"})
    assert ERROR.search(unknown.text).group(1) == "该用户名不存在。"


async def test_an_account_is_found_masked_unlocked_disabled_and_enabled_from_the_page(put, operator):
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(Account).where(Account.id == put.account.id)
                         .values(**with_indexes({"id_number": "11010519491231002X"}),
                                 locked_until=clock.now() + dt.timedelta(minutes=5)))
    page = await operator.get("/staff/ops", params={"q": "11010519491231002X"})
    row = re.search(r'<tr id="account-zhangsan".*?</tr>', page.text, re.S).group(0)
    id_cell = re.search(r'<td class="id-number">([^<]*)</td>', row).group(1)
    assert id_cell != "11010519491231002X" and "*" in id_cell and "已锁定" in row
    page = await post(operator, f"/staff/ops/accounts/{put.account.id}/unlock", q="zhangsan")
    assert "已解锁账号 zhangsan" in NOTICE.search(page.text).group(1)
    page = await post(operator, f"/staff/ops/accounts/{put.account.id}/disable", q="zhangsan")
    assert "已停用账号 zhangsan" in NOTICE.search(page.text).group(1)
    row = re.search(r'<tr id="account-zhangsan".*?</tr>', page.text, re.S).group(0)
    assert "已停用" in row
    assert [e.actor for e in await audit_events(put, "account.disabled")] == ["staff:yunwei"]
    page = await post(operator, f"/staff/ops/accounts/{put.account.id}/enable", q="zhangsan")
    assert "已启用账号 zhangsan" in NOTICE.search(page.text).group(1)
    row = re.search(r'<tr id="account-zhangsan".*?</tr>', page.text, re.S).group(0)
    assert "正常" in row and 'id="disable-account-zhangsan"' in row


async def test_a_client_registered_on_the_page_gets_its_secret_once_and_a_bad_one_is_refused(put, operator):
    page = await post(operator, "/staff/ops/clients", client_id="newsys", display_name="新系统",
                      redirect_uris="https://newsys.example.cn/cb", scope=["profile"])
    assert "已登记客户端 newsys" in NOTICE.search(page.text).group(1)
    assert re.search(r'<code id="secret-value">[^<]{40,}</code>', page.text)
    async with put.portal.reader() as db:
        row = await db.get(Client, "newsys")
    assert row.scopes == ["openid", "profile"] and row.redirect_uris == ["https://newsys.example.cn/cb"]
    refused = await post(operator, "/staff/ops/clients", client_id="Bad Id", display_name="x")
    assert refused.status_code == 400 and "客户端标识应为2至64位" in ERROR.search(refused.text).group(1)
    assert 'id="secret-value"' not in refused.text
