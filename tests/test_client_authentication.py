"""Client authentication at the token endpoint: client_secret_basic, client_secret_post,
private_key_jwt (RFC 6749 §2.3.1, RFC 7523 §3), each client held to the method it registered;
failures are 401 invalid_client with a challenge (RFC 6749 §5.2) and are audited."""
from __future__ import annotations

import base64
import json
import re
import secrets
import time

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select

from idp.clients.models import Client
from tests.support.portal import ISSUER
from tests.support.token_flows import assert_oauth_error, audit_events, basic, token_call

TOKEN_ENDPOINT = f"{ISSUER}/token"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# The business system's own key pair; the portal only ever sees the public half.
CLIENT_KEY = RSAKey.generate_key(2048, parameters={"kid": "sys-2026", "use": "sig", "alg": "RS256"}, private=True)
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "sys-2026", "use": "sig", "alg": "RS256"}, private=True)
CLIENT_CREDENTIALS = {"grant_type": "client_credentials", "scope": "profile"}


async def add_jwt_client(put, client_id: str = "jwtsys"):
    return await put.add_client(client_id, token_endpoint_auth_method="private_key_jwt",
                                jwks={"keys": [CLIENT_KEY.as_dict(private=False)]})


def client_assertion(client_id: str, *, key=CLIENT_KEY, aud=TOKEN_ENDPOINT, exp_in: int = 60,
                     jti: str | None = None, **extra) -> str:
    """RFC 7523 §3: iss = sub = client_id, aud = the token endpoint, exp, jti."""
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": aud, "iat": now, "exp": now + exp_in,
              "jti": jti or secrets.token_urlsafe(16), **extra}
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def with_assertion(assertion: str, **extra) -> dict:
    return {**CLIENT_CREDENTIALS, "client_assertion_type": JWT_BEARER, "client_assertion": assertion, **extra}


async def assert_auth_failure(put, response, client_id: str | None) -> None:
    """401 invalid_client, a WWW-Authenticate challenge, and an audit row naming the client."""
    assert_oauth_error(response, "invalid_client", 401)
    assert "invalid_client" in response.headers["www-authenticate"]
    assert response.headers["www-authenticate"].lower().startswith("basic")
    events = await audit_events(put, "client.authentication_failed")
    assert [e.client_id for e in events] == [client_id]
    assert events[0].outcome == "failure"


async def test_client_secret_basic_authenticates(put):
    response = await token_call(put, CLIENT_CREDENTIALS, client=put.rp)
    assert response.status_code == 200, response.text
    assert response.json()["access_token"]
    assert await audit_events(put, "client.authentication_failed") == []


async def test_client_secret_post_authenticates(put):
    client = await put.add_client("postsys", token_endpoint_auth_method="client_secret_post")
    response = await token_call(put, {**CLIENT_CREDENTIALS, "client_id": client.client_id,
                                      "client_secret": client.client_secret})
    assert response.status_code == 200, response.text
    assert response.json()["access_token"]


async def test_private_key_jwt_authenticates(put):
    client = await add_jwt_client(put)
    response = await token_call(put, with_assertion(client_assertion(client.client_id)))
    assert response.status_code == 200, response.text
    assert response.json()["access_token"]


async def test_private_key_jwt_replayed_assertion_is_rejected(put):
    client = await add_jwt_client(put)
    assertion = client_assertion(client.client_id)
    first = await token_call(put, with_assertion(assertion))
    assert first.status_code == 200, first.text
    replay = await token_call(put, with_assertion(assertion))
    await assert_auth_failure(put, replay, client.client_id)
    # Same jti in a freshly signed assertion is still a replay (RFC 7523 §3 item 7).
    jti = "fixed-jti-1"
    assert (await token_call(put, with_assertion(client_assertion(client.client_id, jti=jti)))).status_code == 200
    again = await token_call(put, with_assertion(client_assertion(client.client_id, jti=jti, exp_in=90)))
    assert_oauth_error(again, "invalid_client", 401)


async def test_private_key_jwt_wrong_audience_is_rejected(put):
    client = await add_jwt_client(put)
    assertion = client_assertion(client.client_id, aud="https://other-op.example.test/token")
    await assert_auth_failure(put, await token_call(put, with_assertion(assertion)), client.client_id)


async def test_private_key_jwt_expired_assertion_is_rejected(put):
    client = await add_jwt_client(put)
    assertion = client_assertion(client.client_id, exp_in=-300)
    await assert_auth_failure(put, await token_call(put, with_assertion(assertion)), client.client_id)


async def test_private_key_jwt_not_yet_valid_assertion_is_rejected(put):
    client = await add_jwt_client(put)
    assertion = client_assertion(client.client_id, exp_in=400, nbf=int(time.time()) + 300)
    await assert_auth_failure(put, await token_call(put, with_assertion(assertion)), client.client_id)


async def test_private_key_jwt_signed_with_unregistered_key_is_rejected(put):
    client = await add_jwt_client(put)
    assertion = client_assertion(client.client_id, key=OTHER_KEY)
    await assert_auth_failure(put, await token_call(put, with_assertion(assertion)), client.client_id)


async def test_private_key_jwt_with_malformed_assertion_is_invalid_client(put):
    """An assertion whose payload is not a JSON object is a failed authentication, not a crash."""
    await add_jwt_client(put)

    def encode(value) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    for payload in (["jwtsys"], "jwtsys", 42):
        forged = f"{encode({'alg': 'RS256'})}.{encode(payload)}.c2ln"
        response = await token_call(put, with_assertion(forged))
        assert_oauth_error(response, "invalid_client", 401)


async def test_basic_client_sending_client_secret_post_is_rejected(put):
    response = await token_call(put, {**CLIENT_CREDENTIALS, "client_id": put.rp.client_id,
                                      "client_secret": put.rp.client_secret})
    await assert_auth_failure(put, response, put.rp.client_id)


async def test_post_client_sending_basic_is_rejected(put):
    client = await put.add_client("postsys", token_endpoint_auth_method="client_secret_post")
    await assert_auth_failure(put, await token_call(put, CLIENT_CREDENTIALS, client=client), client.client_id)


async def test_jwt_client_sending_a_secret_is_rejected(put):
    """A private_key_jwt client cannot fall back to a shared secret, even one it never had."""
    client = await add_jwt_client(put)
    response = await token_call(put, {**CLIENT_CREDENTIALS, "client_id": client.client_id,
                                      "client_secret": "guessed"})
    await assert_auth_failure(put, response, client.client_id)


async def test_wrong_secret_is_401_invalid_client_with_challenge_and_audit(put):
    response = await token_call(put, CLIENT_CREDENTIALS,
                                headers=basic(put.rp.__class__(put.rp.client_id, "wrong-secret", "")))
    await assert_auth_failure(put, response, put.rp.client_id)
    assert "access_token" not in response.json()


@pytest.mark.parametrize("header", ["Basic !!!not-base64", "Basic " + base64.b64encode(b"rp-without-colon").decode(),
                                    "Basic " + base64.b64encode(b"\xff\xfe:secret").decode()])
async def test_malformed_basic_credentials_are_invalid_client(put, header):
    response = await token_call(put, CLIENT_CREDENTIALS, headers={"Authorization": header})
    await assert_auth_failure(put, response, None)


async def test_no_client_authentication_is_invalid_client(put):
    response = await token_call(put, {**CLIENT_CREDENTIALS, "client_id": put.rp.client_id})
    await assert_auth_failure(put, response, put.rp.client_id)


async def test_unknown_client_is_invalid_client(put):
    response = await token_call(put, CLIENT_CREDENTIALS,
                                headers=basic(put.rp.__class__("no-such-system", "secret", "")))
    await assert_auth_failure(put, response, "no-such-system")


async def test_overlong_client_id_is_invalid_client_not_a_crash(put):
    """The audit column holds 64 characters; a longer presented id must still be audited."""
    long_id = "x" * 300
    response = await token_call(put, CLIENT_CREDENTIALS, headers=basic(put.rp.__class__(long_id, "s", "")))
    assert_oauth_error(response, "invalid_client", 401)
    events = await audit_events(put, "client.authentication_failed")
    assert len(events) == 1 and long_id.startswith(events[0].client_id)


async def test_unknown_client_ids_do_not_accumulate_in_the_client_cache(put):
    """Presented ids are caller-chosen: remembering each miss would grow memory without bound."""
    await token_call(put, CLIENT_CREDENTIALS, client=put.rp)
    cached = len(put.portal.clients)
    for n in range(5):
        response = await token_call(put, CLIENT_CREDENTIALS, headers=basic(put.rp.__class__(f"probe-{n}", "s", "")))
        assert_oauth_error(response, "invalid_client", 401)
    assert len(put.portal.clients) == cached


async def test_two_authentication_methods_at_once_are_refused(put):
    response = await token_call(put, {**CLIENT_CREDENTIALS, "client_secret": put.rp.client_secret},
                                client=put.rp)
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_request", "invalid_client")
    assert "access_token" not in response.json()


async def test_client_secret_is_stored_only_as_digest(put):
    async with put.portal.sessionmaker() as db:
        row = await db.scalar(select(Client).where(Client.client_id == put.rp.client_id))
        stored = {c.name: getattr(row, c.name) for c in Client.__table__.columns}
    assert re.fullmatch(r"[0-9a-f]{64}", row.secret_digest)
    assert put.rp.client_secret not in json.dumps(stored, default=str)


async def test_a_client_id_with_a_nul_byte_is_invalid_client_not_a_server_error(put):
    async with put.http() as http:
        response = await http.post("/token", data={"grant_type": "client_credentials", "client_id": "rp\x00",
                                                   "client_secret": "x"})
        introspect = await http.post("/introspect", data={"token": "t"}, auth=("rp\x00", "x"))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert introspect.status_code == 401
