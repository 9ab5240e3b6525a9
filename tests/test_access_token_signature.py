"""Our own access tokens are verified strictly (idp.keys.jws, RFC 8725 §3.1): the key is ours,
found by kid, the algorithm is that key's own, and the signature covers the exact token.
Each forgery is refused at UserInfo and inactive at introspection."""
import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc import jwt

from tests.support.forgery import hmac_with_public_key, portal_key, unverified_claims
from tests.support.tokens import code_flow, introspect, userinfo

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def b64url_json(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def header_of(token: str) -> dict:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


def es256_signed(key, header: dict, claims: dict) -> str:
    """Signed by hand: joserfc will not write a header it does not understand."""
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
    r, s = decode_dss_signature(key.private.raw_value.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return signing_input + "." + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def refused(put, token: str) -> bool:
    response = await userinfo(put, token)
    return response.status_code == 401 and (await introspect(put, put.rp, token)) == {"active": False}


async def forgeries(put, token: str) -> dict[str, str]:
    claims = unverified_claims(token)
    es256, rs256 = await portal_key(put, "ES256"), await portal_key(put, "RS256")
    head, payload, signature = token.split(".")
    # The signature segment's last character carries unused bits: another spelling, same bytes.
    last = ALPHABET[ALPHABET.index(signature[-1]) ^ 1]
    return {
        "changed payload": ".".join([head, b64url_json({**claims, "scope": "openid profile phone"}), signature]),
        "alg none": ".".join([b64url_json({**header_of(token), "alg": "none"}), payload, ""]),
        "HS256 keyed with the public key": await hmac_with_public_key(put, claims, typ="at+jwt"),
        # Our RSA key's signature presented under our EC key's kid: the kid's key decides the algorithm.
        "RS256 under the ES256 key's kid": jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": es256.kid}, claims,
                                                      rs256.private, algorithms=["RS256"]),
        "second spelling of the signature": ".".join([head, payload, signature[:-1] + last]),
        "critical header": es256_signed(es256, {"alg": "ES256", "typ": "at+jwt", "kid": es256.kid,
                                                "crit": ["urn:example:policy"], "urn:example:policy": 1}, claims),
        "wrong type": jwt.encode({"alg": "ES256", "typ": "JWT", "kid": es256.kid}, claims, es256.private,
                                 algorithms=["ES256"]),
    }


@pytest.mark.parametrize("forgery", ["changed payload", "alg none", "HS256 keyed with the public key",
                                     "RS256 under the ES256 key's kid", "second spelling of the signature",
                                     "critical header", "wrong type"])
async def test_forged_access_token_is_refused(put, browser, forgery):
    token = (await code_flow(put, browser, put.rp, "openid profile"))["access_token"]
    assert header_of(token)["alg"] == "ES256"
    assert await refused(put, (await forgeries(put, token))[forgery])
    assert (await userinfo(put, token)).status_code == 200


async def test_an_rs256_access_token_of_ours_is_honoured(put, browser):
    """RS256 stays available for access tokens (IDP_ACCESS_TOKEN_SIGNING_ALG): the same token's
    claims signed with our RSA key verify as well."""
    token = (await code_flow(put, browser, put.rp, "openid profile"))["access_token"]
    rs256 = await portal_key(put, "RS256")
    resigned = jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": rs256.kid}, unverified_claims(token),
                          rs256.private, algorithms=["RS256"])
    assert (await userinfo(put, resigned)).status_code == 200
    assert (await introspect(put, put.rp, resigned))["active"] is True
