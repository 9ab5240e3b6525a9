"""No 5xx in the whole test run: every server error a test provoked is collected here and the
run fails at the end with the list (tests/conftest.py, pytest_sessionfinish).

- In-process applications (the portal, the business systems, whichever way a test builds them):
  every ASGI application's response status, recorded by :func:`install` around Starlette's
  ``__call__``; an unhandled exception counts too (the response a server would send is a 500).
- Logs: any record at ERROR or above carrying a traceback (``exc_info``), in-process.
- Live processes (uvicorn in a subprocess, its output in a ``*.log`` file under the run's
  temporary directory): a ``Traceback`` or an access line with a 5xx status (:func:`scan_logs`).

A test that provokes a 5xx on purpose says so, narrowly: ``with server_error_expected(503,
"/binding-api/")`` allows that status on paths starting so, inside the block only, and
``with logged_error_expected("mock_systems.udi.notifications", ConnectionError)`` a logged one.
"""
from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette

ACCESS_5XX = re.compile(r'"[A-Z]+ [^"]*" 5\d\d\b')


@dataclass(frozen=True)
class ServerError:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


errors: list[ServerError] = []
_allowed: list[tuple[int, str]] = []
_allowed_logs: list[tuple[str, type]] = []
_current_test: list[str] = [""]


def _record(where: str, what: str) -> None:
    errors.append(ServerError(_current_test[0] or where, what))


def _is_allowed(status: int, path: str) -> bool:
    return any(status == s and path.startswith(prefix) for s, prefix in _allowed)


@contextlib.contextmanager
def server_error_expected(status: int, path_prefix: str):
    """Inside the block, ``status`` on a path starting with ``path_prefix`` is deliberate."""
    entry = (status, path_prefix)
    _allowed.append(entry)
    try:
        yield
    finally:
        _allowed.remove(entry)


@contextlib.contextmanager
def logged_error_expected(logger: str, exc_type: type[BaseException]):
    """Inside the block, a traceback of ``exc_type`` logged by ``logger`` is deliberate (a test
    making a sender fail, say: the log is what an operator should see)."""
    entry = (logger, exc_type)
    _allowed_logs.append(entry)
    try:
        yield
    finally:
        _allowed_logs.remove(entry)


def set_current_test(nodeid: str) -> None:
    _current_test[0] = nodeid


class _ErrorLogHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[0] is not None:
            if any(record.name == name and issubclass(record.exc_info[0], kind) for name, kind in _allowed_logs):
                return
            _record(record.name, f"logged {record.exc_info[0].__name__}: {record.getMessage()[:200]}")


def install() -> None:
    """Wrap every Starlette (FastAPI) application's ``__call__`` and listen to the root logger."""
    if getattr(Starlette.__call__, "_records_server_errors", False):
        return
    original = Starlette.__call__

    async def recording_call(self, scope, receive, send):
        if scope["type"] != "http":
            return await original(self, scope, receive, send)
        path = scope.get("path", "")
        label = f"{scope.get('method', '')} {path}"

        recorded = []

        async def recording_send(message):
            if message["type"] == "http.response.start" and message["status"] >= 500:
                recorded.append(message["status"])
                if not _is_allowed(message["status"], path):
                    _record(label, f"HTTP {message['status']} from {label}")
            await send(message)

        try:
            await original(self, scope, receive, recording_send)
        except Exception as exc:
            # Starlette has usually sent its 500 already (recorded above); else it is one now.
            if not recorded and not _is_allowed(500, path):
                _record(label, f"unhandled {exc.__class__.__name__} at {label}")
            raise

    recording_call._records_server_errors = True
    Starlette.__call__ = recording_call
    logging.getLogger().addHandler(_ErrorLogHandler(logging.ERROR))


def scan_logs(directory: Path) -> list[ServerError]:
    """The live processes' output files: a traceback or a 5xx access line is a server error."""
    found = []
    for log in sorted(Path(directory).rglob("*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("Traceback") or ACCESS_5XX.search(line):
                found.append(ServerError(str(log), line[:200]))
                break
    return found
