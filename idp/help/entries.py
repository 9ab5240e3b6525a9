"""What a help entry is: a question (or a step of the guide) with its answer and its links."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Link:
    text: str
    href: str  # a path of the portal (checked when loaded): answers never send users elsewhere


@dataclass(frozen=True)
class Entry:
    anchor: str  # the entry's id in its page, e.g. /help/faq#undo-fixed-binding
    title: str
    paragraphs: tuple[str, ...]
    links: tuple[Link, ...]
    page: str  # "faq" (常见问题) or "guide" (新手指导)

    @property
    def text(self) -> str:
        """What a search looks at: the title and the answer."""
        return "\n".join((self.title, *self.paragraphs))


@dataclass(frozen=True)
class Library:
    """Both pages' entries, in the order of their files."""
    faq: tuple[Entry, ...]
    guide: tuple[Entry, ...]

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self.faq + self.guide
