"""What the portal refuses on the way back from the upstream — a changed state, nonce, iss or PKCE
challenge, an ID token signed by another key, a cancelled login, the upstream down —: each a page
in Chinese, nobody logged in, nothing created."""
from __future__ import annotations

import dataclasses
import datetime as dt
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy import update

from idp.accounts.models import Account
from idp.audit.models import AuditEvent
from idp.captcha.providers import TEST_ANSWER
from idp.flows.models import Flow
from idp.flows.upstream import client
from idp.keys.models import SigningKey
from idp.testing.setup import admin_session
from idp.upstream_links.models import UpstreamLink
from tests.support.portal import ISSUER, PASSWORD, running_portal
from tests.support.server_errors import server_error_expected
from tests.support.upstream import TwoSites, count, discovery_elsewhere

ZHAOLIU = "110101199003071233"
CALLBACK = f"{ISSUER}/upstream/callback"
REFUSED = "国家政务服务平台的登录结果未通过校验，未登录任何账号。"


def with_param(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return urlunsplit(parts._replace(query=urlencode({**query, **changes})))


def without_param(url: str, name: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items() if k != name}
    return urlunsplit(parts._replace(query=urlencode(query)))


async def callback_url(sites: TwoSites, upstream_page: httpx.Response, username: str = "gov_zhaoliu") -> str:
    """Log in upstream and stop at the redirect back to the portal: the authorization response."""
    response = await sites.log_in_upstream(upstream_page, username, stop_at=CALLBACK)
    assert response.is_redirect, response.text[:300]
    return response.headers["location"]


async def nothing_happened(put, sites: TwoSites) -> None:
    assert await count(put, Account, Account.name == "赵六") == 0 and await count(put, UpstreamLink) == 0
    assert (await sites.go("/space")).url.path == "/login"  # logged in nowhere


async def test_a_changed_state_or_iss_is_refused_and_the_genuine_answer_still_works(put, upstream, sites):
    await upstream.add_person("gov_zhaoliu", ZHAOLIU, name="赵六")
    url = await callback_url(sites, await sites.upstream_login())
    other_state = await sites.go(with_param(url, state="another-flow-of-someone-else"))
    assert other_state.status_code == 400 and "页面已过期" in other_state.text
    other_iss = await sites.go(with_param(url, iss="https://mix-up.example.test"))
    assert other_iss.status_code == 400 and REFUSED in other_iss.text
    empty_iss = await sites.go(with_param(url, iss=""))
    assert empty_iss.status_code == 400 and REFUSED in empty_iss.text
    no_iss = await sites.go(without_param(url, "iss"))  # the stand-in says it sends one (RFC 9207 §3)
    assert no_iss.status_code == 400 and REFUSED in no_iss.text
    await nothing_happened(put, sites)
    assert await count(put, AuditEvent, AuditEvent.event == "upstream.login_failed",
                       AuditEvent.outcome == "failure") == 3
    # Refused before the code was used: the real answer still goes through, once.
    assert (await sites.go(url)).url.path == "/upstream/first"
    assert (await sites.go(url)).status_code == 409  # the flow has moved on


async def test_a_changed_nonce_or_code_challenge_on_the_way_up_is_refused(put, upstream, sites):
    await upstream.add_person("gov_zhaoliu", ZHAOLIU, name="赵六")
    link = await sites.upstream_link()
    for change in ({"nonce": "chosen-by-an-attacker"}, {"code_challenge": "A" * 43}):
        outbound = await sites.portal.get(link)  # the redirect to the upstream's authorization endpoint
        tampered = with_param(outbound.headers["location"], **change)
        page = await sites.go(tampered)
        if 'action="/login"' in page.text:
            url = await callback_url(sites, page)
        else:  # logged in upstream already: straight back
            url = (await sites.go(tampered, stop_at=CALLBACK)).headers["location"]
        refused = await sites.go(url)
        assert refused.status_code == 400 and REFUSED in refused.text, (change, refused.text[:300])
    await nothing_happened(put, sites)


async def test_an_id_token_signed_by_a_key_the_upstream_does_not_publish_is_refused(put, upstream, sites):
    """The upstream's keys are withdrawn from its JWKS but still sign (its database changed behind
    its back): to the portal, which trusts only the published keys, its ID tokens are signed by
    another key."""
    await upstream.add_person("gov_zhaoliu", ZHAOLIU, name="赵六")
    async with admin_session(upstream.database_url) as db:
        await db.execute(update(SigningKey).values(unpublish_at=dt.datetime.now(dt.UTC)))
    page = await sites.log_in_upstream(await sites.upstream_login(), "gov_zhaoliu")
    assert page.status_code == 400 and REFUSED in page.text
    assert "ID token refused" in page.text  # the operators' detail: the signature, not another step
    await nothing_happened(put, sites)


async def test_a_discovery_document_of_another_issuer_is_refused(database_url, upstream):
    """OIDC Discovery §4.3: a document whose issuer is not the URL it came from (a mix-up, a
    redirect to another provider) is not used: nobody goes anywhere."""
    with discovery_elsewhere(upstream) as discovery_url:
        settings = {**upstream.portal_settings(), "upstream_discovery_url": discovery_url}
        async with running_portal(database_url, **settings) as put:
            sites = TwoSites(put, upstream)
            try:
                with server_error_expected(503, "/login/upstream"):
                    page = await sites.upstream_login()
                assert page.status_code == 503 and await count(put, Flow) == 0
            finally:
                await sites.aclose()


async def test_a_login_cancelled_upstream_logs_in_nowhere(put, upstream, sites):
    await upstream.add_person("gov_zhaoliu", ZHAOLIU, name="赵六")
    page = await sites.submit(await sites.upstream_login(), "/login", window="personal", username="gov_zhaoliu",
                              password=PASSWORD, captcha=TEST_ANSWER)
    assert 'action="/consent"' in page.text  # the upstream asks to share the ID number: 拒绝
    page = await sites.submit(page, "/consent", decision="deny")
    assert page.status_code == 400 and "未在国家政务服务平台完成登录" in page.text
    await nothing_happened(put, sites)


async def test_the_upstream_down_is_a_clear_page_and_nothing_is_half_made(put, upstream, sites):
    await upstream.add_person("gov_zhaoliu", ZHAOLIU, name="赵六")
    link = await sites.upstream_link()
    url = await callback_url(sites, await sites.go(link))
    flows = await count(put, Flow)
    await upstream.stop()
    with server_error_expected(503, "/upstream/callback"):  # on the way back
        back = await sites.go(url)
    assert back.status_code == 503 and "国家政务服务平台暂时无法访问" in back.text
    with server_error_expected(503, "/login/upstream"):  # and on the way up
        up = await sites.go(link)
    assert up.status_code == 503 and "国家政务服务平台暂时无法访问" in up.text
    assert await count(put, Flow) == flows  # no flow started while it is down
    await nothing_happened(put, sites)


def test_an_upstream_that_sends_no_iss_is_not_asked_for_one_but_a_wrong_one_is_refused():
    """RFC 9207 §2.4 for an upstream whose metadata does not announce the parameter."""
    quiet = client.Upstream(issuer="https://platform.example.test", authorization_endpoint="", token_endpoint="",
                            userinfo_endpoint="", jwks_uri="", end_session_endpoint=None,
                            iss_parameter_supported=False)
    client.check_iss(quiet, None)
    client.check_iss(quiet, "https://platform.example.test")
    with pytest.raises(client.UpstreamError):
        client.check_iss(quiet, "https://mix-up.example.test")
    with pytest.raises(client.UpstreamError):
        client.check_iss(dataclasses.replace(quiet, iss_parameter_supported=True), None)
