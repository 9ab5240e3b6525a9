"""A staff deployment of the provider (the supervision portal, 综合监管门户; docs/supervision.md):
no self-registration, one login window for officials, TOTP required of every account (enrolment
at the first login, a code at each login, a replayed code refused, racing uses passing once),
and the ``supervision`` scope releasing an official's unit and jurisdiction."""
from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from idp.accounts.models import Account, AccountTotp
from idp.accounts.officials import create_official
from idp.accounts.totp import reset
from idp.errors import DomainError
from tests.support.cli import idp
from tests.support.portal import Browser, callback_params, hidden_fields, running_portal
from tests.support.signin import audit_events
from tests.support.staff import fresh_code
from tests.support.supervision import (
    SUPERVISION_SETTINGS,
    add_official,
    code_step,
    enrolment_secret,
    password_step,
)
from tests.support.tokens import pkce_pair, userinfo, verified_claims

WRONG = "动态验证码错误，请输入验证器当前显示的6位数字"
REPLAYED = "该动态验证码已使用过，请等待验证器显示新的验证码后再输入"


@pytest.fixture
async def sup(database_url):
    async with running_portal(database_url, **SUPERVISION_SETTINGS) as put:
        put.rp = await put.add_client("drug_supervision", scopes=["openid", "profile", "identity", "supervision"],
                                      account_types=["official"], binding_modes=["existing"])
        put.official = await add_official(put)
        yield put


@pytest.fixture
async def browser(sup):
    browser = Browser(sup)
    yield browser
    await browser.aclose()


async def enrolled(browser: Browser, username: str = "zj_official") -> str:
    """The first login: enrol, sign in; the secret."""
    page = await password_step(browser, await browser.go("/login"), username)
    secret = enrolment_secret(page)
    assert secret is not None, page.text[:500]
    assert (await code_step(browser, page, secret)).status_code == 200
    await browser.go("/logout")
    browser.client.cookies.clear()
    return secret


async def test_registration_is_refused_and_never_offered(sup, browser):
    for path in ("/register", "/register/personal", "/register/legal"):
        page = await browser.go(path)
        assert page.status_code == 403 and "本门户不开放注册" in page.text, path
    async with sup.http() as http:
        posted = await http.post("/register/personal", data={"username": "x"})
    assert posted.status_code == 403
    login = await browser.go("/login")
    assert 'id="single-window"' in login.text
    assert "去注册" not in login.text and "法人登录" not in login.text and "个人登录" not in login.text


async def test_the_password_alone_opens_nothing_and_enrolment_comes_first(sup, browser):
    page = await password_step(browser, await browser.go("/login"), "zj_official")
    secret = enrolment_secret(page)
    assert secret and 'id="totp-qr"' in page.text and "绑定动态验证码" in page.text
    assert (await browser.client.get("/space")).headers["location"].startswith("/login")
    again = await browser.go(str(page.url))  # a reload shows the same secret
    assert enrolment_secret(again) == secret
    right = await fresh_code(secret)
    wrong = await code_step(browser, page, None, code=f"{(int(right) + 500000) % 1000000:06d}")
    assert wrong.status_code == 400 and WRONG in wrong.text
    space = await code_step(browser, wrong, secret, right)
    assert space.status_code == 200 and str(space.url).endswith("/space")
    assert "工作空间" in space.text and "浙江省药品监督管理局 · 管辖区域 330000" in space.text
    [event] = await audit_events(sup, "account.totp_enrolled")
    assert event.subject == sup.official.subject


async def test_each_login_asks_a_code_and_a_replayed_one_is_refused(sup, browser):
    secret = await enrolled(browser)
    page = await password_step(browser, await browser.go("/login"), "zj_official")
    assert enrolment_secret(page) is None and "请输入验证器应用当前显示的6位动态验证码" in page.text
    code = await fresh_code(secret)
    assert (await code_step(browser, page, secret, code)).status_code == 200
    await browser.go("/logout")
    browser.client.cookies.clear()
    page = await password_step(browser, await browser.go("/login"), "zj_official")
    replay = await code_step(browser, page, secret, code)
    assert replay.status_code == 400 and REPLAYED in replay.text
    assert (await browser.client.get("/space")).headers["location"].startswith("/login")
    failures = await audit_events(sup, "login.failed")
    assert [e.details.get("reason") for e in failures] == ["replayed_code"]


async def test_two_logins_racing_with_one_code_sign_in_once(sup):
    first, second = Browser(sup), Browser(sup)
    try:
        secret = await enrolled(first)
        pages = [await password_step(b, await b.go("/login"), "zj_official") for b in (first, second)]
        code = await fresh_code(secret)
        answers = await asyncio.gather(code_step(first, pages[0], secret, code),
                                       code_step(second, pages[1], secret, code))
        assert sorted(a.status_code for a in answers) == [200, 400]
    finally:
        await first.aclose()
        await second.aclose()


async def test_wrong_codes_count_toward_the_lockout(database_url):
    async with running_portal(database_url, lockout_threshold=2, **SUPERVISION_SETTINGS) as sup:
        official = await add_official(sup)
        browser = Browser(sup)
        try:
            page = await password_step(browser, await browser.go("/login"), "zj_official")
            page = await code_step(browser, page, None, code="99999x")
            assert WRONG in page.text
            locked = await code_step(browser, page, None, code="99999x")
            assert "账号已被锁定" in locked.text
            async with sup.portal.reader() as db:
                assert (await db.get(Account, official.id)).locked_until is not None
        finally:
            await browser.aclose()


async def test_tokens_carry_the_unit_and_jurisdiction_and_the_second_factor(sup, browser):
    secret = await enrolled(browser)
    verifier, challenge = pkce_pair()
    params = dict(response_type="code", client_id="drug_supervision", redirect_uri=sup.rp.redirect_uri,
                  scope="openid profile identity supervision", state="s1", nonce="n1", code_challenge=challenge,
                  code_challenge_method="S256",
                  claims='{"id_token": {"jurisdiction": null, "unit": null}}')
    page = await browser.go("/authorize?" + urlencode(params))
    page = await code_step(browser, await password_step(browser, page, "zj_official"), secret)
    code = callback_params(page)["code"]
    async with sup.http() as http:
        tokens = (await http.post("/token", auth=(sup.rp.client_id, sup.rp.client_secret), data=dict(
            grant_type="authorization_code", code=code, redirect_uri=sup.rp.redirect_uri,
            code_verifier=verifier))).json()
    claims = await verified_claims(sup, tokens["id_token"])
    assert claims["jurisdiction"] == "330000" and claims["unit"] == "浙江省药品监督管理局"
    assert set(claims["amr"]) >= {"pwd", "otp"}
    info = (await userinfo(sup, tokens["access_token"])).json()
    assert info["account_type"] == "official" and info["jurisdiction"] == "330000"
    assert info["unit"] == "浙江省药品监督管理局" and info["name"] == "赵监管"


@pytest.mark.parametrize("jurisdiction", ["000000", "330102", "33000", "3300001", "abcdef", "3300"])
async def test_an_official_needs_a_province_or_city_jurisdiction(sup, jurisdiction):
    with pytest.raises(DomainError) as refused:
        await add_official(sup, "another_one", jurisdiction=jurisdiction)
    assert refused.value.message_id == "officials.jurisdiction_invalid"
    async with sup.portal.reader() as db:
        assert await db.scalar(select(Account).where(Account.username == "another_one")) is None
    city = await add_official(sup, "hz_official", jurisdiction="330100", unit="杭州市市场监督管理局")
    assert city.jurisdiction == "330100"


async def test_officials_only_at_the_single_window(database_url):
    """In a public deployment an official is no personal or legal account: neither window takes it."""
    async with running_portal(database_url) as put:
        await add_official(put)
        browser = Browser(put)
        try:
            for window in ("personal", "legal"):
                page = await browser.login(await browser.go("/login"), "zj_official", window=window)
                assert "输入的用户名或密码错误" in page.text
        finally:
            await browser.aclose()


async def test_a_reset_authenticator_enrols_again(sup, browser):
    await enrolled(browser)
    async with sup.portal.sessionmaker.begin() as db:
        assert await reset(db, sup.official.id)
        assert await db.get(AccountTotp, sup.official.id) is None
    page = await password_step(browser, await browser.go("/login"), "zj_official")
    assert enrolment_secret(page) is not None


async def test_create_official_refuses_a_taken_username(sup):
    async with sup.portal.sessionmaker.begin() as db:
        with pytest.raises(DomainError) as refused:
            await create_official(db, sup.portal.passwords, username="zj_official", name="x", unit="y",
                                  jurisdiction="330000", password="Other@2026pass", actor="test")
    assert refused.value.message_id == "officials.username_taken"


async def test_operators_open_officials_and_reset_their_authenticator_from_the_command_line(
        sup, monkeypatch, database_url, capsys):
    for name, value in (("IDP_DATABASE_URL", database_url), ("IDP_ARGON2_MEMORY_KIB", "64"),
                        ("IDP_ARGON2_TIME_COST", "1")):
        monkeypatch.setenv(name, value)
    create = ["officials", "create", "Hz_Official", "--name", "孙监管", "--unit", "杭州市市场监督管理局",
              "--password-stdin"]
    assert await idp(monkeypatch, *create, "--jurisdiction", "330102", stdin="Other@2026pass\n") == 2
    assert "管辖区域须为省级或地市级6位行政区划代码" in capsys.readouterr().err
    assert await idp(monkeypatch, *create, "--jurisdiction", "330100", stdin="Other@2026pass\n") == 0
    assert "official hz_official created" in capsys.readouterr().out
    async with sup.portal.reader() as db:
        account = await db.scalar(select(Account).where(Account.username == "hz_official"))
    assert (account.account_type.value, account.unit, account.jurisdiction) == ("official", "杭州市市场监督管理局",
                                                                                 "330100")
    assert await idp(monkeypatch, "officials", "reset-totp", "hz_official") == 0
    assert await idp(monkeypatch, "officials", "reset-totp", "nobody") == 2


async def test_my_bindings_offers_officials_the_existing_account_binding_only(sup, browser):
    secret = await enrolled(browser)
    await code_step(browser, await password_step(browser, await browser.go("/login"), "zj_official"), secret)
    listing = await browser.go("/space/bindings")
    assert 'id="system-drug_supervision" data-state="bind"' in listing.text
    page = await browser.go("/space/bindings/drug_supervision")
    assert 'id="mode-create"' not in page.text and 'id="mode-existing"' in page.text
    assert "只能绑定已开通的账号" in page.text
    assert "获取您的单位和管辖区域" in page.text and "企业信息" not in page.text
    refused = await browser.submit(page, "/space/bindings/drug_supervision", mode="create")
    assert refused.status_code == 409 and "只能绑定已开通的账号" in refused.text
    started = await browser.client.post("/space/bindings/drug_supervision",
                                        data={**hidden_fields(page.text), "mode": "existing"})
    assert started.status_code == 303 and "binding/start" in started.headers["location"]
