"""OpenID Connect Back-Channel Logout 1.0 (protocol-checks §b.3): after a logout every client
that received a code in the session gets one logout token, through an outbox that survives
clients being down and never posts a row twice."""
import asyncio
import datetime as dt
import json
from base64 import urlsafe_b64decode
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from sqlalchemy import select, update

from idp import clock
from idp.oidc.logout.backchannel import deliver_due
from idp.oidc.models import LogoutDelivery
from tests.support.signin import audit_events, claims_of, received_tokens, settle_backchannel, sign_in

EVENT = "http://schemas.openid.net/event/backchannel-logout"


def host(client) -> str:
    return f"{client.client_id}.rp.example.test"


def header(token: str) -> dict:
    return json.loads(urlsafe_b64decode(token.split(".")[0] + "==="))


@pytest.fixture
def posts(put):
    """Every back-channel request as sent (method, content type, body), still answered by
    put.backchannel."""
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return put.backchannel.handler(request)

    put.portal.http = httpx.AsyncClient(transport=httpx.MockTransport(record))
    return seen


async def log_out(put, browser, tokens: dict) -> None:
    """A hint for the current session and no redirect URI: logged out at once, on a page."""
    response = await browser.client.get("/logout?" + urlencode({"id_token_hint": tokens["id_token"]}))
    assert response.status_code == 200 and "您已安全退出" in response.text


async def deliveries(put) -> list[LogoutDelivery]:
    async with put.portal.sessionmaker() as db:
        return list((await db.scalars(select(LogoutDelivery).order_by(LogoutDelivery.id))).all())


async def make_due(put) -> None:
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(LogoutDelivery).values(
            next_attempt_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))


async def test_each_client_of_the_session_gets_one_valid_logout_token(put, browser, posts):
    rp2 = await put.add_client("rp2", id_token_signed_response_alg="ES256")
    unused = await put.add_client("unused")
    quiet = await put.add_client("quiet", backchannel_logout_uri=None)
    id_tokens = {}
    for client in (put.rp, rp2, quiet):
        tokens = await sign_in(put, browser, client)
        id_tokens[client.client_id] = await claims_of(put, tokens["id_token"])
        if client is put.rp:
            rp_tokens = tokens
    await log_out(put, browser, rp_tokens)
    await settle_backchannel(put)

    assert sorted(httpx.URL(str(r.url)).host for r in posts) == sorted([host(put.rp), host(rp2)])
    assert received_tokens(put, host(unused)) == [] and received_tokens(put, host(quiet)) == []
    jtis = set()
    for client in (put.rp, rp2):
        [request] = [r for r in posts if r.url.host == host(client)]
        assert request.method == "POST" and str(request.url) == f"https://{host(client)}/backchannel"
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        form = parse_qs(request.content.decode(), keep_blank_values=True)
        assert list(form) == ["logout_token"] and len(form["logout_token"]) == 1
        [token] = received_tokens(put, host(client))
        assert token == form["logout_token"][0]
        assert header(token)["typ"] == "logout+jwt"
        claims = await claims_of(put, token)  # verifies against /jwks
        id_token = id_tokens[client.client_id]
        assert claims["iss"] == put.settings.issuer
        assert claims["aud"] == client.client_id
        assert claims["sid"] == id_token["sid"] and claims["sub"] == id_token["sub"] == put.account.subject
        assert claims["events"] == {EVENT: {}}
        assert "nonce" not in claims
        now = dt.datetime.now(dt.UTC).timestamp()
        assert isinstance(claims["iat"], int) and now - 300 <= claims["iat"] <= now + 5
        assert claims["jti"] not in jtis
        jtis.add(claims["jti"])
    [logout] = await audit_events(put, "session.logout")
    assert logout.details["backchannel_clients"] == 2


async def test_a_client_that_is_down_is_retried_and_served_exactly_once(put, browser):
    put.backchannel.down.add(host(put.rp))
    await log_out(put, browser, await sign_in(put, browser))
    await settle_backchannel(put)
    [row] = await deliveries(put)
    assert row.attempts == 1 and row.delivered_at is None and row.abandoned_at is None
    assert row.next_attempt_at > dt.datetime.now(dt.UTC)
    assert row.last_error
    assert await deliver_due(put.portal) == 0  # not due yet: no hammering of a client that is down
    assert received_tokens(put, host(put.rp)) == []

    put.backchannel.down.clear()
    await make_due(put)
    assert await deliver_due(put.portal) == 1
    await make_due(put)
    assert await deliver_due(put.portal) == 0
    assert len(received_tokens(put, host(put.rp))) == 1
    [row] = await deliveries(put)
    assert row.delivered_at is not None and row.attempts == 2


async def test_a_retry_after_a_long_outage_carries_a_token_that_has_not_expired(put, browser, monkeypatch):
    put.backchannel.down.add(host(put.rp))
    tokens = await sign_in(put, browser)
    await log_out(put, browser, tokens)
    await settle_backchannel(put)
    put.backchannel.down.clear()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    monkeypatch.setattr(clock, "now", lambda: later)  # the client came back an hour later
    assert await deliver_due(put.portal) == 1
    [token] = received_tokens(put, host(put.rp))
    claims = await claims_of(put, token)
    assert claims["iat"] >= later.timestamp() - 5 and claims["exp"] > later.timestamp()
    assert claims["exp"] - claims["iat"] <= 120  # still short-lived (§4)
    assert claims["sid"] == (await claims_of(put, tokens["id_token"]))["sid"]
    assert claims["events"] == {EVENT: {}} and claims["aud"] == "rp"


async def test_the_retry_interval_grows(put, browser):
    put.backchannel.down.add(host(put.rp))
    await log_out(put, browser, await sign_in(put, browser))
    await settle_backchannel(put)
    waits = []
    for _ in range(3):
        await make_due(put)
        before = dt.datetime.now(dt.UTC)
        await deliver_due(put.portal)
        [row] = await deliveries(put)
        waits.append((row.next_attempt_at - before).total_seconds())
    assert waits[0] < waits[1] < waits[2]


async def test_delivery_is_abandoned_after_the_last_attempt_and_audited(put, browser):
    put.portal.settings.backchannel_max_attempts = 3
    put.backchannel.down.add(host(put.rp))
    await log_out(put, browser, await sign_in(put, browser))
    await settle_backchannel(put)  # attempt 1
    for _ in range(2):  # attempts 2 and 3
        await make_due(put)
        await deliver_due(put.portal)
    [row] = await deliveries(put)
    assert row.attempts == 3 and row.abandoned_at is not None and row.delivered_at is None
    [event] = await audit_events(put, "logout.backchannel_abandoned")
    assert event.client_id == "rp" and event.outcome == "failure"

    put.backchannel.down.clear()
    await make_due(put)
    assert await deliver_due(put.portal) == 0
    assert received_tokens(put, host(put.rp)) == []


async def test_concurrent_workers_deliver_each_row_once(put, browser):
    clients = [put.rp] + [await put.add_client(f"rp{i}") for i in range(2, 5)]
    put.backchannel.down.update(host(c) for c in clients)
    for client in clients:
        tokens = await sign_in(put, browser, client)
    await log_out(put, browser, tokens)
    await settle_backchannel(put)
    assert put.backchannel.received == [] and len(await deliveries(put)) == len(clients)

    put.backchannel.down.clear()
    await make_due(put)
    delivered = await asyncio.gather(*(deliver_due(put.portal) for _ in range(3)))
    assert sum(delivered) == len(clients)
    assert sorted(httpx.URL(url).host for url, _ in put.backchannel.received) == sorted(host(c) for c in clients)
    assert all(row.delivered_at is not None and row.attempts == 2 for row in await deliveries(put))


async def test_logging_out_twice_sends_nothing_more(put, browser):
    tokens = await sign_in(put, browser)
    await log_out(put, browser, tokens)
    await log_out(put, browser, tokens)
    await settle_backchannel(put)
    assert len(received_tokens(put, host(put.rp))) == 1
