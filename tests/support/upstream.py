"""The 国家政务服务平台 stand-in for tests: the portal's own provider started as a separate uvicorn
process with the stand-in's settings (deploy/upstream/: its name, catalogue), its own SQLite
database and its own accounts; and a browser that walks both sites, the portal under test
in-process and the stand-in over real HTTP, each with its own cookies."""
from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import func, select

from idp.captcha.providers import TEST_ANSWER
from idp.settings import PROJECT_ROOT
from idp.testing import setup
from idp.testing.portal_process import ServerProcess, free_port, sqlite_url, start_process, stop_process
from tests.support.portal import ISSUER, PASSWORD, PortalUnderTest, hidden_fields

STANDIN = PROJECT_ROOT / "deploy" / "upstream"
CLIENT_ID = "zwfw_portal"


@dataclass
class Upstream:
    url: str
    database_url: str
    client_secret: str
    process: ServerProcess

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    async def stop(self) -> None:
        """The upstream goes down (its process ends; stopping again is harmless)."""
        await stop_process(self.process)

    def portal_settings(self) -> dict:
        """The portal's settings naming this upstream (running_portal overrides)."""
        return {"upstream_discovery_url": self.discovery_url, "upstream_client_id": CLIENT_ID,
                "upstream_client_secret": self.client_secret, "upstream_timeout_seconds": 5.0}

    async def add_person(self, username: str, id_number: str, *, level: int = 3, name: str = "张三", **fields):
        return await setup.add_personal_account(self.database_url, username, id_number=id_number,
                                                realname_level=level, name=name, **fields)

    async def add_enterprise(self, username: str, credit_code: str, enterprise_name: str, **fields):
        return await setup.add_legal_person(self.database_url, username, credit_code=credit_code,
                                            enterprise_name=enterprise_name, **fields)


@contextlib.asynccontextmanager
async def running_upstream(directory: Path, *, portal_base: str = ISSUER, database_url: str | None = None,
                           **env: str):
    """The stand-in on a free port of ``localhost`` (its cookies apart from a portal on 127.0.0.1),
    with the portal registered as its client (redirect URI on ``portal_base``). ``database_url``:
    an already migrated database (the process then does not migrate); by default a new SQLite
    file in ``directory``, which the process migrates when it starts."""
    port = free_port()
    if database_url is not None:
        env.setdefault("IDP_AUTO_MIGRATE", "false")
    database_url = database_url or sqlite_url(directory)
    process = await start_process(
        database_url, directory, port=port, issuer=f"http://localhost:{port}", IDP_SITE_NAME="国家政务服务平台",
        IDP_CATALOGUE_PATH=str(STANDIN / "systems.yaml"), IDP_CLIENT_CACHE_SECONDS="0", IDP_KEY_CACHE_SECONDS="0",
        **env)
    try:
        registered = await setup.register_client(
            database_url, CLIENT_ID, display_name="国家药品监督管理局政务服务门户",
            redirect_uris=[f"{portal_base}/upstream/callback"],
            post_logout_redirect_uris=[f"{portal_base}/logged-out"], grant_types=["authorization_code"],
            scopes=["openid", "profile", "email", "phone", "identity", "enterprise", "id_number"])
        yield Upstream(f"http://localhost:{port}", database_url, registered.client_secret, process)
    finally:
        await stop_process(process)


class TwoSites:
    """A browser for the portal under test (in-process) and the upstream (real HTTP): follows
    redirects between them and stops at a page, or at a redirect to a relying party."""

    def __init__(self, put: PortalUnderTest, upstream: Upstream):
        self.portal = put.http()
        self.upstream_client = httpx.AsyncClient(timeout=10.0)
        self.upstream = upstream

    async def aclose(self) -> None:
        await self.portal.aclose()
        await self.upstream_client.aclose()

    def _client(self, url: str) -> httpx.AsyncClient | None:
        parts = urlsplit(url)
        if not parts.netloc or f"{parts.scheme}://{parts.netloc}" == ISSUER:
            return self.portal
        return self.upstream_client if url.startswith(self.upstream.url) else None

    async def go(self, url: str, *, method: str = "GET", data: dict | None = None,
                 stop_at: str | None = None) -> httpx.Response:
        """``stop_at``: return the redirect to a URL starting with it instead of following it."""
        client = self._client(url)
        assert client is not None, url
        response = await client.request(method, url, data=data)
        for _ in range(20):
            if not response.is_redirect:
                break
            target = str(response.url.join(response.headers["location"]))
            client = self._client(target)
            if client is None or (stop_at and target.startswith(stop_at)):  # the caller looks at the redirect
                break
            response = await client.get(target)
        return response

    async def submit(self, page: httpx.Response, form_action: str, /, stop_at: str | None = None,
                     **fields) -> httpx.Response:
        return await self.go(str(page.url.join(form_action)), method="POST",
                             data={**hidden_fields(page.text), **fields}, stop_at=stop_at)

    async def log_in_upstream(self, page: httpx.Response, username: str, password: str = PASSWORD, *,
                              window: str = "personal", stop_at: str | None = None) -> httpx.Response:
        """At the upstream's login page (after 国家政务服务平台账号登录): log in there, consent
        to share the ID number when asked; returns the portal's answer to the callback."""
        assert page.url.host == "localhost" and 'action="/login"' in page.text, (page.url, page.text[:300])
        response = await self.submit(page, "/login", window=window, username=username, password=password,
                                     captcha=TEST_ANSWER, stop_at=stop_at)
        if 'action="/consent"' in response.text:
            response = await self.submit(response, "/consent", decision="allow", stop_at=stop_at)
        return response

    async def upstream_link(self, window: str = "personal", start: str | None = None) -> str:
        """The portal's login window's 国家政务服务平台账号登录 link."""
        page = await self.go(start or f"/login?window={window}")
        assert 'id="upstream-login"' in page.text, page.text[:500]
        return page.text.split('id="upstream-login" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")

    async def upstream_login(self, window: str = "personal", start: str | None = None) -> httpx.Response:
        """The portal's login window, then its 国家政务服务平台账号登录 link: the upstream's page."""
        return await self.go(await self.upstream_link(window, start))



async def count(put: PortalUnderTest, model, *where) -> int:
    async with put.portal.reader() as db:
        return await db.scalar(select(func.count()).select_from(model).where(*where))


@contextlib.contextmanager
def discovery_elsewhere(upstream: Upstream):
    """The upstream's discovery document served from another address (its issuer unchanged), from
    a thread on a port of its own."""
    body = json.dumps(httpx.get(upstream.discovery_url).json()).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/openid-configuration"
    finally:
        server.shutdown()
        server.server_close()
