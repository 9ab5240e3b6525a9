"""A DPoP client (RFC 9449) for tests: a key pair, proofs made as a client library would, and
the nonce dance (a first answer use_dpop_nonce with the DPoP-Nonce header, then the retry)."""
from __future__ import annotations

import base64
import hashlib
import secrets

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from idp import clock
from tests.support.portal import ISSUER, PortalUnderTest, RegisteredClient

UNSET = object()


class DpopKey:
    def __init__(self, alg: str = "ES256"):
        self.alg = alg
        self.key = ECKey.generate_key("P-256") if alg == "ES256" else RSAKey.generate_key(2048)
        self.jkt = self.key.thumbprint()  # RFC 7638
        self.nonce: str | None = None

    def proof(self, method: str, path: str, *, access_token: str | None = None, nonce=UNSET,
              iat: int | None = None, header: dict | None = None, **claims) -> str:
        body = {"jti": secrets.token_urlsafe(16), "htm": method, "htu": ISSUER + path,
                "iat": clock.epoch(clock.now()) if iat is None else iat}  # the portal's time
        nonce = self.nonce if nonce is UNSET else nonce
        if nonce is not None:
            body["nonce"] = nonce
        if access_token is not None:
            body["ath"] = base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).rstrip(b"=").decode()
        body.update(claims)
        protected = {"typ": "dpop+jwt", "alg": self.alg, "jwk": self.key.as_dict(private=False), **(header or {})}
        protected = {k: v for k, v in protected.items() if v is not None}  # None: left out
        return jwt.encode(protected, body, self.key, algorithms=[self.alg])


async def post_with_proof(put: PortalUnderTest, path: str, data: dict, key: DpopKey, *,
                          client: RegisteredClient | None = None) -> httpx.Response:
    """POST with a fresh proof; on use_dpop_nonce take the nonce and try once more, as clients do."""
    auth = (client.client_id, client.client_secret) if client and client.client_secret else None
    async with put.http() as http:
        for _ in range(2):
            response = await http.post(path, data=data, auth=auth, headers={"DPoP": key.proof("POST", path)})
            if response.status_code == 400 and response.json().get("error") == "use_dpop_nonce":
                key.nonce = response.headers["DPoP-Nonce"]
                continue
            return response
    return response


async def dpop_userinfo(put: PortalUnderTest, access_token: str, key: DpopKey, **proof) -> httpx.Response:
    async with put.http() as http:
        return await http.get("/userinfo", headers={
            "Authorization": f"DPoP {access_token}",
            "DPoP": key.proof("GET", "/userinfo", access_token=access_token, **proof)})
