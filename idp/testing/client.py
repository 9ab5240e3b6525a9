"""A small client that does, without a browser, what a user does on the portal: log in, let a
client's authorization request through, 授权绑定 and 解除绑定 on 我的绑定, log out, and read the
development messages. One cookie jar, like one browser; it follows redirects within the site it
is on and stops at a redirect to another site (a business system), whose URL it hands back so
the test can take it there (with this client's :meth:`go`, or the system's own test client).

Works against a portal process (``PortalClient("http://127.0.0.1:8000")``) or in-process
(``PortalClient(portal.url, transport=portal.transport())``). The login form is filled with the
test captcha provider's answer, so the portal must run with IDP_CAPTCHA_PROVIDER=test."""
from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from html import unescape
from typing import Self
from urllib.parse import urlencode

import httpx

from idp.testing.setup import PASSWORD

CAPTCHA_ANSWER = "TEST"  # idp.captcha.providers.TEST_ANSWER
AUTOSUBMIT_FORM = re.compile(r'<form method="post" action="([^"]+)" data-autosubmit>')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
ERROR = re.compile(r'id="error">(.*?)</', re.DOTALL)
NOTICE = re.compile(r'id="notice">(.*?)</', re.DOTALL)
BINDING_ROW = re.compile(r'<tr id="system-([^"]+)" data-state="([^"]*)"')
MESSAGE_ROW = re.compile(r'<td class="recipient">(.*?)</td><td class="body">(?:<strong>(.*?)</strong><br>)?(.*?)</td>',
                         re.DOTALL)
CHANNEL_OF_ROW = re.compile(r'<tr><td>[^<]*</td><td>([^<]*)</td><td class="recipient">')


class HarnessError(AssertionError):
    """The portal did not do what the step expected; the message quotes what it showed."""


@dataclass(frozen=True)
class Message:
    """One SMS or e-mail the development sink kept (newest first in :meth:`PortalClient.messages`)."""

    channel: str  # 短信, 邮件 or CTID as /dev/messages labels it
    recipient: str
    subject: str
    body: str


def hidden_fields(html: str) -> dict[str, str]:
    return {name: unescape(value) for name, value in HIDDEN.findall(html)}


def shown_error(html: str) -> str | None:
    found = ERROR.search(html)
    return unescape(found.group(1)).strip() if found else None


def shown_notice(html: str) -> str | None:
    found = NOTICE.search(html)
    return unescape(found.group(1)).strip() if found else None


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


class PortalClient:
    """A user's browser on the portal at ``base_url``."""

    def __init__(self, base_url: str, *, transport: httpx.AsyncBaseTransport | None = None, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.http = httpx.AsyncClient(transport=transport, timeout=timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    def url(self, path: str) -> str:
        return path if "://" in path else self.base_url + path

    # --- pages ----------------------------------------------------------------------------------

    async def go(self, url: str, *, method: str = "GET", data: dict | None = None) -> httpx.Response:
        """Request ``url`` (a path is on the portal) and follow redirects within its site; return
        the first page, or the redirect that leaves the site."""
        response = await self.http.request(method, self.url(url), data=data)
        for _ in range(20):
            if not response.is_redirect:
                break
            target = response.url.join(response.headers["location"])
            if _origin(target) != _origin(response.url):
                break
            response = await self.http.get(target)
        return response

    async def browse(self, url: str, *, method: str = "GET", data: dict | None = None) -> httpx.Response:
        """Like :meth:`go`, but follow redirects to any site, as a browser does between the portal
        and a business system (over real HTTP only: an in-process transport reaches the portal),
        and post a form that a page's script submits at once (a system's logout to the portal)."""
        response = await self.http.request(method, self.url(url), data=data)
        for _ in range(20):
            if response.is_redirect:
                response = await self.http.get(response.url.join(response.headers["location"]))
            elif (autosubmit := AUTOSUBMIT_FORM.search(response.text)) is not None:
                response = await self.http.post(response.url.join(unescape(autosubmit.group(1))),
                                                data=hidden_fields(response.text))
            else:
                break
        return response

    async def submit(self, page: httpx.Response, action: str, /, **fields) -> httpx.Response:
        """Post a form of ``page`` (its hidden fields, CSRF token included, plus ``fields``)."""
        return await self.go(str(page.url.join(action)), method="POST", data={**hidden_fields(page.text), **fields})

    # --- login ----------------------------------------------------------------------------------

    async def try_login(self, username: str, password: str = PASSWORD, *, window: str = "personal",
                        captcha: str = CAPTCHA_ANSWER, page: httpx.Response | None = None) -> httpx.Response:
        """Fill the login form (on ``page``, or a new login at /login) and return what follows:
        the next page, the redirect to a client, or the form again with the refusal shown."""
        if page is None:
            page = await self.go("/login?" + urlencode({"window": window}))
        if 'action="/login"' not in page.text:
            raise HarnessError(f"no login form at {page.url}: {page.status_code} {page.text[:300]}")
        return await self.submit(page, "/login", window=window, username=username, password=password,
                                 captcha=captcha)

    async def login(self, username: str, password: str = PASSWORD, *, window: str = "personal") -> httpx.Response:
        """Log in on the portal (个人登录 ``personal`` or 法人登录 ``legal``); lands on 个人空间."""
        response = await self.try_login(username, password, window=window)
        if 'action="/login"' in response.text:
            raise HarnessError(f"login refused: {shown_error(response.text) or response.text[:300]}")
        return response

    # --- a client's authorization request ---------------------------------------------------------

    async def authorize(self, url: str, *, username: str | None = None, password: str = PASSWORD,
                        window: str = "personal", consent: bool = True) -> str:
        """Open a client's authorization URL; log in when asked (with ``username``), choose the
        current account, consent; return the callback URL (with ``code`` or ``error``)."""
        response = await self.go(url)
        if 'action="/login"' in response.text:
            if username is None:
                raise HarnessError("the portal asks for a login and no username was given")
            response = await self.try_login(username, password, window=window, page=response)
        if 'action="/select-account"' in response.text:
            response = await self.submit(response, "/select-account", choice="current")
        if consent and 'action="/consent"' in response.text:
            response = await self.submit(response, "/consent", decision="allow")
        return self._left_portal(response, "authorization")

    async def sso(self, client_id: str) -> str:
        """Click a bound system's name on 我的绑定 (third-party-initiated login); return the URL
        of the system's initiate_login_uri with ``iss`` and ``target_link_uri``."""
        return self._left_portal(await self.go(f"/sso/{client_id}"), "single sign-on")

    # --- 我的绑定 ------------------------------------------------------------------------------------

    async def bindings(self) -> dict[str, str]:
        """我的绑定 as shown: client_id → ``bind`` (授权绑定), ``unbind`` (解除绑定), ``fixed``
        (不可解除) or ``pending`` (绑定确认中)."""
        page = await self.go("/space/bindings")
        if page.status_code != 200 or 'id="bindings"' not in page.text:
            raise HarnessError(f"no 我的绑定 page (not logged in?): {page.status_code} {page.text[:300]}")
        return dict(BINDING_ROW.findall(page.text))

    async def start_binding(self, client_id: str, mode: str) -> str:
        """授权绑定 → 直接授权创建新的账号 (``mode="create"``) or 已有用户的登录授权
        (``"existing"``); return the URL of the system's binding start (``?binding=<id>``)."""
        if mode not in ("create", "existing"):
            raise ValueError("mode is create or existing")
        page = await self.go(f"/space/bindings/{client_id}")
        if 'name="mode"' not in page.text:
            raise HarnessError(f"no authorization page for {client_id}: {page.status_code} {page.text[:300]}")
        response = await self.submit(page, f"/space/bindings/{client_id}", mode=mode)
        return self._left_portal(response, "授权绑定")

    async def wait_for_binding(self, client_id: str, shown: str, timeout: float = 10.0) -> dict[str, str]:
        """我的绑定 once it shows ``shown`` for ``client_id`` (a system confirms a binding over its
        own back channel, perhaps a moment after the browser came back)."""
        deadline = time.monotonic() + timeout
        while True:
            rows = await self.bindings()
            if rows.get(client_id) == shown or time.monotonic() > deadline:
                if rows.get(client_id) != shown:
                    raise HarnessError(f"我的绑定 shows {rows.get(client_id)!r} for {client_id}, not {shown!r}")
                return rows
            await asyncio.sleep(0.2)

    async def unbind(self, client_id: str) -> str | None:
        """解除绑定 on 我的绑定; return the notice the page shows afterwards. Raises with the
        portal's message when it refuses (a link created by binding, 不可解除)."""
        page = await self.go("/space/bindings")
        form = f'action="/space/bindings/{client_id}/unbind"'
        if form not in page.text:
            raise HarnessError(f"我的绑定 offers no 解除绑定 for {client_id}")
        response = await self.submit(page, f"/space/bindings/{client_id}/unbind")
        if response.status_code != 200 or shown_error(response.text):
            raise HarnessError(f"解除绑定 refused: {shown_error(response.text) or response.status_code}")
        return shown_notice(response.text)

    # --- logout -----------------------------------------------------------------------------------

    async def logout(self, *, id_token_hint: str | None = None, post_logout_redirect_uri: str | None = None,
                     state: str | None = None, confirm: bool = True) -> httpx.Response:
        """RP-initiated logout at the end_session_endpoint, posted as a form the way a business
        system's logout page does (the ID token stays out of URLs and access logs); on the
        confirmation page (no current hint for this session) answer 退出 when ``confirm``.
        Returns the redirect to ``post_logout_redirect_uri`` or the portal's page."""
        params = {"id_token_hint": id_token_hint, "post_logout_redirect_uri": post_logout_redirect_uri,
                  "state": state}
        response = await self.go("/logout", method="POST", data={k: v for k, v in params.items() if v})
        if confirm and 'action="/logout/confirm"' in response.text:
            response = await self.submit(response, "/logout/confirm", action="logout")
        return response

    # --- development messages -----------------------------------------------------------------------

    async def messages(self) -> list[Message]:
        """What the development sink kept (/dev/messages), newest first."""
        page = await self.go("/dev/messages")
        if page.status_code != 200:
            raise HarnessError(f"/dev/messages answered {page.status_code} (IDP_MESSAGE_SINK=development?)")
        channels = CHANNEL_OF_ROW.findall(page.text)
        rows = MESSAGE_ROW.findall(page.text)
        return [Message(channel, unescape(recipient), unescape(subject or ""), unescape(body))
                for channel, (recipient, subject, body) in zip(channels, rows, strict=True)]

    def _left_portal(self, response: httpx.Response, step: str) -> str:
        if not response.is_redirect:
            raise HarnessError(f"{step}: the portal showed {response.status_code} "
                               f"{shown_error(response.text) or response.text[:300]}")
        return str(response.url.join(response.headers["location"]))
