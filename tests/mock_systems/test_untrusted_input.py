"""A business system's answers to untrusted input (shared.safe_json, shared.path_ids,
shared.security_headers): a deeply nested token at the binding API or the back-channel logout
receiver is refused with the protocol's own error (it was an HTTP 500: python-jose's header
parser recursed), an id outside the columns' range is 404, and the JSON answers carry the same
security headers as the portal's (nosniff above all)."""
from __future__ import annotations

import base64
import json

import pytest

from mock_systems.drug import PROFILE as DRUG
from shared.binding import SYSTEM_CANCEL, SYSTEM_STATUS, SYSTEM_UNLINK
from tests.support.fake_portal import FakePortal, browser_for, system_with_fake_portal

NESTED = "[" * 3000


def b64url(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


TOKENS = pytest.mark.parametrize("token", [
    f"{b64url(NESTED)}.{b64url('{}')}.c2ln",
    f"{b64url(json.dumps({'alg': 'RS256', 'kid': 'k', 'typ': 'binding+jwt'}))}.{b64url(NESTED)}.c2ln",
    "e30." + "A" * 1_000_000 + ".c2ln",
], ids=["nested-header", "nested-payload", "oversized"])


@pytest.fixture
async def drug(databases):
    fake = FakePortal(DRUG.client_id)
    async with system_with_fake_portal(DRUG, fake, await databases.empty()) as app:
        async with browser_for(app, app.state.system.settings.base_url) as browser:
            yield browser


@TOKENS
@pytest.mark.parametrize("method,path", [("GET", SYSTEM_STATUS.format(binding_id="b1")),
                                         ("POST", SYSTEM_CANCEL.format(binding_id="b1")),
                                         ("DELETE", SYSTEM_UNLINK.format(sub="s1"))])
async def test_the_binding_api_answers_invalid_token(drug, token, method, path):
    response = await drug.request(method, path, headers={"Authorization": "Bearer " + token})
    assert response.status_code == 401 and response.json()["error"] == "invalid_token", response.text[:300]
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


@TOKENS
async def test_the_backchannel_logout_receiver_answers_invalid_request(drug, token):
    response = await drug.post("/auth/backchannel-logout", data={"logout_token": token})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request", response.text[:300]


@pytest.mark.parametrize("path", [SYSTEM_STATUS.format(binding_id="b1"), "/no-such-page"])
async def test_json_answers_carry_the_portal_security_headers(drug, path):
    response = await drug.get(path)
    assert response.status_code in (401, 404) and response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"

