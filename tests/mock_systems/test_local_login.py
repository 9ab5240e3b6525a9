"""The business system's own login page (本系统账号登录): username, password and a graphic
captcha, a session of its own, and its logout; each of the four systems with its demo accounts."""
from __future__ import annotations

import httpx
import pytest

from mock_systems import classification, combination, drug, udi as udi_module
from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.common.sessions import cookie_name
from shared.messages import text
from tests.support.portal import hidden_fields
from tests.support.systems import CAPTCHA, running_system


async def local_login(browser: httpx.AsyncClient, username: str, password: str = DEMO_LOCAL_PASSWORD, *,
                      captcha: str = CAPTCHA) -> httpx.Response:
    page = await browser.get("/local/login")
    assert page.status_code == 200 and 'action="/local/login"' in page.text
    return await browser.post("/local/login", data={**hidden_fields(page.text), "username": username,
                                                    "password": password, "captcha": captcha})


async def test_the_right_password_logs_in_with_a_new_session_id(udi, udi_browser):
    await udi_browser.get("/local/login")
    anonymous = udi_browser.cookies.get(cookie_name(udi.system))
    response = await local_login(udi_browser, "UDI_Demo")  # usernames are not case-sensitive
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert udi_browser.cookies.get(cookie_name(udi.system)) not in (None, anonymous)
    home = await udi_browser.get("/")
    assert 'id="local-username">udi_demo<' in home.text and "本系统账号密码登录" in home.text
    assert "portal-sub" not in home.text
    (session,) = await udi.logged_in_sessions()
    assert session.login_method == "local" and session.portal_subject is None


@pytest.mark.parametrize("username, password", [("udi_demo", "Wrong@2026pass"), ("nobody", DEMO_LOCAL_PASSWORD)])
async def test_a_wrong_password_or_unknown_user_gets_one_message(udi, udi_browser, username, password):
    response = await local_login(udi_browser, username, password)
    assert response.status_code == 400
    assert text("system.local.wrong_credentials") in response.text
    assert f'value="{username}"' in response.text  # the username is kept, the password is not
    assert await udi.logged_in_sessions() == []


async def test_a_wrong_captcha_refuses_even_the_right_password(udi, udi_browser):
    response = await local_login(udi_browser, "udi_demo", captcha="WRONG")
    assert response.status_code == 400 and text("captcha.wrong") in response.text
    assert await udi.logged_in_sessions() == []


async def test_a_captcha_is_used_once(udi, udi_browser):
    page = await udi_browser.get("/local/login")
    fields = {**hidden_fields(page.text), "username": "udi_demo", "password": "Wrong@2026pass", "captcha": CAPTCHA}
    assert text("system.local.wrong_credentials") in (await udi_browser.post("/local/login", data=fields)).text
    again = await udi_browser.post("/local/login", data={**fields, "password": DEMO_LOCAL_PASSWORD})
    assert again.status_code == 400 and text("captcha.expired") in again.text
    assert await udi.logged_in_sessions() == []


async def test_the_captcha_image_is_served_and_the_answer_is_not(udi, udi_browser):
    page = await udi_browser.get("/local/login")
    captcha_id = hidden_fields(page.text)["captcha_id"]
    image = await udi_browser.get(f"/local/captcha/{captcha_id}.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG") and CAPTCHA not in page.text
    assert (await udi_browser.get("/local/captcha/unknown.png")).status_code == 404


async def test_a_form_without_its_csrf_token_is_refused(udi, udi_browser):
    page = await udi_browser.get("/local/login")
    fields = {**hidden_fields(page.text), "username": "udi_demo", "password": DEMO_LOCAL_PASSWORD,
              "captcha": CAPTCHA, "csrf_token": "forged"}
    response = await udi_browser.post("/local/login", data=fields)
    assert response.status_code == 403 and text("page.expired") in response.text
    assert await udi.logged_in_sessions() == []


async def test_logout_ends_the_local_session(udi, udi_browser):
    await local_login(udi_browser, "udi_demo")
    home = await udi_browser.get("/")
    forged = await udi_browser.post("/logout", data={"csrf_token": "forged"})
    assert forged.status_code == 403 and len(await udi.logged_in_sessions()) == 1
    response = await udi_browser.post("/logout", data=hidden_fields(home.text))
    assert response.status_code == 303 and response.headers["location"] == "/"  # no portal to visit
    assert await udi.logged_in_sessions() == []
    assert 'id="not-logged-in"' in (await udi_browser.get("/")).text


@pytest.mark.parametrize("module", [udi_module, classification, combination, drug], ids=lambda m: m.PROFILE.client_id)
async def test_each_system_has_its_demo_accounts(put, system_database_url, module):
    profile = module.PROFILE
    async with running_system(put, profile, system_database_url) as system:
        async with system.browser() as browser:
            for demo in profile.demo_accounts:
                assert (await local_login(browser, demo.username)).status_code == 303
                home = await browser.get("/")
                assert profile.display_name in home.text and f'id="local-username">{demo.username}<' in home.text
    assert [d.username for d in profile.demo_accounts] == [f"{profile.client_id}_demo", f"{profile.client_id}_demo2"]
