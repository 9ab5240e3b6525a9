"""Logging for the portal and the business systems: one format, the request id on every line.

``configure_logging(level, fmt)`` (called by each application factory) installs one handler on
the root logger and routes uvicorn's loggers through it, so the server's own lines, the access
log and the application's records come out alike:

- ``json``: one JSON object per line — ``time`` (UTC, ISO 8601), ``level``, ``logger``,
  ``message``, ``request_id`` and the record's extra fields (``log.info("…", extra={…})``), and
  ``exception`` with the traceback when there is one. For log collectors (production default).
- ``text``: one readable line per record, the request id in brackets (development default).

Secrets stay out of logs first of all because nothing logs them: no request bodies, no headers,
no query strings in access lines (shared/access_log.py), and the libraries whose debug output
prints raw headers or SQL parameters are held at WARNING whatever the level (:data:`QUIET`).
:class:`RedactSecrets` is the safety net behind that: on the handler, it masks the values of
known secret keys (``password=…``, ``"client_secret": …``, ``Authorization: Bearer …``), any
compact JWT, and extra fields named like a secret.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from typing import IO, Literal

from shared.request_id import current as current_request_id

LogFormat = Literal["json", "text"]
# Library loggers whose debug or info output carries what must not be logged: httpcore prints raw
# request and response headers (cookies, Authorization), SQLAlchemy's engine and aiosqlite print
# statement parameters (personal data, token digests), hpack the decoded headers.
QUIET = ("httpcore", "hpack", "sqlalchemy.engine", "sqlalchemy.pool", "aiosqlite", "asyncpg")
UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")

SECRET_KEYS = ("password", "passwd", "client_secret", "secret", "code", "code_verifier", "refresh_token",
               "access_token", "id_token", "id_token_hint", "logout_token", "token", "cookie", "set-cookie",
               "authorization", "client_assertion", "captcha", "answer")
MASK = "[redacted]"
_KEYS = "|".join(re.escape(key) for key in sorted(SECRET_KEYS, key=len, reverse=True))
PATTERNS = (
    # key=value in a query string, a form body or a "k=v" log message
    (re.compile(rf"(?i)\b({_KEYS})=([^&\s\"',;)]+)"), rf"\1={MASK}"),
    # "key": "value" and 'key': 'value' (JSON, a dict's repr)
    (re.compile(rf"(?i)([\"']({_KEYS})[\"']\s*:\s*)([\"'])(?:(?!\3).)*\3"), rf"\1\3{MASK}\3"),
    # a Cookie or Set-Cookie header's whole value: "Cookie: a=…; b=…", (b'set-cookie', b'…')
    (re.compile(r"(?i)((?:set-)?cookie['\"]?\s*[:,]\s*b?['\"]?)[^'\"\r\n]+"), rf"\1{MASK}"),
    # Authorization: Bearer …, Basic …
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {MASK}"),
    # a compact JWS/JWT anywhere (ID tokens, access tokens, logout tokens, id_token_hint)
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), MASK),
)
# What every LogRecord has; anything else on a record came from ``extra=`` (uvicorn's
# ``color_message``, the message with terminal colour codes, is left out too).
STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName",
                                                                     "color_message"}


def redact(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def is_secret_key(name: str) -> bool:
    lowered = name.lower()
    return any(lowered == key or lowered.endswith("_" + key) for key in SECRET_KEYS)


class RedactSecrets(logging.Filter):
    """The safety net: the formatted message and the extra fields, masked (module docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        for name in set(vars(record)) - STANDARD_ATTRIBUTES:
            value = getattr(record, name)
            if is_secret_key(name):
                setattr(record, name, MASK)
            elif isinstance(value, str):
                setattr(record, name, redact(value))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": current_request_id.get(),
        }
        for name in sorted(set(vars(record)) - STANDARD_ATTRIBUTES):
            entry.setdefault(name, getattr(record, name))
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.__dict__["request_id"] = current_request_id.get() or "-"
        try:
            return super().format(record)
        finally:
            del record.__dict__["request_id"]

    def formatException(self, ei) -> str:
        return redact(super().formatException(ei))


class _OurHandler(logging.StreamHandler):
    """Marks the handler :func:`configure_logging` installed, so a second call replaces it."""


def configure_logging(level: str = "info", fmt: LogFormat = "text", *, stream: IO[str] | None = None
                      ) -> logging.Handler:
    """Install the one handler on the root logger (replacing ours from an earlier call, leaving any
    other in place) at ``level``; uvicorn's loggers hand their records to it, at the level
    uvicorn's ``--log-level`` gave them (unset: the root's)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(handler)
    handler = _OurHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactSecrets())
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in UVICORN:
        logger = logging.getLogger(name)
        if logger.handlers or logger.propagate:  # else uvicorn silenced it (--no-access-log)
            logger.handlers.clear()  # uvicorn's own, with its own format
            logger.propagate = True
    for name in QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    return handler


def installed_handler() -> logging.Handler | None:
    """The handler :func:`configure_logging` installed (tests capture its output)."""
    return next((h for h in logging.getLogger().handlers if isinstance(h, _OurHandler)), None)
