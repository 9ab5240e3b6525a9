"""授权绑定 between a live portal process and a live business-system process (as `make run` runs
them): a cookie jar that follows every redirect across both (so it keeps working whatever the
system does between /binding/start and its own page), the system registered with this test's
ports, both databases read directly to see what each side holds, time let pass in the portal's
database, and a gate in front of the portal that drops the system's confirm calls."""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import http.client
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from sqlalchemy import select, update

from idp import clock
from idp.bindings.models import Binding, BindingCall
from idp.captcha.providers import TEST_ANSWER
from idp.oidc.client_registration import upsert_client
from mock_systems.common.db import create_engine as system_engine, create_sessionmaker as system_sessions
from mock_systems.common.models import LocalAccount, PortalLink
from shared.binding import SYSTEM_START
from tests.support import live
from tests.support.live_systems import CAPTCHA, live_system
from tests.support.portal import PASSWORD, hidden_fields

PAGE = "/space/bindings"
WAIT_SECONDS = 20.0

# The UDI system's demo account, and outbox timings short enough for a test to wait out.
DEMO = "udi_demo"
FAST_OUTBOX = {"OUTBOX_POLL_SECONDS": "0.3", "OUTBOX_BACKOFF_SECONDS": "0.3", "OUTBOX_BACKOFF_MAX_SECONDS": "1"}



class Walker:
    """A browser without a screen: one cookie jar, every redirect followed."""

    def __init__(self) -> None:
        self.client = httpx.AsyncClient(timeout=10.0, follow_redirects=True)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def get(self, url: str) -> httpx.Response:
        return await self.client.get(url)

    async def submit(self, page: httpx.Response, action: str, **fields) -> httpx.Response:
        return await self.client.post(str(page.url.join(action)), data={**hidden_fields(page.text), **fields})

    async def log_in(self, portal_url: str, username: str = "zhangsan") -> httpx.Response:
        page = await self.get(portal_url + PAGE)
        assert 'action="/login"' in page.text, page.text[:300]
        page = await self.submit(page, "/login", window="personal", username=username, password=PASSWORD,
                                 captcha=TEST_ANSWER)
        assert page.url.path.startswith("/space"), (page.url, page.text[:300])
        return await self.get(portal_url + PAGE)

    async def start(self, portal_url: str, client_id: str, mode: str) -> httpx.Response:
        """授权绑定 → one of the two buttons; answers the page the browser lands on."""
        page = await self.get(f"{portal_url}{PAGE}/{client_id}")
        assert page.status_code == 200, page.text[:300]
        return await self.client.post(f"{portal_url}{PAGE}/{client_id}",
                                      data={"csrf_token": hidden_fields(page.text)["csrf_token"], "mode": mode})

    async def start_then_stop(self, portal_url: str, client_id: str, mode: str) -> str:
        """授权绑定 → a button, the portal's redirect to the system not followed yet: its address."""
        page = await self.get(f"{portal_url}{PAGE}/{client_id}")
        response = await self.client.post(f"{portal_url}{PAGE}/{client_id}", follow_redirects=False,
                                          data={"csrf_token": hidden_fields(page.text)["csrf_token"], "mode": mode})
        assert response.status_code == 303, response.text[:300]
        return response.headers["location"]

    async def prove(self, page: httpx.Response, username: str, password: str) -> httpx.Response:
        """The system's own login page inside the binding (its captcha answer in tests)."""
        assert f'action="{SYSTEM_START}"' in page.text, page.text[:500]
        return await self.submit(page, SYSTEM_START, username=username, password=password, captcha=CAPTCHA)

    async def unbind(self, portal_url: str, client_id: str) -> httpx.Response:
        page = await self.get(portal_url + PAGE)
        return await self.client.post(f"{portal_url}{PAGE}/{client_id}/unbind",
                                      data={"csrf_token": hidden_fields(page.text)["csrf_token"]})


def shown(page_html: str, client_id: str) -> str:
    """What 我的绑定 shows beside a system: its row's data-state."""
    match = re.search(rf'<tr id="system-{re.escape(client_id)}" data-state="([a-z]+)">', page_html)
    assert match, f"no row for {client_id}"
    return match.group(1)


@dataclass
class Pair:
    portal: live.LivePortal
    portal_db: str
    system_db: str
    system_port: int
    client: live.LiveClient
    account: object

    @property
    def system_url(self) -> str:
        return f"http://127.0.0.1:{self.system_port}"


def system_metadata(system_url: str) -> dict:
    return {"redirect_uris": [f"{system_url}/auth/callback"], "post_logout_redirect_uris": [f"{system_url}/"],
            "backchannel_logout_uri": f"{system_url}/auth/backchannel-logout",
            "initiate_login_uri": f"{system_url}/auth/login", "binding_start_uri": system_url + SYSTEM_START,
            "binding_api_uri": system_url, "scopes": ["openid", "profile", "identity", "enterprise"]}


async def register_system(portal_db: str, client_id: str, system_url: str, **values) -> live.LiveClient:
    """The catalogue's system at this test's port (a portal loads the catalogue when it starts:
    register after that, and again after each start — :func:`point_to`)."""
    return await live.register_client(portal_db, client_id, rp_base=system_url,
                                      **{**system_metadata(system_url), **values})


async def point_to(portal_db: str, client: live.LiveClient, system_url: str) -> None:
    """After a portal restart reloaded the catalogue: the system's URLs again, its secret kept."""
    metadata = {"display_name": f"测试应用 {client.client_id}", "grant_types": ["authorization_code", "refresh_token"],
                "first_party": True, "token_endpoint_auth_method": "client_secret_basic",
                **system_metadata(system_url)}
    async with live.admin_session(portal_db) as db:
        await upsert_client(db, client.client_id, metadata, source="cli", production=False)


def run_system(pair: Pair, module: str, profile, log_dir, **env: str):
    """The system's process on its port and database (again, after a stop)."""
    return live_system(module, profile, pair.system_port, log_dir, issuer=pair.portal.issuer,
                       database_url=pair.system_db, client_secret=pair.client.client_secret, **env)


async def portal_binding(portal_db: str, account_id: int, client_id: str) -> Binding | None:
    """The portal's newest binding of the account to the system."""
    async with live.admin_session(portal_db) as db:
        return await db.scalar(select(Binding).where(Binding.account_id == account_id,
                                                     Binding.client_id == client_id)
                               .order_by(Binding.created_at.desc()).limit(1))


async def portal_states(portal_db: str, account_id: int, client_id: str) -> list[str]:
    async with live.admin_session(portal_db) as db:
        return list((await db.scalars(select(Binding.state).where(
            Binding.account_id == account_id, Binding.client_id == client_id).order_by(Binding.created_at))).all())


async def system_link(system_db: str, subject: str) -> str | None:
    """The local username the system links the portal subject to, or None."""
    engine = system_engine(system_db)
    try:
        async with system_sessions(engine)() as db:
            return await db.scalar(select(LocalAccount.username).join(
                PortalLink, PortalLink.local_account_id == LocalAccount.id).where(PortalLink.portal_subject == subject))
    finally:
        await engine.dispose()


async def expire(portal_db: str, binding_id: str, seconds_ago: float) -> None:
    """Let time pass for one binding: its expiry (and the reconciler's margin) ``seconds_ago``."""
    async with live.admin_session(portal_db) as db:
        await db.execute(update(Binding).where(Binding.id == binding_id)
                         .values(expires_at=clock.now() - dt.timedelta(seconds=seconds_ago)))


async def retry_now(portal_db: str, binding_id: str) -> None:
    """Let the back-off of the portal's calls for one binding run out."""
    async with live.admin_session(portal_db) as db:
        await db.execute(update(BindingCall).where(BindingCall.binding_id == binding_id,
                                                    BindingCall.done_at.is_(None))
                         .values(next_attempt_at=clock.now()))


async def until(probe, expected, timeout: float = WAIT_SECONDS):
    """Poll ``await probe()`` until it equals ``expected`` or ``timeout`` passes; the last value."""
    deadline = time.monotonic() + timeout
    value = await probe()
    while value != expected and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        value = await probe()
    return value


@contextlib.asynccontextmanager
async def walker():
    w = Walker()
    try:
        yield w
    finally:
        await w.aclose()


class Gate:
    """A forwarding HTTP proxy in front of the portal (its issuer URL points here) that can drop
    the business system's confirm calls, as if the portal were down just when the system
    confirms; everything else passes through unchanged."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.block_confirm = False
        self.dropped = 0
        self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Gate:
        gate = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self):
                body = self.rfile.read(int(self.headers.get("content-length", "0") or 0))
                if gate.block_confirm and self.path.split("?")[0].endswith("/confirm"):
                    gate.dropped += 1
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                upstream = http.client.HTTPConnection("127.0.0.1", gate.target_port, timeout=10)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
                    upstream.request(self.command, self.path, body=body or None, headers=headers)
                    answer = upstream.getresponse()
                    content = answer.read()
                    self.send_response(answer.status)
                    for name, value in answer.getheaders():
                        if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                except OSError:
                    self.send_response(502)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                finally:
                    upstream.close()

            do_GET = do_POST = do_DELETE = do_PUT = _forward

            def log_message(self, *_args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
