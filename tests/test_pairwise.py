"""Pairwise subject identifiers (OIDC Core §8.1): a pairwise client sees a sub of its sector for
each user, the same in every token, UserInfo, introspection, logout token and binding message it
gets; two sectors see two subs, one sector one; the sector comes from the redirect URIs' host or
from a sector_identifier_uri checked at registration (Registration §5)."""
from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import httpx
import pytest

from idp.clients.pairwise import pairwise_subject
from idp.oidc.client_registration import ClientConfigError, rotate_secret, upsert_client
from tests.support.agents import add_enterprise, agent_code_flow, authorize_agent
from tests.support.authz import AuthRequest, assert_code_redirect, id_token_claims
from tests.support.binding_flows import bound, on_bindings_page, system_api
from tests.support.portal import RP, RegisteredClient
from tests.support.signin import settle_backchannel
from tests.support.tokens import code_flow, introspect, userinfo

SECTOR_DOC = "https://sector.example.test/uris.json"


def sector_http(document) -> httpx.AsyncClient:
    """Serves the sector identifier document, as the client's site would."""
    def answer(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == SECTOR_DOC and request.method == "GET"
        return httpx.Response(200, content=json.dumps(document).encode(), headers={"Content-Type": "application/json"})
    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


async def register(put, client_id: str, values: dict, document=None):
    async with sector_http(document) as http, put.portal.sessionmaker.begin() as db:
        return await upsert_client(db, client_id, values, source="cli", production=False, http=http)


async def test_two_sectors_see_two_subs_and_one_sector_one(put, browser):
    a = await put.add_client("a", subject_type="pairwise")  # https://rp.example.test/a/cb
    a_twin = await put.add_client("a2", subject_type="pairwise")  # the same host: the same sector
    b = await put.add_client("b", subject_type="pairwise", redirect_uris=["https://b.example.test/cb"])
    subs = {}
    for client in (put.rp, a, a_twin, b):
        tokens = await code_flow(put, browser, client, "openid profile")
        claims = await id_token_claims(put, tokens["id_token"])
        assert (await userinfo(put, tokens["access_token"])).json()["sub"] == claims["sub"]
        assert (await introspect(put, client, tokens["access_token"]))["sub"] == claims["sub"]
        subs[client.client_id] = claims["sub"]
    local = put.account.subject
    assert subs["rp"] == local  # public
    assert subs["a"] == subs["a2"] == pairwise_subject(put.settings, "rp.example.test", local)
    assert subs["b"] == pairwise_subject(put.settings, "b.example.test", local)
    assert len({subs["rp"], subs["a"], subs["b"]}) == 3


async def test_the_salt_keys_the_sub(put):
    other = put.settings.model_copy(update={"pairwise_salt": put.settings.pairwise_salt.__class__("another-salt")})
    assert pairwise_subject(put.settings, "x.example", "s") != pairwise_subject(other, "x.example", "s")


async def test_a_sector_identifier_uri_listing_the_redirect_uris_sets_the_sector(put, browser):
    uris = ["https://one.example.test/cb", "https://two.example.test/cb"]
    await register(put, "multi", {"display_name": "多站点", "redirect_uris": uris, "subject_type": "pairwise",
                                  "sector_identifier_uri": SECTOR_DOC, "grant_types": ["authorization_code"],
                                  "scopes": ["openid"], "first_party": True}, document=[*uris, "https://x/cb"])
    async with put.portal.sessionmaker.begin() as db:
        secret = await rotate_secret(db, "multi")
    client = RegisteredClient("multi", secret, uris[1])
    tokens = await code_flow(put, browser, client)
    claims = await id_token_claims(put, tokens["id_token"])
    assert claims["sub"] == pairwise_subject(put.settings, "sector.example.test", put.account.subject)


@pytest.mark.parametrize("values, document, problem", [
    ({"redirect_uris": ["https://one.example.test/cb", "https://two.example.test/cb"]}, None, "several hosts"),
    ({"redirect_uris": ["https://one.example.test/cb"], "sector_identifier_uri": SECTOR_DOC},
     ["https://other.example.test/cb"], "does not list https://one.example.test/cb"),
    ({"redirect_uris": ["https://one.example.test/cb"], "sector_identifier_uri": SECTOR_DOC},
     {"redirect_uris": ["https://one.example.test/cb"]}, "not a JSON array"),
])
async def test_a_pairwise_client_without_a_clear_sector_is_refused(put, values, document, problem):
    with pytest.raises(ClientConfigError, match=problem):
        await register(put, "bad", {"display_name": "x", "subject_type": "pairwise", **values}, document)


async def test_a_clients_subjects_cannot_change_once_registered(put):
    await put.add_client("p", subject_type="pairwise")
    with pytest.raises(ClientConfigError, match="cannot change"):
        await register(put, "p", {"subject_type": "public"})
    with pytest.raises(ClientConfigError, match="cannot change"):
        await register(put, "p", {"redirect_uris": ["https://elsewhere.example.test/cb"]})
    with pytest.raises(ClientConfigError, match="cannot change"):
        await register(put, "rp", {"subject_type": "pairwise"})
    await register(put, "p", {"redirect_uris": [f"{RP}/p/cb", f"{RP}/p/other"]})  # same host: same sector


async def test_an_id_token_hint_carries_the_pairwise_sub(put, browser):
    client = await put.add_client("p", subject_type="pairwise")
    tokens = await code_flow(put, browser, client)
    request = AuthRequest.build(client, prompt="none", id_token_hint=tokens["id_token"])
    assert_code_redirect(await browser.go("/authorize?" + urlencode(request.params)), client, request.state)


async def test_the_logout_token_carries_each_clients_own_sub(put, browser):
    client = await put.add_client("p", subject_type="pairwise")
    pairwise = (await id_token_claims(put, (await code_flow(put, browser, client))["id_token"]))["sub"]
    tokens = await code_flow(put, browser, put.rp)
    response = await browser.client.get("/logout?" + urlencode({"id_token_hint": tokens["id_token"]}))
    assert response.status_code == 200 and "您已安全退出" in response.text
    await settle_backchannel(put)
    subs = {}
    for _url, token in put.backchannel.received:
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        subs[claims["aud"]] = claims["sub"]
    assert subs == {"p": pairwise, "rp": put.account.subject}


async def test_a_binding_speaks_the_systems_own_sub(put):
    udi = await put.add_client("pwsys", subject_type="pairwise", scopes=["openid", "profile"])
    pairwise = pairwise_subject(put.settings, "rp.example.test", put.account.subject)
    browser = await on_bindings_page(put, put.account)
    try:
        binding_id = await bound(put, browser, udi, "existing")
    finally:
        await browser.aclose()
    async with system_api(put, udi) as api:
        intent = (await api.get(f"/api/bindings/{binding_id}")).json()
        assert intent["sub"] == intent["claims"]["sub"] == intent["actor_sub"] == pairwise
        notice = {"title": "审核结果", "body": "已审核通过。"}
        assert (await api.post("/api/notices", json={"sub": pairwise, **notice})).status_code == 201
        # The portal's own subject means nothing to this system's API.
        assert (await api.post("/api/notices", json={"sub": put.account.subject, **notice})).status_code == 404


async def test_an_agent_and_the_person_acting_are_both_pairwise(put, browser):
    client = await put.add_client("p", subject_type="pairwise")
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    agency = await authorize_agent(put, enterprise, put.account)
    tokens = await agent_code_flow(put, browser, client, "zhangsan", scope="openid identity offline_access")
    info = (await userinfo(put, tokens["access_token"])).json()
    assert info["sub"] == pairwise_subject(put.settings, "rp.example.test", agency.subject)
    assert info["acting_person"]["sub"] == pairwise_subject(put.settings, "rp.example.test", put.account.subject)
    assert (await introspect(put, client, tokens["refresh_token"]))["sub"] == info["sub"]
