"""A business system verifies the portal's certificate; a portal behind a private CA (nginx with
`make cluster`'s CA) is trusted through ``<PREFIX>CA_BUNDLE``, never by switching verification off."""
from __future__ import annotations

import contextlib
import http.server
import ssl
import threading

import httpx
import pytest

from mock_systems.common.settings import settings_for
from mock_systems.udi import PROFILE as UDI
from shared.tls_certificate import make_server_certificate


@contextlib.contextmanager
def https_portal(tmp_path):
    """An https server on loopback with a certificate from a CA of its own, answering 200."""
    certificate = make_server_certificate(tmp_path / "tls")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *_args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate.certificate_path, certificate.key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", certificate.ca_path
    finally:
        server.shutdown()
        server.server_close()


async def test_the_ca_bundle_makes_a_private_ca_trusted_and_without_it_the_portal_is_refused(tmp_path):
    with https_portal(tmp_path) as (url, ca_path):
        trusting = settings_for(UDI, ca_bundle=ca_path)
        async with httpx.AsyncClient(verify=trusting.tls_verification()) as http:
            assert (await http.get(url + "/.well-known/openid-configuration")).status_code == 200
        async with httpx.AsyncClient(verify=settings_for(UDI).tls_verification()) as http:
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await http.get(url + "/.well-known/openid-configuration")


def test_a_missing_ca_bundle_stops_the_start(tmp_path):
    with pytest.raises(FileNotFoundError):
        settings_for(UDI, ca_bundle=tmp_path / "missing.pem").tls_verification()
