"""The production layout in a test: three portal processes on one PostgreSQL database behind
nginx terminating TLS (shared/load_balancer.py renders the same template `make cluster` uses),
and users who each come from an address of their own and walk the code flow with PKCE over https.

The user keeps one cookie jar for nginx (https://127.0.0.1:<port>) and for the instances' own
plain-HTTP ports: the portal sets its cookies ``Secure`` (its issuer is https), which a jar sends
over https only, so a request to an instance's port carries them in a header of its own, as
nginx passes them on after terminating TLS. That is how a test
reaches "one instance" on purpose (a lockout reached on instance 1 holds on instance 2).
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import re
import secrets
import signal
import ssl
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from idp.captcha.providers import TEST_ANSWER
from idp.testing import setup
from idp.testing.portal_process import PortalProcess, free_ports, start_process, stop_process
from shared.load_balancer import LoadBalancer
from shared.processes import ServerProcess, stop
from shared.tls_certificate import make_server_certificate
from tests.support.live import BackchannelReceiver, free_port
from tests.support.portal import PASSWORD, hidden_fields

PROXY_ADDRESS = "127.0.0.2"  # nginx connects to the instances from here (IDP_TRUSTED_PROXIES)
NGINX_ERRORS = (502, 504)  # nginx's answers when the instance serving a request died under it


SETTINGS = {
    "IDP_BACKCHANNEL_RETRY_SECONDS": "1",
    # 3 × 2 pools × (5 + 5) connections at most: PostgreSQL's default max_connections is 100, and
    # other test runs may share the server.
    "IDP_DATABASE_POOL_SIZE": "5", "IDP_DATABASE_MAX_OVERFLOW": "5",
    # Small budgets, so that the limit test reaches them; each load user logs in from an address
    # of its own, once (twice if its login was lost with the killed instance).
    "IDP_RATE_LIMITS": "login_per_address=8/600",
}


async def register_client(database_url: str, client_id: str, receiver: BackchannelReceiver) -> Client:
    """A relying party played by the test, its back-channel logouts to ``receiver``."""
    rp = f"http://127.0.0.1:{free_port()}/{client_id}"  # the RP is played by the test: nothing listens
    registered = await setup.register_client(database_url, client_id, redirect_uris=[f"{rp}/cb"],
                                             post_logout_redirect_uris=[f"{rp}/logged-out"],
                                             backchannel_logout_uri=receiver.uri, scopes=["openid", "profile"])
    return Client(client_id, registered.client_secret, registered.redirect_uri, registered.post_logout_redirect_uri)


class RetryableFailure(Exception):
    """A request lost with the instance that served it: a browser would load the page again."""

    def __init__(self, request_id: str, what: str):
        super().__init__(f"{what} (request id {request_id})")
        self.request_id = request_id


@dataclass
class Cluster:
    balancer: LoadBalancer
    nginx: ServerProcess
    instances: list[PortalProcess]
    database_url: str
    log_dir: Path
    settings: dict[str, str]
    ca: ssl.SSLContext = field(init=False)

    def __post_init__(self) -> None:
        self.ca = ssl.create_default_context(cafile=self.balancer.certificate.ca_path)

    @property
    def issuer(self) -> str:
        return self.balancer.issuer

    def kill(self, index: int) -> tuple[float, float]:
        """SIGKILL instance ``index`` (no shutdown of any kind); returns when the signal went and
        when the process was gone."""
        instance = self.instances[index]
        signalled = time.time()
        instance.signal(signal.SIGKILL)
        instance.process.wait()
        return signalled, time.time()

    async def restart(self, index: int) -> None:
        old = self.instances[index]
        self.instances[index] = await start_process(self.database_url, self.log_dir, port=old.port,
                                                    issuer=self.issuer, **self.settings)

    def access_log(self) -> dict[str, dict]:
        """nginx's access log (JSON lines, deploy/nginx/cluster.conf.template) by request id."""
        lines = self.balancer.access_log.read_text().splitlines()
        return {entry["request_id"]: entry for entry in map(json.loads, lines)}


@contextlib.asynccontextmanager
async def running_cluster(database_url: str, log_dir: Path, *, instances: int = 3, **settings: str):
    """``instances`` portal processes (``settings``: more IDP_ variables) and nginx; all stopped."""
    https_port, probe_port = free_ports(2)
    issuer = f"https://127.0.0.1:{https_port}"
    settings = {"IDP_AUTO_MIGRATE": "false", "IDP_TRUSTED_PROXIES": PROXY_ADDRESS, **settings}
    results = await asyncio.gather(*(start_process(database_url, log_dir, issuer=issuer, **settings)
                                     for _ in range(instances)), return_exceptions=True)
    started = [r for r in results if isinstance(r, PortalProcess)]
    nginx = None
    cluster = None
    try:
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]
        balancer = LoadBalancer(prefix=log_dir / "nginx", port=https_port, probe_port=probe_port,
                                upstream_ports=tuple(p.port for p in started),
                                certificate=make_server_certificate(log_dir / "tls"), proxy_address=PROXY_ADDRESS)
        balancer.write()
        nginx = balancer.spawn(log_path=log_dir / "nginx.log")
        await nginx.wait_ready()
        cluster = Cluster(balancer, nginx, started, database_url, log_dir, settings)
        yield cluster
    finally:
        running = cluster.instances if cluster is not None else started
        await asyncio.gather(*(stop_process(p) for p in running))
        if nginx is not None:
            await stop(nginx)


def pkce_pair() -> tuple[str, str]:
    """RFC 7636 §4.1–4.2."""
    verifier = secrets.token_urlsafe(32)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uri: str
    post_logout_redirect_uri: str


class User:
    """One person at one browser, from ``address`` (a loopback address of its own)."""

    def __init__(self, cluster: Cluster, username: str, address: str):
        self.cluster = cluster
        self.username = username
        # Idle connections are dropped after 2 s, before the servers' own keep-alive timeout
        # (uvicorn's 5 s, which is also httpx's default): with both at 5 s, a request sent on an
        # idle connection just as the server closed it failed with a ReadError.
        self.http = httpx.AsyncClient(timeout=20.0, transport=httpx.AsyncHTTPTransport(
            verify=cluster.ca, local_address=address, retries=0, limits=httpx.Limits(keepalive_expiry=2.0)))
        self.request_ids: list[str] = []  # every request this user made, in order
        self.logged_in = False  # whether the last authorize asked for the password

    async def aclose(self) -> None:
        await self.http.aclose()

    async def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        """One request with an id of its own; a request lost with an instance raises RetryableFailure."""
        request_id = uuid.uuid4().hex
        self.request_ids.append(request_id)
        headers = {"X-Request-ID": request_id, **kwargs.pop("headers", {})}
        if url.startswith("http://"):  # an instance's own port: what nginx passes on after TLS
            headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies.jar)
        try:
            response = await self.http.request(method, url, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise RetryableFailure(request_id, f"{method} {urlsplit(url).path}: {exc.__class__.__name__}") from exc
        if response.status_code in NGINX_ERRORS:
            raise RetryableFailure(request_id, f"{method} {urlsplit(url).path}: {response.status_code}")
        return response

    async def follow(self, response: httpx.Response, base: str) -> httpx.Response:
        """Follow the portal's own redirects; stop at one that leaves it (to the relying party)."""
        for _ in range(10):
            if not response.is_redirect:
                return response
            target = response.url.join(response.headers["location"])
            if not str(target).startswith(base + "/"):
                return response
            response = await self.request("GET", str(target))
        return response

    async def authorize(self, client: Client, base: str | None = None, *, password: str = PASSWORD,
                        **extra: str) -> tuple[httpx.Response, str]:
        """/authorize with PKCE, logging in at ``base`` (the issuer, or an instance) when asked.
        Returns the response that leaves the portal and the code verifier."""
        base = base or self.cluster.issuer
        verifier, challenge = pkce_pair()
        params = {"response_type": "code", "client_id": client.client_id, "redirect_uri": client.redirect_uri,
                  "scope": "openid profile", "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8),
                  "code_challenge": challenge, "code_challenge_method": "S256", **extra}
        response = await self.follow(await self.request("GET", f"{base}/authorize?{urlencode(params)}"), base)
        self.logged_in = 'action="/login"' in response.text
        if self.logged_in:
            response = await self.login(response, base, password)
        return response, verifier

    async def login(self, page: httpx.Response, base: str, password: str = PASSWORD) -> httpx.Response:
        fields = {**hidden_fields(page.text), "window": "personal", "username": self.username,
                  "password": password, "captcha": TEST_ANSWER}
        return await self.follow(await self.request("POST", str(page.url.join("/login")), data=fields), base)

    async def redeem(self, client: Client, code: str, verifier: str, base: str | None = None) -> httpx.Response:
        """POST /token (client_secret_basic), RFC 6749 §4.1.3 with RFC 7636 §4.5."""
        return await self.request("POST", f"{base or self.cluster.issuer}/token",
                                  auth=(client.client_id, client.client_secret),
                                  data={"grant_type": "authorization_code", "code": code,
                                        "redirect_uri": client.redirect_uri, "code_verifier": verifier})


def callback(response: httpx.Response) -> dict[str, str]:
    """The parameters of a redirect to the relying party."""
    assert response.is_redirect, f"expected a redirect to the RP, got {response.status_code}: {page_text(response)}"
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


def page_text(response: httpx.Response) -> str:
    """A page's words without its markup (what a failed assertion shows)."""
    body = re.sub(r"(?s)<head>.*?</head>|<[^>]+>", " ", response.text)
    return " ".join(body.split())[:400]
