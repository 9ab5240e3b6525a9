"""Reading the help pages' data files, checked field by field: a malformed file stops the portal
at start-up with the file, the entry and what is wrong, instead of a broken page later.

Format (``data/faq.yaml``, ``data/guide.yaml``)::

    entries:
      - id: undo-fixed-binding          # the anchor: lower-case letters, digits and hyphens
        title: 如何解除“不可解除”的绑定？
        answer: |                        # paragraphs separated by blank lines
          …
        links:                           # optional: paths of the portal only
          - text: 咨询
            href: /problem?ssywxt=ZWFW
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from idp.help.entries import Entry, Library, Link
from shared.yaml_files import read_yaml

DATA = Path(__file__).parent / "data"
ANCHOR = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ENTRY_KEYS = {"id", "title", "answer", "links"}
LINK_KEYS = {"text", "href"}
PAGES = ("faq", "guide")


class HelpDataError(ValueError):
    """A help data file that cannot be shown; the message names the file and the entry."""


def load_library(folder: Path | None = None) -> Library:
    folder = folder or DATA
    pages = {page: load_entries(folder / f"{page}.yaml", page) for page in PAGES}
    seen: dict[str, str] = {}
    for entry in pages["faq"] + pages["guide"]:
        if entry.anchor in seen:
            raise HelpDataError(f"{folder / (entry.page + '.yaml')}: id {entry.anchor!r} is used twice "
                                f"(first in {seen[entry.anchor]}.yaml); search results link by id")
        seen[entry.anchor] = entry.page
    return Library(faq=pages["faq"], guide=pages["guide"])


def load_entries(path: Path, page: str) -> tuple[Entry, ...]:
    try:
        document = read_yaml(path)
    except (OSError, yaml.YAMLError) as exc:
        raise HelpDataError(f"{path}: cannot be read as YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("entries"), list) or not document["entries"]:
        raise HelpDataError(f"{path}: expected a mapping with a non-empty list 'entries'")
    return tuple(_entry(path, page, number, item) for number, item in enumerate(document["entries"], 1))


def _entry(path: Path, page: str, number: int, item: object) -> Entry:
    where = f"{path}: entry {number}"
    if not isinstance(item, dict):
        raise HelpDataError(f"{where}: expected a mapping with id, title, answer and links")
    if isinstance(item.get("id"), str):
        where += f" ({item['id']})"
    unknown = set(item) - ENTRY_KEYS
    if unknown:
        raise HelpDataError(f"{where}: unknown field(s) {sorted(unknown)}; allowed: {sorted(ENTRY_KEYS)}")
    anchor = _text(where, item, "id")
    if not ANCHOR.fullmatch(anchor):
        raise HelpDataError(f"{where}: id {anchor!r} must be lower-case letters, digits and hyphens")
    paragraphs = tuple(p.strip() for p in re.split(r"\n\s*\n", _text(where, item, "answer")) if p.strip())
    links = item.get("links") or []
    if not isinstance(links, list):
        raise HelpDataError(f"{where}: 'links' must be a list of {{text, href}}")
    return Entry(anchor=anchor, title=_text(where, item, "title"), paragraphs=paragraphs,
                 links=tuple(_link(f"{where}, link {n}", link) for n, link in enumerate(links, 1)), page=page)


def _link(where: str, item: object) -> Link:
    if not isinstance(item, dict) or set(item) != LINK_KEYS:
        raise HelpDataError(f"{where}: expected exactly the fields text and href")
    href = _text(where, item, "href")
    if not href.startswith("/") or href.startswith("//"):
        raise HelpDataError(f"{where}: href {href!r} must be a path of the portal, starting with a single '/'")
    return Link(text=_text(where, item, "text"), href=href)


def _text(where: str, item: dict, key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise HelpDataError(f"{where}: '{key}' must be a non-empty text")
    return value.strip()
