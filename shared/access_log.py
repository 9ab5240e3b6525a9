"""Access-log lines without query strings or probe noise, for the portal and the business systems alike.

A request line's query can carry a secret: the ``id_token_hint`` of /authorize and of the
end_session_endpoint, a one-time ``code`` at a relying party's callback, a binding or unlock
token. Access logs are kept, copied and read far more widely than the services themselves, so
no query string goes into them at all (ASVS 7.1.1 "no session tokens in logs"; OWASP logging
cheat sheet). The filter rewrites uvicorn's access record (logger ``uvicorn.access``, arguments
client, method, path with query, HTTP version, status): the path stays, the query is replaced
by a marker, so a line still shows that a query was sent. httpx's line for each outgoing request
(logger ``httpx``, "HTTP Request: method URL …") loses its query the same way.

A load balancer asks /healthz and /readyz every few seconds: their successful answers are not
logged (a failing probe still is, it is what an operator looks for).
"""
from __future__ import annotations

import logging

ACCESS_LOGGER = "uvicorn.access"
HTTPX_LOGGER = "httpx"
QUERY_MARKER = "?[query removed]"
PROBES = frozenset({"/healthz", "/readyz"})


class DropQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            path = args[2].split("?", 1)[0]
            if path in PROBES and isinstance(args[4], int) and args[4] < 400:
                return False
            if "?" in args[2]:
                record.args = (*args[:2], path + QUERY_MARKER, *args[3:])
        return True


class DropOutgoingQueryStrings(logging.Filter):
    """httpx logs ``'HTTP Request: %s %s "%s %d %s"'`` with the URL as its second argument."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 2 and "?" in str(args[1]):
            record.args = (args[0], str(args[1]).split("?", 1)[0] + QUERY_MARKER, *args[2:])
        return True


def drop_query_strings_from_access_log() -> None:
    """Install the filters on uvicorn's access logger and httpx's, once per process. Called by
    the application factories: uvicorn has configured its loggers by then, and a filter on the
    logger itself holds whatever handlers a deployment's logging configuration attaches."""
    for name, kind in ((ACCESS_LOGGER, DropQueryStrings), (HTTPX_LOGGER, DropOutgoingQueryStrings)):
        logger = logging.getLogger(name)
        if not any(isinstance(existing, kind) for existing in logger.filters):
            logger.addFilter(kind())
