"""国家政务服务平台账号登录 over HTTP against the stand-in (a separate process of the portal's own
provider): the first login creating an account, later logins straight in, and what the session
says about it (amr, acr) to the business systems."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from idp.accounts.models import Account, AccountType
from idp.audit.models import AuditEvent
from idp.sessions.models import UserSession
from idp.upstream_links.models import UpstreamLink
from tests.support.portal import callback_params
from tests.support.registration import digest_of
from tests.support.token_flows import pkce_pair, redeem
from tests.support.upstream import count

ZHAOLIU = "110101199003071233"


async def test_both_login_windows_offer_the_upstream_login(sites):
    for window in ("legal", "personal"):
        page = await sites.go(f"/login?window={window}")
        assert "其他方式登录" in page.text and "国家政务服务平台账号登录" in page.text


async def test_a_first_login_creates_an_account_of_the_vouched_data_and_later_logins_go_straight_in(
        put, upstream, sites):
    await upstream.add_person("gov_zhaoliu", ZHAOLIU, name="赵六", level=3, mobile="13600136000",
                              mobile_verified_at=dt.datetime.now(dt.UTC))  # proven upstream; the e-mail not
    page = await sites.log_in_upstream(await sites.upstream_login(), "gov_zhaoliu")
    assert page.url.path == "/upstream/first" and 'action="/upstream/create"' in page.text
    assert "赵六" in page.text and "三级" in page.text and ZHAOLIU not in page.text  # the number masked

    done = await sites.submit(page, "/upstream/create", username="zhaoliu", password="Zhao@2026liu",
                              password_confirm="Zhao@2026liu")
    assert done.url.path == "/space", done.text[:300]
    async with put.portal.reader() as db:
        account = await db.scalar(select(Account).where(Account.username == "zhaoliu"))
        session = await db.scalar(select(UserSession).where(UserSession.account_id == account.id))
    assert (account.account_type, account.name, account.id_number, account.personal_id_number,
            account.realname_level, account.mobile) == (
        AccountType.personal, "赵六", ZHAOLIU, digest_of(put, Account.personal_id_number, ZHAOLIU), 3, "13600136000")
    assert account.mobile_verified_at is not None and account.email_verified_at is None
    assert session.amr[0] == "fed" and session.acr == "urn:zwfw:acr:realname:level-3"
    assert await count(put, UpstreamLink, UpstreamLink.account_id == account.id) == 1
    assert await count(put, AuditEvent, AuditEvent.event == "upstream.linked",
                       AuditEvent.subject == account.subject) == 1

    # A new browser session at the portal: the next login through the upstream goes straight in.
    sites.portal.cookies.clear()
    page = await sites.upstream_login()
    assert page.url.path == "/space", (page.url, page.text[:300])  # the upstream's session is still there
    assert await count(put, Account, Account.name == "赵六") == 1
    assert await count(put, AuditEvent, AuditEvent.event == "upstream.login",
                       AuditEvent.subject == account.subject) == 1


async def test_the_new_account_can_also_log_in_with_its_own_password(put, upstream, sites):
    await upstream.add_person("gov_zhaoliu", ZHAOLIU, name="赵六")
    page = await sites.log_in_upstream(await sites.upstream_login(), "gov_zhaoliu")
    await sites.submit(page, "/upstream/create", username="zhaoliu", password="Zhao@2026liu",
                       password_confirm="Zhao@2026liu")
    sites.portal.cookies.clear()
    login = await sites.go("/login?window=personal")
    assert (await sites.submit(login, "/login", username=ZHAOLIU, password="Zhao@2026liu",
                               captcha="TEST")).url.path == "/space"


async def test_a_weak_password_or_a_taken_username_creates_nothing(put, upstream, sites):
    await upstream.add_person("gov_zhaoliu", ZHAOLIU, name="赵六")
    await put.add_account("taken", account_type="personal")
    page = await sites.log_in_upstream(await sites.upstream_login(), "gov_zhaoliu")
    weak = await sites.submit(page, "/upstream/create", username="zhaoliu", password="short",
                              password_confirm="short")
    assert weak.status_code == 400 and "密码应为8~16个字符" in weak.text
    taken = await sites.submit(page, "/upstream/create", username="taken", password="Zhao@2026liu",
                               password_confirm="Zhao@2026liu")
    assert taken.status_code == 400 and "用户名已存在" in taken.text
    assert await count(put, Account, Account.name == "赵六") == 0 and await count(put, UpstreamLink) == 0


async def test_a_system_login_through_the_upstream_comes_back_to_the_system_with_fed_in_amr(put, upstream, sites):
    """/authorize parks the request and shows the login page; 国家政务服务平台账号登录 and the first
    login's 创建账号 lead back into it, and the system's ID token says how the user came in."""
    await upstream.add_person("gov_zhaoliu", ZHAOLIU, name="赵六", level=3)
    verifier, challenge = pkce_pair()
    params = {"response_type": "code", "client_id": put.rp.client_id, "redirect_uri": put.rp.redirect_uri,
              "scope": "openid", "state": "s-1", "nonce": "n-1", "code_challenge": challenge,
              "code_challenge_method": "S256"}
    login = await sites.go("/authorize?" + urlencode(params))
    assert 'action="/login"' in login.text  # in 法人登录: to 个人登录, then 国家政务服务平台账号登录
    personal = login.text.split('id="window-personal" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    page = await sites.log_in_upstream(await sites.upstream_login(start=personal), "gov_zhaoliu")
    back = await sites.submit(page, "/upstream/create", username="zhaoliu", password="Zhao@2026liu",
                              password_confirm="Zhao@2026liu")
    answer = callback_params(back)
    assert answer["state"] == "s-1" and "code" in answer, answer
    tokens = (await redeem(put, put.rp, answer["code"], verifier)).json()
    claims = jwt.decode(tokens["id_token"], KeySet.import_key_set((await sites.portal.get("/jwks")).json())).claims
    assert claims["amr"][0] == "fed" and claims["acr"] == "urn:zwfw:acr:realname:level-3"
    assert claims["nonce"] == "n-1"


async def test_a_mobile_another_account_logs_in_with_is_left_out_of_the_new_account(put, upstream, sites):
    await upstream.add_person("gov_zhaoliu", ZHAOLIU, name="赵六", mobile="13800138000")  # zhangsan's login name
    page = await sites.log_in_upstream(await sites.upstream_login(), "gov_zhaoliu")
    done = await sites.submit(page, "/upstream/create", username="zhaoliu", password="Zhao@2026liu",
                              password_confirm="Zhao@2026liu")
    assert done.url.path == "/space"
    async with put.portal.reader() as db:
        account = await db.scalar(select(Account).where(Account.username == "zhaoliu"))
    assert account.mobile is None and account.id_number == ZHAOLIU
