"""The stored self-service flow."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.db.base import Base, UTCDateTime
from idp.personal_data.columns import SealedJSON


class Flow(Base):
    __tablename__ = "flows"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # registration_legal, registration_personal, recovery, …
    state: Mapped[str] = mapped_column(String(32))
    # never passwords; encrypted as one value (idp.personal_data): a registration's form holds
    # the ID number, mobile and e-mail, a contact flow the address a code went to
    data: Mapped[dict] = mapped_column(SealedJSON("flows.data"), default=dict)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    browser_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

