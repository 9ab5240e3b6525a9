"""A pairwise client's sector (OpenID Connect Core §8.1, Dynamic Client Registration §5):
registering ``subject_type: pairwise`` either with redirect URIs on one host (the sector), or with
a ``sector_identifier_uri`` whose document, fetched at registration, is a JSON array of URIs that
lists every redirect URI of the client; the sector is then that URI's host (idp.clients.pairwise).

A client's sector cannot change once registered: every ``sub`` the system holds would change
with it, and its links to portal accounts (授权绑定) would point at nobody.
"""
from __future__ import annotations

from collections.abc import Sequence

import httpx

from idp.clients.pairwise import NoSector, sector_of
from shared import safe_json

TIMEOUT_SECONDS = 5.0
MAX_DOCUMENT_BYTES = 64 * 1024


class SectorError(ValueError):
    """The sector cannot be established or would change (a registration error)."""


async def fetch_sector_uris(http: httpx.AsyncClient | None, uri: str) -> list[str]:
    """Registration §5: the document is a JSON array of redirect URIs, fetched with GET."""
    own = http is None
    client = http or httpx.AsyncClient()
    try:
        response = await client.get(uri, timeout=TIMEOUT_SECONDS, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise SectorError(f"sector_identifier_uri could not be fetched: {exc.__class__.__name__}") from exc
    finally:
        if own:
            await client.aclose()
    if response.status_code != 200 or len(response.content) > MAX_DOCUMENT_BYTES:
        raise SectorError(f"sector_identifier_uri answered HTTP {response.status_code}")
    try:
        document = safe_json.loads(response.content)
    except ValueError:
        document = None
    if not isinstance(document, list) or not all(isinstance(u, str) for u in document):
        raise SectorError("sector_identifier_uri is not a JSON array of URIs")
    return document


async def check_sector(http: httpx.AsyncClient | None, subject_type: str, sector_identifier_uri: str | None,
                       redirect_uris: Sequence[str], *, registered: tuple[str, str | None] | None) -> None:
    """The rules above for a client about to be stored. ``registered``: the subject type and
    sector it had before this change, None for a new client."""
    sector = None
    if subject_type == "pairwise":
        try:
            sector = sector_of(sector_identifier_uri, redirect_uris)
        except NoSector as exc:
            raise SectorError(str(exc)) from None
    if registered is not None and registered != (subject_type, sector):
        raise SectorError("the subject type and sector of a client cannot change: every sub it holds would change")
    if sector is not None and sector_identifier_uri:
        listed = await fetch_sector_uris(http, sector_identifier_uri)
        missing = [uri for uri in redirect_uris if uri not in listed]
        if missing:
            raise SectorError("sector_identifier_uri does not list " + ", ".join(missing))


def registered_subjects(subject_type: str, sector_identifier_uri: str | None,
                        redirect_uris: Sequence[str]) -> tuple[str, str | None]:
    """A stored client's subject type and sector, as :func:`check_sector` compares them."""
    if subject_type != "pairwise":
        return subject_type, None
    return subject_type, sector_of(sector_identifier_uri, redirect_uris)
