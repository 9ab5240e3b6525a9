"""What a browser and a relying party do over HTTP, for either server: follow redirects within
the server, fill the login form, take the code at the redirect_uri, call the token endpoint."""
from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import parse_qs, quote, urlencode, urljoin, urlsplit

import aiohttp

from bench.driver.load import OperationFailed

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
ERROR = re.compile(r'id="error">(.*?)</', re.DOTALL)
REDIRECTS = (301, 302, 303, 307, 308)
CAPTCHA_ANSWER = "TEST"  # the portal's test captcha provider's answer; the peer checks the same


@dataclass
class Page:
    status: int
    url: str
    text: str
    location: str | None = None


@dataclass
class Target:
    """One server under test and the client registered on it."""

    name: str
    base_url: str
    pid: int
    client_id: str
    client_secret: str
    redirect_uri: str
    usernames: list[str]
    password: str
    login_action: re.Pattern  # matches the login form's action in a page
    login_fields: dict = field(default_factory=dict)  # extra fields the login form posts
    login_start: str = ""  # where the password-login scenario opens the login form
    endpoints: dict = field(default_factory=dict)  # the discovery document

    @property
    def basic_auth(self) -> str:
        # RFC 6749 §2.3.1: both parts form-urlencoded, then base64.
        raw = f"{quote(self.client_id, safe='')}:{quote(self.client_secret, safe='')}"
        return "Basic " + base64.b64encode(raw.encode()).decode()

    def username(self, worker: int) -> str:
        return self.usernames[worker % len(self.usernames)]

    def authorization_request(self, scope: str = "openid profile offline_access") -> tuple[str, str, str]:
        """(URL, state, code_verifier): an authorization-code request with PKCE S256."""
        verifier = secrets.token_urlsafe(32)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        state = secrets.token_urlsafe(12)
        query = {"response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
                 "scope": scope, "state": state, "nonce": secrets.token_urlsafe(12),
                 "code_challenge": challenge, "code_challenge_method": "S256"}
        return f"{self.endpoints['authorization_endpoint']}?{urlencode(query)}", state, verifier


async def fetch(http: aiohttp.ClientSession, url: str, *, method: str = "GET", data: dict | None = None,
                headers: dict | None = None) -> Page:
    async with http.request(method, url, data=data, headers=headers, allow_redirects=False) as response:
        text = await response.text()
        location = response.headers.get("location")
        redirect = urljoin(str(response.url), location) if location else None
        return Page(response.status, str(response.url), text, redirect)


async def follow(http: aiohttp.ClientSession, target: Target, url: str, *, method: str = "GET",
                 data: dict | None = None) -> Page:
    """Request ``url`` and follow redirects while they stay on the server; return the first page
    that is not a redirect, or the redirect that leaves the server (to the redirect_uri)."""
    page = await fetch(http, url, method=method, data=data)
    for _ in range(10):
        if page.status not in REDIRECTS or not page.location.startswith(target.base_url):
            return page
        page = await fetch(http, page.location)
    raise OperationFailed(f"too many redirects at {page.url}")


async def submit_login(http: aiohttp.ClientSession, target: Target, page: Page, worker: int) -> Page:
    """Post the login form on ``page`` with this worker's account; the answer, not followed."""
    action = target.login_action.search(page.text)
    if action is None:
        raise OperationFailed(f"no login form at {page.url}: {page.status} {page.text[:200]}")
    fields = {name: unescape(value) for name, value in HIDDEN.findall(page.text)}
    fields.update(target.login_fields, username=target.username(worker), password=target.password,
                  captcha=CAPTCHA_ANSWER)
    answer = await fetch(http, urljoin(page.url, unescape(action.group(1))), method="POST", data=fields)
    if answer.status not in REDIRECTS:
        shown = ERROR.search(answer.text)
        raise OperationFailed(f"login refused: {answer.status} {shown.group(1) if shown else answer.text[:200]}")
    return answer


async def authorization_code(http: aiohttp.ClientSession, target: Target, worker: int) -> tuple[str, str]:
    """Run the authorization request in this browser, logging in when the server asks; return
    (code, code_verifier)."""
    url, state, verifier = target.authorization_request()
    page = await follow(http, target, url)
    if page.status not in REDIRECTS:
        answer = await submit_login(http, target, page, worker)
        page = await follow(http, target, answer.location)
    if page.status not in REDIRECTS or not page.location.startswith(target.redirect_uri):
        raise OperationFailed(f"no redirect to the client: {page.status} {page.url} {page.text[:200]}")
    query = parse_qs(urlsplit(page.location).query)
    if query.get("state") != [state] or "code" not in query:
        raise OperationFailed(f"bad authorization response {page.location}")
    return query["code"][0], verifier


async def token_request(http: aiohttp.ClientSession, target: Target, form: dict) -> dict:
    async with http.post(target.endpoints["token_endpoint"], data=form,
                         headers={"Authorization": target.basic_auth}) as response:
        body = await response.json(content_type=None)
        if response.status != 200 or "access_token" not in body:
            raise OperationFailed(f"token endpoint {response.status}: {str(body)[:200]}")
        return body


async def exchange_code(http: aiohttp.ClientSession, target: Target, code: str, verifier: str) -> dict:
    return await token_request(http, target, {"grant_type": "authorization_code", "code": code,
                                              "redirect_uri": target.redirect_uri, "code_verifier": verifier})


async def userinfo(http: aiohttp.ClientSession, target: Target, access_token: str) -> dict:
    async with http.get(target.endpoints["userinfo_endpoint"],
                        headers={"Authorization": f"Bearer {access_token}"}) as response:
        body = await response.json(content_type=None)
        if response.status != 200 or "sub" not in body:
            raise OperationFailed(f"userinfo {response.status}: {str(body)[:200]}")
        return body
