"""The login page: two windows (法人登录, 个人登录), what each accepts as a login name, the
graphic captcha on every attempt, where a login lands, and rehashing on login (issue 3;
docs/behaviours.md, Login windows)."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update

from idp.accounts.models import Account
from shared.hashing import Passwords
from shared.messages import text
from tests.support.authz import Clock, has_session_cookie
from tests.support.login import (
    CAPTCHA_EXPIRED,
    CAPTCHA_WRONG,
    WRONG_CREDENTIALS,
    account_row,
    add_legal_person,
    alert,
    attempt,
    logged_in_to,
    open_login,
)
from tests.support.portal import PASSWORD, hidden_fields


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def active_tab(page) -> str:
    [tab] = re.findall(r'<a id="window-(\w+)"[^>]*class="active"', page.text)
    return tab


# --- the page -------------------------------------------------------------------------------

async def test_the_page_has_two_windows_with_the_guides_fields_and_links(put, browser):
    page = await browser.go("/login")
    assert active_tab(page) == "legal"  # 法人登录 first, as in the guides
    for label in ("法人登录", "个人登录", "请输入密码", "请输入图形验证码", "用户解锁", "忘记密码", "还没账号? 去注册"):
        assert label in page.text
    for element in ('id="username"', 'id="password"', 'id="captcha"', 'id="submit"', 'href="/unlock"',
                    'href="/recovery"', 'href="/register/legal"'):
        assert element in page.text
    captcha_id = hidden_fields(page.text)["captcha_id"]
    assert f'src="/captcha/{captcha_id}.png"' in page.text
    personal = await browser.go(re.search(r'id="window-personal" href="([^"]+)"', page.text).group(1)
                                .replace("&amp;", "&"))
    assert active_tab(personal) == "personal"
    assert hidden_fields(personal.text)["window"] == "personal"
    assert 'placeholder="请输入用户名/身份证号码/手机号码"' in personal.text
    assert 'href="/register/personal"' in personal.text
    assert hidden_fields(personal.text)["interaction"] == hidden_fields(page.text)["interaction"]
    assert hidden_fields(personal.text)["captcha_id"] != captcha_id  # every rendering, a new captcha


# --- 个人登录 --------------------------------------------------------------------------------

@pytest.mark.parametrize("login_name", ["zhangsan", "ZhangSan", "110000198506120133", "13800138000",
                                        "138 0013 8000", "+8613800138000"])
async def test_personal_window_takes_username_id_number_or_mobile(put, browser, login_name):
    response = await attempt(browser, await open_login(browser, "personal"), login_name)
    assert logged_in_to(response) == "/space"


async def test_personal_window_takes_a_15_digit_id_number_and_a_lower_case_x(put, browser):
    await put.add_account("laowang", id_type="居民身份证", id_number="310000197203151234",
                          id_number_original="310000720315123")
    await put.add_account("xiaoli", id_type="居民身份证", id_number="31000019920229024X")
    assert logged_in_to(await attempt(browser, await open_login(browser), "310000720315123")) == "/space"
    assert logged_in_to(await attempt(browser, await open_login(browser), "31000019920229024x")) == "/space"


async def test_personal_window_refuses_a_legal_persons_username_mobile_and_representative_id(put, browser):
    legal = await add_legal_person(put)
    for login_name in (legal.username, legal.mobile, legal.id_number):
        response = await attempt(browser, await open_login(browser, "personal"), login_name)
        assert response.status_code == 200 and alert(response) == WRONG_CREDENTIALS
        assert not has_session_cookie(response)


# --- 法人登录 --------------------------------------------------------------------------------

async def test_legal_window_takes_a_legal_persons_username(put, browser):
    legal = await add_legal_person(put)
    response = await attempt(browser, await open_login(browser, "legal"), "QIYE")
    assert logged_in_to(response) == "/space"
    assert (await account_row(put, legal.id)).failed_logins == 0


async def test_legal_window_refuses_a_mobile_number_and_an_id_number(put, browser):
    """Seed 000 item 4: a mobile number in 法人登录 gets 输入的用户名或密码错误 — and so does an ID
    number: the window takes usernames only."""
    legal = await add_legal_person(put)
    for login_name in (legal.mobile, "13800138000", "110000198506120133"):
        page = await open_login(browser, "legal")
        response = await attempt(browser, page, login_name)
        assert response.status_code == 200 and alert(response) == WRONG_CREDENTIALS, login_name
        assert not has_session_cookie(response)
        assert hidden_fields(response.text)["window"] == "legal"
        assert f'name="username" value="{login_name}"' in response.text
    # A name that is not this window's login name is no failure of that account.
    assert (await account_row(put, put.account.id)).failed_logins == 0


async def test_legal_window_tells_a_person_who_is_nobodys_agent_to_use_个人登录(put, browser):
    """Agents use 法人登录 with their own username; a person no enterprise authorized
    is told so — only after the right password, so a guesser learns nothing."""
    response = await attempt(browser, await open_login(browser, "legal"), "zhangsan")
    assert alert(response) == text("login.not_agent") and not has_session_cookie(response)


async def test_an_unknown_window_value_is_the_legal_window(put, browser):
    response = await attempt(browser, await open_login(browser), "zhangsan", window="anything")
    assert alert(response) == text("login.not_agent") and active_tab(response) == "legal"


# --- wrong password, unknown names ---------------------------------------------------------

async def test_wrong_password_keeps_the_name_but_never_the_password(put, browser):
    response = await attempt(browser, await open_login(browser), "zhangsan", "Wrong@2026pass")
    assert alert(response) == WRONG_CREDENTIALS
    assert 'name="username" value="zhangsan"' in response.text
    assert "Wrong@2026pass" not in response.text
    assert (await account_row(put, put.account.id)).failed_logins == 1


async def test_an_unknown_login_name_is_checked_against_the_dummy_hash(put, browser, monkeypatch):
    checked = []
    real_verify = put.portal.passwords.verify

    async def verify(stored_hash, password):
        checked.append(stored_hash)
        return await real_verify(stored_hash, password)

    monkeypatch.setattr(put.portal.passwords, "verify", verify)
    response = await attempt(browser, await open_login(browser), "nobody", PASSWORD)
    assert alert(response) == WRONG_CREDENTIALS
    assert checked == [None]  # the same argon2 work as for a real account


# --- captcha ------------------------------------------------------------------------------

async def test_a_wrong_captcha_is_refused_before_the_password_is_looked_at(put, browser):
    page = await open_login(browser)
    response = await attempt(browser, page, "zhangsan", PASSWORD, captcha="ABCD")
    assert response.status_code == 200 and alert(response) == CAPTCHA_WRONG
    assert not has_session_cookie(response)
    assert 'name="username" value="zhangsan"' in response.text and PASSWORD not in response.text
    assert hidden_fields(response.text)["window"] == "personal"
    assert hidden_fields(response.text)["captcha_id"] != hidden_fields(page.text)["captcha_id"]
    assert (await account_row(put, put.account.id)).failed_logins == 0
    # The new captcha on the page works.
    assert logged_in_to(await attempt(browser, response, "zhangsan")) == "/space"


async def test_the_captcha_answer_ignores_case_and_spaces(put, browser):
    assert logged_in_to(await attempt(browser, await open_login(browser), "zhangsan", captcha=" test ")) == "/space"


async def test_an_expired_captcha_is_refused(put, browser, clock):
    page = await open_login(browser)
    clock.advance(5 * 60 + 1)
    response = await attempt(browser, page, "zhangsan")
    assert alert(response) == CAPTCHA_EXPIRED and not has_session_cookie(response)
    assert logged_in_to(await attempt(browser, response, "zhangsan")) == "/space"


async def test_a_captcha_is_used_once_right_or_wrong(put, browser):
    page = await open_login(browser)
    first = await attempt(browser, page, "zhangsan", "Wrong@2026pass")
    assert alert(first) == WRONG_CREDENTIALS
    replay = await attempt(browser, page, "zhangsan")  # the first page's captcha again
    assert alert(replay) == CAPTCHA_EXPIRED and not has_session_cookie(replay)
    assert logged_in_to(await attempt(browser, replay, "zhangsan")) == "/space"
    assert alert(await attempt(browser, replay, "zhangsan")) == CAPTCHA_EXPIRED


@pytest.mark.parametrize("captcha_id", [None, "", "no-such-captcha", "a\x00b", "x" * 500])
async def test_a_missing_or_malformed_captcha_id_is_an_expired_captcha(put, browser, captcha_id):
    page = await open_login(browser)
    fields = {**hidden_fields(page.text), "username": "zhangsan", "password": PASSWORD, "captcha": "TEST"}
    if captcha_id is None:
        del fields["captcha_id"]
    else:
        fields["captcha_id"] = captcha_id
    response = await browser.client.post("/login", data=fields)
    assert response.status_code == 200 and alert(response) == CAPTCHA_EXPIRED


# --- where a login lands --------------------------------------------------------------------

async def test_the_front_door_sends_to_login_or_to_the_space(put, browser):
    response = await browser.client.get("/")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    await attempt(browser, await open_login(browser), "zhangsan")
    response = await browser.client.get("/")
    assert response.status_code == 303 and response.headers["location"] == "/space"


async def test_third_party_login_without_a_session_continues_to_the_system_after_login(put, browser):
    # A system outside 授权绑定 (no binding URIs): the portal sends the user straight on.
    await put.add_client("tp", initiate_login_uri="https://tp.rp.example.test/sso/start", binding_start_uri=None,
                         binding_api_uri=None)
    page = await browser.go("/sso/tp")
    assert 'action="/login"' in page.text
    response = await attempt(browser, page, "zhangsan", window="personal")
    assert logged_in_to(response) == "/sso/tp"
    onwards = await browser.client.get(response.headers["location"])
    target = urlsplit(onwards.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == "https://tp.rp.example.test/sso/start"
    assert parse_qs(target.query)["target_link_uri"] == ["https://tp.rp.example.test/"]


@pytest.mark.parametrize("return_to", ["//evil.example/", "https://evil.example/", "/\\evil.example",
                                       "javascript:alert(1)", "/sso/tp\r\nSet-Cookie: x=1", "sso/tp"])
async def test_only_a_local_path_is_a_place_to_return_to(put, browser, return_to):
    page = await browser.go("/login?" + f"window=personal&return_to={return_to}".replace("\r\n", "%0D%0A"))
    assert logged_in_to(await attempt(browser, page, "zhangsan")) == "/space"


# --- password parameters ----------------------------------------------------------------------

async def test_a_hash_with_old_parameters_is_replaced_at_login(put, browser):
    old_hash = Passwords(memory_kib=128, time_cost=2, parallelism=1).hash_sync(PASSWORD)
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(Account).where(Account.id == put.account.id).values(password_hash=old_hash))
    assert logged_in_to(await attempt(browser, await open_login(browser), "zhangsan")) == "/space"
    new_hash = (await account_row(put, put.account.id)).password_hash
    assert new_hash != old_hash and not put.portal.passwords.needs_rehash(new_hash)
    assert await put.portal.passwords.verify(new_hash, PASSWORD)
