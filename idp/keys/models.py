"""Signing keys. A key is published from created_at, signs from signs_from, and is
unpublished at unpublish_at (set when a successor is rotated in)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from idp.db.base import Base, UTCDateTime


class SigningKey(Base):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(8), index=True)
    public_jwk: Mapped[dict] = mapped_column(JSON)
    private_jwk_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    signs_from: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    signs_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    unpublish_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
