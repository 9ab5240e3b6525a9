"""No query string reaches an access log (shared/access_log.py): uvicorn's access record for
/logout?id_token_hint=…, /authorize?…, or a system's callback with ?code=… keeps only its path."""
import logging

import pytest
from uvicorn.logging import AccessFormatter

from idp.app import create_app
from mock_systems.udi import create_app as create_udi_app
from shared.access_log import ACCESS_LOGGER, HTTPX_LOGGER, DropOutgoingQueryStrings, DropQueryStrings
from tests.support.portal import test_settings as portal_settings

ID_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ6aGFuZ3NhbiJ9.c2lnbmF0dXJl"


def access_record(path_with_query: str) -> logging.LogRecord:
    """The record uvicorn's HTTP protocols log for one request (uvicorn/protocols/http/*_impl.py)."""
    return logging.getLogger(ACCESS_LOGGER).makeRecord(
        ACCESS_LOGGER, logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:50000", "GET", path_with_query, "1.1", 303), None)


def logged_line(record: logging.LogRecord) -> str:
    return AccessFormatter(fmt='%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False).format(record)


@pytest.mark.parametrize("path_with_query, path, secret", [
    (f"/logout?id_token_hint={ID_TOKEN}&post_logout_redirect_uri=https%3A%2F%2Frp%2F&state=s", "/logout", ID_TOKEN),
    ("/authorize?response_type=code&client_id=udi&id_token_hint=" + ID_TOKEN, "/authorize", ID_TOKEN),
    ("/auth/callback?code=Sx3kq9Zr0secretcode&state=abc&iss=https%3A%2F%2Fop", "/auth/callback", "Sx3kq9Zr0secretcode"),
])
def test_the_query_string_is_dropped_and_the_path_kept(path_with_query, path, secret):
    record = access_record(path_with_query)
    assert DropQueryStrings().filter(record) is True  # the line is still logged
    line = logged_line(record)
    assert secret not in line and "code=" not in line and "id_token_hint" not in line
    assert f'"GET {path}?[query removed] HTTP/1.1" 303' in line


def test_a_line_without_query_is_unchanged():
    record = access_record("/login")
    DropQueryStrings().filter(record)
    assert '"GET /login HTTP/1.1" 303' in logged_line(record)


@pytest.mark.parametrize("factory", [lambda: create_app(portal_settings("sqlite+aiosqlite://")), create_udi_app])
def test_the_portal_and_the_systems_install_the_filter_once(factory, monkeypatch):
    logger = logging.getLogger(ACCESS_LOGGER)
    monkeypatch.setattr(logger, "filters", [])
    factory()
    factory()
    assert [type(f) for f in logger.filters] == [DropQueryStrings]


@pytest.mark.parametrize("path, status, logged", [
    ("/healthz", 200, False), ("/readyz", 200, False), ("/readyz?verbose=1", 200, False),
    ("/readyz", 503, True),  # a failing probe is what an operator looks for
    ("/metrics", 200, True), ("/healthz/x", 404, True),
])
def test_successful_probes_are_left_out_of_the_access_log(path, status, logged):
    record = logging.getLogger(ACCESS_LOGGER).makeRecord(
        ACCESS_LOGGER, logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:50000", "GET", path, "1.1", status), None)
    assert DropQueryStrings().filter(record) is logged


def test_an_outgoing_request_line_of_httpx_loses_its_query():
    record = logging.getLogger(HTTPX_LOGGER).makeRecord(
        HTTPX_LOGGER, logging.INFO, __file__, 1, 'HTTP Request: %s %s "%s %d %s"',
        ("GET", f"https://op.example.test/logout?id_token_hint={ID_TOKEN}", "HTTP/1.1", 200, "OK"), None)
    assert DropOutgoingQueryStrings().filter(record) is True
    assert record.getMessage() == 'HTTP Request: GET https://op.example.test/logout?[query removed] "HTTP/1.1 200 OK"'
