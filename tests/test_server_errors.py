"""The run-wide check of tests/support/server_errors.py: it sees a 5xx of any in-process app, an
unhandled exception, a logged traceback and a live process's traceback, and lets through only
what a test declared deliberate."""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from tests.support import server_errors


def crash(_request):
    raise RuntimeError("boom")


APP = Starlette(routes=[Route("/busy", lambda _r: Response(status_code=503)), Route("/crash", crash),
                        Route("/ok", lambda _r: Response("ok"))])


def taken_back(before: int) -> list[str]:
    """What this test provoked, removed again so that the run itself stays clean."""
    provoked = [str(e) for e in server_errors.errors[before:]]
    del server_errors.errors[before:]
    return provoked


async def test_5xx_unhandled_exceptions_and_logged_tracebacks_are_recorded():
    before = len(server_errors.errors)
    transport = httpx.ASGITransport(app=APP, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as http:
        assert (await http.get("/ok")).status_code == 200
        assert (await http.get("/busy")).status_code == 503
        assert (await http.get("/crash")).status_code == 500
    try:
        raise ConnectionError("down")
    except ConnectionError:
        logging.getLogger("some.sender").exception("not sent")
    logging.getLogger("some.sender").error("an error without a traceback is no crash")
    provoked = taken_back(before)
    assert len(provoked) == 3, provoked
    assert "HTTP 503 from GET /busy" in provoked[0] and "HTTP 500 from GET /crash" in provoked[1]
    assert "logged ConnectionError: not sent" in provoked[2]


async def test_only_what_is_declared_deliberate_passes():
    before = len(server_errors.errors)
    transport = httpx.ASGITransport(app=APP, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as http:
        with server_errors.server_error_expected(503, "/busy"):
            await http.get("/busy")
            await http.get("/crash")  # another status and path: still recorded
        with server_errors.logged_error_expected("some.sender", ConnectionError):
            try:
                raise ConnectionError("down")
            except ConnectionError:
                logging.getLogger("some.sender").exception("not sent")
        await http.get("/busy")  # the block has ended
    provoked = taken_back(before)
    assert len(provoked) == 2 and "/crash" in provoked[0] and "/busy" in provoked[1], provoked


def test_live_process_logs_with_a_traceback_or_a_5xx_line_are_found():
    # Not under the run's temporary directory: the check at the end of the run reads all logs there.
    with tempfile.TemporaryDirectory() as scratch:
        found = written_and_scanned(Path(scratch))
    assert [e.where.rsplit("/", 1)[-1] for e in found] == ["crashed.log", "five.log"]


def written_and_scanned(tmp_path: Path) -> list:
    (tmp_path / "clean.log").write_text('INFO: 127.0.0.1:5 - "GET /jwks HTTP/1.1" 200 OK\n')
    (tmp_path / "crashed.log").write_text("ERROR: Exception in ASGI application\nTraceback (most recent call last):\n")
    (tmp_path / "five.log").write_text('INFO: 127.0.0.1:5 - "POST /token HTTP/1.1" 500 Internal Server Error\n')
    return server_errors.scan_logs(tmp_path)
