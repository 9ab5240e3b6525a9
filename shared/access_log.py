"""Access-log lines without query strings, for the portal and the business systems alike.

A request line's query can carry a secret: the ``id_token_hint`` of /authorize and of the
end_session_endpoint, a one-time ``code`` at a relying party's callback, a binding or unlock
token. Access logs are kept, copied and read far more widely than the services themselves, so
no query string goes into them at all (ASVS 7.1.1 "no session tokens in logs"; OWASP logging
cheat sheet). The filter rewrites uvicorn's access record (logger ``uvicorn.access``, arguments
client, method, path with query, HTTP version, status): the path stays, the query is replaced
by a marker, so a line still shows that a query was sent.
"""
from __future__ import annotations

import logging

ACCESS_LOGGER = "uvicorn.access"
QUERY_MARKER = "?[query removed]"


class DropQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str) and "?" in args[2]:
            path = args[2].split("?", 1)[0]
            record.args = (*args[:2], path + QUERY_MARKER, *args[3:])
        return True


def drop_query_strings_from_access_log() -> None:
    """Install the filter on uvicorn's access logger, once per process. Called by the application
    factories: uvicorn has configured its loggers by then, and a filter on the logger itself
    holds whatever handlers a deployment's logging configuration attaches."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, DropQueryStrings) for existing in logger.filters):
        logger.addFilter(DropQueryStrings())
