"""The stored count of one scope (a destination, an account, a source address …) in its window."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.db.base import Base, UTCDateTime


class WindowCounter(Base):
    __tablename__ = "window_counters"

    # SHA-256 (hex) of the scope's name: a fixed length whatever the scope holds (an e-mail
    # address, a login name). Not for secrecy; the names are guessable.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    # When the current window ends; the next hit after it starts a new window at 1.
    resets_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
