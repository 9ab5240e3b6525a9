"""Parsing untrusted JSON and compact JWS/JWT within bounds, for the portal and the systems.

``json.loads`` recurses once per nesting level: a few thousand ``[`` exhaust the interpreter's
stack and raise ``RecursionError``, which is no ``ValueError`` and escaped every handler as an
HTTP 500 with a long traceback in the log (OWASP ASVS 4.0 §5.5.1/§13.1: structured data is
parsed with limits). Here the size is checked first and the depth counted by a scan of the
brackets outside strings, without recursion, before the decoder runs.

JOSE libraries (joserfc, python-jose) decode a token's header (and payload) themselves, so
:func:`compact_jws` checks both segments before a token is handed to one, and every verifier
calls it first. All failures raise :class:`UntrustedInput`, a ``ValueError``: each endpoint
answers it with its protocol's own error.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

MAX_JSON_BYTES = 64 * 1024  # the binding API's bodies and the claims parameter are a few hundred bytes
MAX_TOKEN_CHARS = 16 * 1024  # the portal's ID tokens, access tokens and client assertions: a few KB
MAX_DEPTH = 32  # the deepest legitimate document (OIDC Core §5.5 claims request) has 3 levels

# A string literal (an unterminated one runs to the end: one pass, no backtracking) or a bracket.
LEXEME = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)
SEGMENT = re.compile(r"[A-Za-z0-9_-]*")


class UntrustedInput(ValueError):
    """JSON or a token that is malformed, too large or too deeply nested; the message (ASCII,
    fixed text) says which, never echoing the input."""


def nesting_depth(text: str) -> int:
    """The deepest bracket nesting outside string literals, counted in one linear pass without
    recursion (whether the brackets match is left to the decoder)."""
    depth = deepest = 0
    for lexeme in LEXEME.findall(text):
        if lexeme in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
        elif lexeme in ("]", "}"):
            depth -= 1
    return deepest


def loads(data: str | bytes, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_DEPTH):
    """``json.loads`` of untrusted input: at most ``max_bytes`` (UTF-8) and ``max_depth`` levels."""
    if len(data) > max_bytes:  # characters of a str are at least as many bytes
        raise UntrustedInput("JSON too large")
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise UntrustedInput("JSON is not UTF-8") from None
    if len(data.encode("utf-8", "surrogatepass")) > max_bytes:
        raise UntrustedInput("JSON too large")
    if nesting_depth(data) > max_depth:
        raise UntrustedInput("JSON nested too deeply")
    try:
        return json.loads(data)
    except (ValueError, RecursionError):  # RecursionError cannot happen below the depth bound; kept as a guard
        raise UntrustedInput("not valid JSON") from None


def loads_object(data: str | bytes, **bounds) -> dict:
    """:func:`loads`, and the value must be a JSON object."""
    value = loads(data, **bounds)
    if not isinstance(value, dict):
        raise UntrustedInput("JSON is not an object")
    return value


@dataclass(frozen=True)
class CompactJWS:
    """A compact JWS split and decoded, nothing verified (RFC 7515 §7.1)."""

    header: dict
    payload: dict


def _segment(part: str) -> bytes:
    if not SEGMENT.fullmatch(part):
        raise UntrustedInput("token segment is not base64url")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise UntrustedInput("token segment is not base64url") from None


def compact_jws(token: str, *, max_chars: int = MAX_TOKEN_CHARS) -> CompactJWS:
    """Check a compact JWS before any JOSE library reads it: at most ``max_chars``, three
    base64url segments, a header and a payload that are bounded JSON objects. Returns them
    unverified: only a signature check makes the payload's claims trustworthy."""
    if not isinstance(token, str) or len(token) > max_chars:
        raise UntrustedInput("token too large")
    parts = token.split(".")
    if len(parts) != 3:
        raise UntrustedInput("token is not a compact JWS")
    header = loads_object(_segment(parts[0]), max_bytes=max_chars)
    payload = loads_object(_segment(parts[1]), max_bytes=max_chars)
    _segment(parts[2])
    return CompactJWS(header, payload)
