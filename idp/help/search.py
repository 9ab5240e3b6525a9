"""Searching the help entries: every word of the query must occur in an entry's title or answer.

Chinese has no spaces between words, so matching is by substring (casefolded, so Latin letters
such as "CTID" match in any case); the user may type several words separated by spaces to narrow
the results. No stemming, no synonyms: the entries are few and written in the guides' words.
"""
from __future__ import annotations

from idp.help.entries import Entry

MAX_QUERY_LENGTH = 50


def query_terms(query: str) -> list[str]:
    return [term.casefold() for term in query.split()]


def search(entries: tuple[Entry, ...], query: str) -> list[Entry]:
    """The entries matching every term, in their pages' order; none for an empty query."""
    terms = query_terms(query)
    if not terms:
        return []
    return [entry for entry in entries if all(term in entry.text.casefold() for term in terms)]
