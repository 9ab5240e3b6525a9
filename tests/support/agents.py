"""Enterprises, people and agencies for the 经办人 tests, made directly in the database (the
registration and 经办人授权 pages have their own tests)."""
from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy import select

from idp.agents import transitions
from idp.principals.models import Agency
from idp.sessions.models import UserSession
from shared.identity import id_check_char, uscc_check_char
from tests.support.portal import PortalUnderTest, callback_params
from tests.support.tokens import pkce_pair


def citizen_id(serial: int, born: str = "19900101", region: str = "110105") -> str:
    first17 = f"{region}{born}{serial:03d}"
    return first17 + id_check_char(first17)


def credit_code(serial: int) -> str:
    first17 = f"91110105MA{serial:07d}"
    return first17 + uscc_check_char(first17)


async def add_enterprise(put: PortalUnderTest, username: str, enterprise_name: str, serial: int):
    return await put.add_account(username, account_type="legal_person", name="王法人",
                                 enterprise_name=enterprise_name, credit_code=credit_code(serial),
                                 id_type="居民身份证", id_number=citizen_id(900 + serial, "19700101"),
                                 realname_level=2)


async def add_person(put: PortalUnderTest, username: str, name: str, serial: int, *, realname_level: int = 2):
    return await put.add_account(username, name=name, id_type="居民身份证", id_number=citizen_id(serial),
                                 realname_level=realname_level)


async def authorize_agent(put: PortalUnderTest, enterprise, person) -> Agency:
    return await transitions.add_agent(put.portal, enterprise, person.id_number, source_ip=None)


async def sessions_of(put: PortalUnderTest, account_id: int) -> list[UserSession]:
    async with put.portal.reader() as db:
        return list((await db.scalars(select(UserSession).where(UserSession.account_id == account_id)
                                      .order_by(UserSession.created_at))).all())


async def agent_login(browser, page, username: str, *, choose=None):
    """法人登录 with the agent's own username; on the choice page, press the agency ``choose``."""
    response = await browser.login(page, username, window="legal")
    if 'action="/login/enterprise"' in response.text and choose is not None:
        response = await browser.submit(response, "/login/enterprise", agency=str(choose.id))
    return response


async def agent_code_flow(put: PortalUnderTest, browser, client, username: str, *, scope: str = "openid profile",
                          choose=None) -> dict:
    """The code flow of an RP, logging in through 法人登录 as an agent; the token response."""
    verifier, challenge = pkce_pair()
    params = dict(response_type="code", client_id=client.client_id, redirect_uri=client.redirect_uri, scope=scope,
                  state="s", nonce="n", code_challenge=challenge, code_challenge_method="S256")
    response = await browser.go("/authorize?" + urlencode(params))
    if 'action="/login"' in response.text:
        response = await agent_login(browser, response, username, choose=choose)
    if 'action="/consent"' in response.text:
        response = await browser.submit(response, "/consent", decision="allow")
    code = callback_params(response)["code"]
    async with put.http() as http:
        answer = await http.post("/token", auth=(client.client_id, client.client_secret), data=dict(
            grant_type="authorization_code", code=code, redirect_uri=client.redirect_uri, code_verifier=verifier))
    assert answer.status_code == 200, answer.text
    return answer.json()
