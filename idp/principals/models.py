"""An agency: one personal account authorized to act for one enterprise (法人账号)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.db.base import Base, UTCDateTime


class Agency(Base):
    """经办人授权: the legal person ``enterprise_account_id`` authorized ``agent_account_id``.

    ``subject`` is what business systems see as ``sub`` while the agent acts for this enterprise
    (docs/claims.md, Agents): random, and never reused after removal. ``active_key`` is
    "<enterprise>:<agent>" while the agency lasts and NULL once removed, so its unique index
    allows one live agency per pair (NULLs never collide) and the history stays.
    """

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    agent_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    subject: Mapped[str] = mapped_column(String(64), unique=True)
    active_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    removed_by: Mapped[str | None] = mapped_column(String(128))

    @property
    def active(self) -> bool:
        return self.removed_at is None
