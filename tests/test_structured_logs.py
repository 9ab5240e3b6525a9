"""Logs of the portal (shared/logs.py, shared/request_id.py): one JSON object per line with the
request id, IDP_LOG_LEVEL and IDP_LOG_FORMAT applied, and — driving every secret a login and its
tokens involve through a real uvicorn server at DEBUG — not one of them in any line of any logger."""
from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import secrets
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from idp.app import create_app
from idp.oidc.logout.single_logout import wait_for_background_deliveries
from idp.settings import Settings
from shared.logs import QUIET, configure_logging, installed_handler
from shared.processes import free_port
from shared.request_id import HEADER, RequestId
from tests.support.portal import (
    PASSWORD,
    RP,
    Backchannel,
    Browser,
    PortalUnderTest,
    callback_params,
    test_settings as portal_settings,
)
from tests.support.server_errors import logged_error_expected, server_error_expected
from tests.support.token_flows import pkce_pair
from tests.support.tokens import code_flow


@pytest.fixture(autouse=True)
def restore_logging():
    """The application factories configure the process's logging: put it back after each test."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    quiet = {name: logging.getLogger(name).level for name in QUIET}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, quiet_level in quiet.items():
        logging.getLogger(name).setLevel(quiet_level)


def json_lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_json_lines_carry_time_level_logger_message_request_id_and_extra_fields():
    buffer = io.StringIO()
    configure_logging("info", "json", stream=buffer)
    logging.getLogger("idp.example").info("delivered %d of %d", 2, 3, extra={"client_id": "udi"})
    logging.getLogger("idp.example").debug("below the level")
    [line] = json_lines(buffer)
    assert line["level"] == "info" and line["logger"] == "idp.example" and line["message"] == "delivered 2 of 3"
    assert line["client_id"] == "udi" and line["request_id"] is None and line["time"].endswith("+00:00")


def test_the_text_format_shows_the_request_id_and_a_traceback_starts_its_own_line():
    buffer = io.StringIO()
    configure_logging("info", "text", stream=buffer)
    with logged_error_expected("idp.example", ValueError):
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("idp.example").exception("failed")
    lines = buffer.getvalue().splitlines()
    assert lines[0].endswith("ERROR   idp.example [-] failed") and lines[1] == "Traceback (most recent call last):"


@pytest.mark.parametrize("settings, level, fmt", [
    (dict(), logging.INFO, "text"),
    (dict(log_level="WARNING"), logging.WARNING, "text"),
    (dict(log_level="debug", log_format="json"), logging.DEBUG, "json"),
])
def test_idp_log_level_and_format_are_applied(settings, level, fmt):
    create_app(portal_settings("sqlite+aiosqlite://", **settings))
    assert logging.getLogger().level == level
    assert type(installed_handler().formatter).__name__ == ("JsonFormatter" if fmt == "json" else "TextFormatter")
    assert logging.getLogger("sqlalchemy.engine").level >= logging.WARNING  # its parameters, whatever the level


def test_production_logs_json_by_default():
    assert Settings(environment="production").effective_log_format == "json"
    assert Settings().effective_log_format == "text"


async def test_the_request_id_is_kept_when_safe_and_replaced_otherwise(put):
    async with put.http() as http:
        kept = await http.get("/healthz", headers={HEADER: "lb-7f3a.42:x_y"})
        too_long = await http.get("/healthz", headers={HEADER: "a" * 65})
        forged = await http.get("/healthz", headers={HEADER: 'x" level=error'})
        none = await http.get("/healthz")
        error_page = await http.get("/no-such-page", headers={HEADER: "trace-404"})
    assert kept.headers[HEADER] == "lb-7f3a.42:x_y" and error_page.headers[HEADER] == "trace-404"
    for response in (too_long, forged, none):
        assert len(response.headers[HEADER]) == 32 and int(response.headers[HEADER], 16) >= 0
    assert len({too_long.headers[HEADER], forged.headers[HEADER], none.headers[HEADER]}) == 3


@contextlib.asynccontextmanager
async def served(app, port: int):
    """The application on a real uvicorn server (its access log included), in this event loop."""
    # log_level sets uvicorn's own loggers for this server: an earlier in-process server of the run
    # (log_level="warning") would otherwise keep the access lines out of what this test reads.
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, log_level="debug",
                                           lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "uvicorn did not start"
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        await task


async def test_no_secret_reaches_any_log_line_at_debug(database_url):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = portal_settings(database_url, issuer=base, log_level="debug", log_format="json")
    backchannel = Backchannel()
    app = create_app(settings, http=httpx.AsyncClient(transport=httpx.MockTransport(backchannel.handler)))
    buffer = io.StringIO()
    installed_handler().setStream(buffer)
    async with served(app, port):
        put = PortalUnderTest(app, settings, backchannel)
        client = await put.add_client("rp")
        await put.add_account("zhangsan")
        browser = Browser(put)
        browser.client = httpx.AsyncClient(base_url=base, headers={HEADER: "redaction-run-1"})
        verifier, challenge = pkce_pair()
        code = callback_params(await browser.authorize(dict(
            response_type="code", client_id="rp", redirect_uri=client.redirect_uri,
            scope="openid profile offline_access",
            state=secrets.token_urlsafe(8), nonce=secrets.token_urlsafe(8), code_challenge=challenge,
            code_challenge_method="S256")))["code"]
        async with httpx.AsyncClient(base_url=base, auth=(client.client_id, client.client_secret)) as rp:
            tokens = (await rp.post("/token", data=dict(grant_type="authorization_code", code=code,
                                                        redirect_uri=client.redirect_uri,
                                                        code_verifier=verifier))).json()
            refreshed = (await rp.post("/token", data=dict(grant_type="refresh_token",
                                                           refresh_token=tokens["refresh_token"]))).json()
            await rp.post("/introspect", data={"token": refreshed["access_token"]})
            await rp.get("/userinfo", headers={"Authorization": "Bearer " + refreshed["access_token"]})
            await rp.post("/revoke", data={"token": refreshed["refresh_token"]})
            await rp.post("/token", data=dict(grant_type="authorization_code", code=code,
                                              redirect_uri=client.redirect_uri, code_verifier=verifier))  # replay
        cookies = [cookie.value for cookie in browser.client.cookies.jar]
        await browser.client.get("/logout?" + urlencode({"id_token_hint": tokens["id_token"], "state": "s"}))
        await browser.client.post("/login", data={"username": "zhangsan", "password": PASSWORD, "captcha": "x"})
        await browser.aclose()
    lines = json_lines(buffer)  # every line is one JSON object
    secrets_used = {"password": PASSWORD, "code": code, "code_verifier": verifier,
                    "client_secret": client.client_secret, "id_token_hint": tokens["id_token"],
                    **{f"cookie {i}": value for i, value in enumerate(cookies)},
                    **{f"{name} {i}": response[name] for i, response in enumerate((tokens, refreshed))
                       for name in ("access_token", "refresh_token", "id_token")}}
    assert cookies and len(lines) > 20
    assert {line["logger"] for line in lines} >= {"uvicorn.access", "httpx"}
    leaked = {name for name, value in secrets_used.items() if any(value in json.dumps(line) for line in lines)}
    assert not leaked, leaked
    served_lines = [line for line in lines if line["logger"] == "uvicorn.access" and "/logout" in line["message"]]
    assert served_lines and all(line["request_id"] == "redaction-run-1" for line in served_lines)


def test_the_redaction_filter_masks_known_secrets_that_reach_it_anyway():
    """The safety net behind not logging secrets at all (shared/logs.RedactSecrets)."""
    buffer = io.StringIO()
    configure_logging("debug", "json", stream=buffer)
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ6aGFuZ3NhbiJ9.c2lnbmF0dXJlLXZhbHVl"
    log = logging.getLogger("idp.example")
    log.debug("form password=S3cret-pass&username=zhangsan")
    log.debug("body %s", {"client_secret": "cs-0123456789", "scope": "openid"})
    log.debug('{"refresh_token": "rt-0123456789", "token_type": "Bearer"}')
    log.debug("header Authorization: Bearer at-0123456789abcdef")
    log.debug("hint %s", jwt)
    log.debug("cookie", extra={"cookie": "idp_session=ck-0123456789", "client_id": "udi"})
    log.debug("headers %s", [(b"set-cookie", b"idp_session=sc-0123456789; Path=/; HttpOnly")])
    log.debug("Cookie: idp_browser=br-0123456789; idp_session=ck-9876543210")
    text = buffer.getvalue()
    for value in ("S3cret-pass", "cs-0123456789", "rt-0123456789", "at-0123456789abcdef", jwt, "ck-0123456789",
                  "sc-0123456789", "br-0123456789", "ck-9876543210"):
        assert value not in text, value
    lines = json_lines(buffer)
    assert lines[0]["message"] == "form password=[redacted]&username=zhangsan"
    assert "'scope': 'openid'" in lines[1]["message"] and lines[5]["client_id"] == "udi"


async def test_the_traceback_of_an_unhandled_error_carries_the_request_id():
    app = FastAPI()

    @app.get("/boom")
    async def boom():
        raise RuntimeError("unhandled")

    app.add_middleware(RequestId)
    buffer = io.StringIO()
    configure_logging("info", "json", stream=buffer)
    port = free_port()
    with server_error_expected(500, "/boom"), logged_error_expected("uvicorn.error", RuntimeError):
        async with served(app, port):
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                response = await http.get("/boom", headers={HEADER: "trace-boom"})
    assert response.status_code == 500
    [error] = [line for line in json_lines(buffer) if line["level"] == "error"]
    assert error["request_id"] == "trace-boom" and "RuntimeError: unhandled" in error["exception"]


async def test_a_back_channel_logout_carries_the_request_id_of_the_logout(put, browser, monkeypatch):
    seen = []
    deliver = put.backchannel.handler

    def noting(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get(HEADER))
        return deliver(request)

    monkeypatch.setattr(put.backchannel, "handler", noting)
    tokens = await code_flow(put, browser, put.rp)
    browser.client.headers[HEADER] = "logout-trace-1"
    response = await browser.client.get("/logout?" + urlencode({
        "id_token_hint": tokens["id_token"], "post_logout_redirect_uri": f"{RP}/rp/logged-out"}))
    await wait_for_background_deliveries()
    assert response.status_code == 303 and response.headers[HEADER] == "logout-trace-1"
    assert seen == ["logout-trace-1"]
