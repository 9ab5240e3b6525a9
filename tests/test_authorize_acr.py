"""Requested real-name levels (acr_values, an essential acr claim, a client's default_acr_values):
a login that reaches the level gets a code and an ID token whose acr says so; one that cannot gets
the portal's explanation, or with prompt=none the error unmet_authentication_requirements
(OpenID Connect Core Error Code unmet_authentication_requirements 1.0)."""
import html
import json
import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import update

from idp.accounts.models import Account
from idp.oidc.client_registration import ClientConfigError, check_client_fields
from idp.oidc.sessions_acr import ACR_LEVEL_2, ACR_LEVEL_3, ACR_PASSWORD
from idp.sessions.store import browser_cookie_name
from tests.support.authz import (
    AuthRequest,
    assert_code_redirect,
    assert_error_redirect,
    authorize_and_redeem,
    id_token_claims,
    redeem,
)
from tests.support.portal import Browser
from tests.support.registration import latest_confirmation
from tests.support.token_flows import audit_events

UPGRADE_LINK = re.compile(r'id="acr-upgrade" href="([^"]+)"')
BACK_LINK = re.compile(r'id="back-to-system" href="([^"]+)"')


async def set_level(put, username: str, level: int) -> None:
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(Account).where(Account.username == username).values(realname_level=level))


async def test_a_level_2_login_asked_for_level_2_gets_it_in_the_id_token(put, browser):
    claims, _ = await authorize_and_redeem(put, browser, AuthRequest.build(put.rp, acr_values=ACR_LEVEL_2))
    assert claims["acr"] == ACR_LEVEL_2


async def test_a_level_2_login_asked_for_level_3_is_shown_the_way_to_upgrade(put, browser):
    response = await browser.authorize(AuthRequest.build(put.rp, acr_values=ACR_LEVEL_3).params)
    assert response.status_code == 403 and "location" not in response.headers
    assert "测试应用 rp要求实名等级为三级，您的账号需三级实名认证后才可以登录" in response.text
    assert 'href="/upgrade?interaction=' in response.text
    [event] = await audit_events(put, "authorization.acr_unmet")
    assert event.details["requested"] == [ACR_LEVEL_3] and event.details["realname_level"] == 2
    assert await audit_events(put, "authorization.code_issued") == []


async def test_after_the_upgrade_the_same_request_gets_level_3(put, browser):
    request = AuthRequest.build(put.rp, acr_values=f"{ACR_LEVEL_3} {ACR_LEVEL_2}")
    await set_level(put, "zhangsan", 3)
    claims, _ = await authorize_and_redeem(put, browser, request)
    assert claims["acr"] == ACR_LEVEL_3
    # Without acr_values the ID token says what was reached.
    claims, _ = await authorize_and_redeem(put, browser, AuthRequest.build(put.rp))
    assert claims["acr"] == ACR_LEVEL_3


async def test_the_upgrade_leads_back_to_the_system_s_login_which_then_gets_level_3(put, browser):
    """The page of an unmet 三级 parks the request; /upgrade carries it along and its done page
    leads back to /authorize/resume, which now issues the code with acr 三级."""
    request = AuthRequest.build(put.rp, acr_values=ACR_LEVEL_3)
    unmet = await browser.authorize(request.params)
    upgrade = await browser.go(html.unescape(UPGRADE_LINK.search(unmet.text).group(1)))
    assert "升级成功后，可返回测试应用 rp继续登录。" in upgrade.text
    confirm = await browser.submit(upgrade, "/upgrade")
    done = await browser.submit(confirm, "/upgrade/confirm", confirmation=await latest_confirmation(put))
    back = BACK_LINK.search(done.text)
    assert "升级成功" in done.text and back, done.text[-800:]
    response = await browser.go(html.unescape(back.group(1)))
    if 'action="/consent"' in response.text:
        response = await browser.submit(response, "/consent", decision="allow")
    code = assert_code_redirect(response, put.rp, request.state)
    claims = await id_token_claims(put, (await redeem(put, put.rp, code, request.verifier))["id_token"])
    assert claims["acr"] == ACR_LEVEL_3


async def test_an_upgrade_with_a_parked_login_of_another_browser_ends_without_the_way_back(put, browser):
    unmet = await browser.authorize(AuthRequest.build(put.rp, acr_values=ACR_LEVEL_3).params)
    link = html.unescape(UPGRADE_LINK.search(unmet.text).group(1))
    other = Browser(put)
    try:
        other.client.cookies = browser.client.cookies  # the same login session …
        other.client.cookies.delete(browser_cookie_name(put.settings))  # … on another browser
        upgrade = await other.go(link)
        assert "开始认证" in upgrade.text and "继续登录" not in upgrade.text
    finally:
        await other.aclose()


async def test_a_level_3_login_asked_for_level_2_gets_level_2(put, browser):
    """OIDC Core §5.5.1.1: the acr returned is one of those requested, and 三级 meets 二级."""
    await set_level(put, "zhangsan", 3)
    claims, _ = await authorize_and_redeem(put, browser, AuthRequest.build(put.rp, acr_values=ACR_LEVEL_2))
    assert claims["acr"] == ACR_LEVEL_2


async def test_prompt_none_gets_unmet_authentication_requirements(put, browser):
    await authorize_and_redeem(put, browser, AuthRequest.build(put.rp))  # signed in at 二级
    request = AuthRequest.build(put.rp, acr_values=ACR_LEVEL_3, prompt="none")
    response = await browser.client.get("/authorize?" + urlencode(request.params))
    assert_error_redirect(response, put.rp, "unmet_authentication_requirements", request.state)


async def test_an_account_that_cannot_upgrade_is_told_without_an_upgrade_link(put, browser):
    await put.add_account("corp", name="李四", account_type="legal_person", enterprise_name="示例医疗器械有限公司",
                          credit_code="91110105PDY0001752", realname_level=2)
    response = await browser.authorize(AuthRequest.build(put.rp, acr_values=ACR_LEVEL_3).params, username="corp")
    assert response.status_code == 403
    assert "要求的实名等级高于您账号的实名等级" in response.text and 'href="/upgrade' not in response.text


async def test_an_essential_acr_claim_is_honoured_like_acr_values(put, browser):
    claims = json.dumps({"id_token": {"acr": {"essential": True, "values": [ACR_LEVEL_3]}}})
    response = await browser.authorize(AuthRequest.build(put.rp, claims=claims).params)
    assert response.status_code == 403 and 'href="/upgrade?interaction=' in response.text


async def test_unknown_acr_values_ask_for_nothing(put, browser):
    claims, _ = await authorize_and_redeem(put, browser, AuthRequest.build(put.rp, acr_values="urn:other:loa:4"))
    assert claims["acr"] == ACR_LEVEL_2


async def test_a_client_registered_default_acr_values_applies_when_the_request_names_none(put, browser):
    strict = await put.add_client("strict", default_acr_values=[ACR_LEVEL_3])
    response = await browser.authorize(AuthRequest.build(strict).params)
    assert response.status_code == 403 and "测试应用 strict要求实名等级为三级" in response.text
    # The request's own acr_values win over the default.
    claims, _ = await authorize_and_redeem(put, browser, AuthRequest.build(strict, acr_values=ACR_LEVEL_2))
    assert claims["acr"] == ACR_LEVEL_2


def test_default_acr_values_must_be_the_portal_s():
    check_client_fields({"default_acr_values": [ACR_PASSWORD, ACR_LEVEL_3]}, production=False)
    with pytest.raises(ClientConfigError):
        check_client_fields({"default_acr_values": ["urn:other:loa:4"]}, production=False)


async def test_discovery_advertises_the_levels(put):
    async with put.http() as http:
        metadata = (await http.get("/.well-known/openid-configuration")).json()
    assert metadata["acr_values_supported"] == [ACR_PASSWORD, ACR_LEVEL_2, ACR_LEVEL_3]
