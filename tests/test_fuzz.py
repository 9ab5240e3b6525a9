"""Malformed input at every protocol endpoint and binding API, the portal's and a business
system's: nested, oversized and malformed tokens and bodies are refused with a 4xx, never a 5xx
(the hardening issue found four 500s this way). Seeded and bounded: the same few hundred
requests each run, a few seconds in all; a failure names the seed's case to replay."""
from __future__ import annotations

import base64
import json
import random
from urllib.parse import urlencode

import httpx

from shared.binding import SYSTEM_CANCEL, SYSTEM_STATUS, SYSTEM_UNLINK
from tests.mock_systems.conftest import system_database_url, udi  # noqa: F401 (fixtures)
from tests.support.binding_flows import binding_of, on_bindings_page, start
from tests.support.portal import ISSUER
from tests.test_client_authentication import JWT_BEARER

SEED = 20261122
ROUNDS = 12  # each round sends one token and one body to every endpoint


def b64(raw: bytes | str) -> str:
    return base64.urlsafe_b64encode(raw.encode() if isinstance(raw, str) else raw).rstrip(b"=").decode()


def nested(rng: random.Random) -> str:
    depth = rng.choice([40, 500, 3000, 20000])
    opener, closer = rng.choice([("[", "]"), ('{"a":', "}"), ("[{\"b\":", "}]")])
    return opener * depth + ("1" + closer * depth if rng.random() < 0.5 else "")


def huge_number(rng: random.Random) -> str:
    return rng.choice(["9" * 5000, "1e999999", "-" + "9" * 400, "123456789012345678901234567890"])


def json_value(rng: random.Random, kid: str) -> str:
    """A header or payload: nested, a wrong type, huge numbers, or plausible with odd claims."""
    return rng.choice([
        lambda: nested(rng),
        lambda: rng.choice(["[]", '"x"', "null", "1", "true", "{", "{}}", ""]),
        lambda: json.dumps({"alg": "RS256", "kid": kid, "typ": rng.choice(["JWT", "at+jwt", 1, None])}),
        lambda: json.dumps({"alg": rng.choice(["none", "HS256", ["RS256"], {"x": 1}]), "kid": kid}),
        lambda: f'{{"alg": "RS256", "kid": "{kid}", "exp": {huge_number(rng)}}}',
        lambda: '{{"sub": "rp", "iss": "rp", "aud": {}, "exp": {}, "jti": {}}}'.format(
            rng.choice(['"x"', "[1, {}]", "null"]), huge_number(rng), rng.choice(['"j"', "[]", "{}"])),
        lambda: json.dumps({"alg": "RS256", "kid": kid, "crit": ["b64"], "b64": False}),
    ])()


def token(rng: random.Random, kid: str) -> str | bytes:
    """A compact JWS gone wrong in one of the ways the issue lists."""
    kind = rng.randrange(8)
    if kind == 0:  # oversized segment (1 MB)
        return b64(json_value(rng, kid)) + "." + "A" * 1_000_000 + ".c2ln"
    if kind == 1:  # invalid base64url
        return rng.choice(["!!!.@@@.###", "e30=.e30=.sig=", "e 30.e30.x", "%%%.e30.c2ln", "e30.e30.c2ln\x00"])
    if kind == 2:  # not UTF-8
        return b64(b"\xff\xfe\xfa" + bytes(rng.randrange(256) for _ in range(20))) + ".e30.c2ln"
    if kind == 3:  # wrong segment count
        return ".".join(b64(json_value(rng, kid)) for _ in range(rng.choice([0, 1, 2, 4, 5])))
    if kind == 4:  # a non-ASCII character where base64 goes
        return "é30.e30.c2ln"
    return f"{b64(json_value(rng, kid))}.{b64(json_value(rng, kid))}.{b64(rng.randbytes(rng.choice([0, 3, 256])))}"


def body(rng: random.Random, kid: str) -> bytes:
    """A JSON body for the binding API: nested, oversized, not UTF-8, not JSON, odd types."""
    return rng.choice([
        lambda: nested(rng).encode(),
        lambda: b'{"kind": "existing", "local_account": ' + nested(rng).encode() + b"}",
        lambda: b'{"reason": "' + b"x" * 1_000_000 + b'"}',
        lambda: b'{"reason": "\xff\xfe"}',
        lambda: json_value(rng, kid).encode(),
        lambda: b'{"kind": ["existing"], "local_account": {"a": 1}, "reason": ' + huge_number(rng).encode() + b"}",
    ])()


def form_noise(rng: random.Random) -> dict[str, str]:
    """Nested-looking and oversized form fields, as a bracket-parsing framework would read them."""
    return rng.choice([
        {}, {"a[b][c][d]": "1", "client_id[]": "rp"}, {"x" * 5000: "y"}, {"claims": nested(rng)},
        {f"p{i}": str(i) for i in range(300)}, {"scope": "openid " * 2000},
    ])


def as_header(value: str | bytes) -> bytes:
    return (b"Bearer " + value) if isinstance(value, bytes) else ("Bearer " + value).encode("utf-8")


class Fuzzer:
    def __init__(self, put, rng: random.Random, kid: str):
        self.put, self.rng, self.kid = put, rng, kid
        self.server_errors: list[str] = []

    def check(self, case: str, response: httpx.Response) -> None:
        if response.status_code >= 500:
            self.server_errors.append(f"{case}: HTTP {response.status_code} {response.text[:120]!r}")

    async def portal_round(self, http: httpx.AsyncClient, binding_id: str, system) -> None:
        rng, put = self.rng, self.put
        t = token(rng, self.kid)
        text_token = t if isinstance(t, str) else t.decode("latin-1")
        url_token = text_token[:20_000]  # a URL longer than 64 KB is refused by the client (and by servers)
        rp = (put.rp.client_id, put.rp.client_secret)
        authorize = {"response_type": "code", "client_id": "rp", "redirect_uri": put.rp.redirect_uri,
                     "scope": "openid", "state": "s", "id_token_hint": url_token, **form_noise(rng)}
        calls = [
            ("GET /authorize", lambda: http.get(("/authorize?" + urlencode(authorize))[:60_000])),
            ("POST /authorize", lambda: http.post("/authorize", data={**authorize, "id_token_hint": text_token})),
            ("GET /userinfo", lambda: http.get("/userinfo", headers={"Authorization": as_header(t)})),
            ("POST /userinfo", lambda: http.post("/userinfo", data={"access_token": text_token, **form_noise(rng)})),
            ("POST /introspect", lambda: http.post("/introspect", auth=rp,
                                                   data={"token": text_token, **form_noise(rng)})),
            ("POST /revoke", lambda: http.post("/revoke", auth=rp, data={"token": text_token})),
            ("GET /logout", lambda: http.get("/logout?" + urlencode({"id_token_hint": url_token,
                                                            "post_logout_redirect_uri": "https://x/"}))),
            ("POST /logout", lambda: http.post("/logout", data={"id_token_hint": text_token, **form_noise(rng)})),
            ("POST /token private_key_jwt", lambda: http.post("/token", data={
                "grant_type": rng.choice(["client_credentials", "authorization_code", "refresh_token"]),
                "client_assertion": text_token, "client_assertion_type": JWT_BEARER, "code": text_token,
                "refresh_token": text_token, **form_noise(rng)})),
            ("POST /token basic", lambda: http.post("/token", headers={"Authorization": b"Basic " + (
                t if isinstance(t, bytes) else t.encode())}, data={"grant_type": "client_credentials"})),
            ("POST /token post", lambda: http.post("/token", data={"grant_type": "refresh_token", "client_id": "rp",
                                                           "client_secret": text_token, "refresh_token": text_token})),
            ("POST /token code", lambda: http.post("/token", auth=rp, data={
                "grant_type": "authorization_code", "code": text_token, "redirect_uri": put.rp.redirect_uri,
                "code_verifier": text_token[:200], **form_noise(rng)})),
        ]
        b = body(rng, self.kid)
        for action in ("confirm", "refused", "ended"):
            calls.append((f"POST /api/bindings/{{id}}/{action}", lambda action=action: http.post(
                f"/api/bindings/{binding_id}/{action}", content=b, auth=system,
                headers={"Content-Type": "application/json"})))
        calls.append(("POST /api/notices", lambda: http.post("/api/notices", content=b, auth=system,
                                                             headers={"Content-Type": "application/json"})))
        calls.append(("GET /api/bindings/{id} basic", lambda: http.get(f"/api/bindings/{binding_id}", headers={
            "Authorization": b"Basic " + (t if isinstance(t, bytes) else t.encode())})))
        for case, call in calls:
            self.check(f"{case} with {text_token[:60]!r}", await call())

    async def system_round(self, http: httpx.AsyncClient) -> None:
        t = token(self.rng, self.kid)
        text_token = t if isinstance(t, str) else t.decode("latin-1")
        bearer = {"Authorization": as_header(t)}
        calls = [
            ("GET status", lambda: http.get(SYSTEM_STATUS.format(binding_id="b" * 20), headers=bearer)),
            ("POST cancel", lambda: http.post(SYSTEM_CANCEL.format(binding_id="b" * 20), headers=bearer)),
            ("DELETE unlink", lambda: http.delete(SYSTEM_UNLINK.format(sub="s"), headers=bearer)),
            ("POST backchannel", lambda: http.post("/auth/backchannel-logout", data={"logout_token": text_token})),
            ("GET callback", lambda: http.get("/auth/callback?" + urlencode({"code": text_token[:2000],
                                                                             "state": "x"}))),
        ]
        for case, call in calls:
            self.check(f"system {case} with {text_token[:60]!r}", await call())


def client_of(app, base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url=base_url)


async def test_malformed_tokens_and_bodies_never_cause_a_server_error(put, udi):  # noqa: F811
    rng = random.Random(SEED)
    browser = await on_bindings_page(put, put.account)
    binding_id = binding_of(await start(browser, udi.client.client_id, "existing"))
    await browser.aclose()
    # An unhandled exception comes back as the 500 a server would send, so every case is checked.
    async with client_of(put.app, ISSUER) as http, client_of(udi.app, udi.base_url) as system_http:
        kid = (await http.get("/jwks")).json()["keys"][0]["kid"]  # a real kid: the checks past the header
        fuzzer = Fuzzer(put, rng, kid)
        for _ in range(ROUNDS):
            await fuzzer.portal_round(http, binding_id, (udi.client.client_id, udi.client.client_secret))
            await fuzzer.system_round(system_http)
    assert not fuzzer.server_errors, "\n".join(fuzzer.server_errors)
