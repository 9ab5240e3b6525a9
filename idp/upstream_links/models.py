"""One link: this upstream's subject logs in as this portal account.

Unique on (upstream, subject) — an upstream identity opens one account — and on (upstream,
account_id) — an account answers to one identity of each upstream —, so two first logins racing
each other cannot both link (the second INSERT fails on the index, whichever process made it).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from idp.db.base import Base, UTCDateTime
from idp.personal_data.columns import Sealed


class UpstreamLink(Base):
    __tablename__ = "upstream_links"
    __table_args__ = (
        UniqueConstraint("upstream", "subject", name="uq_upstream_links_subject"),
        UniqueConstraint("upstream", "account_id", name="uq_upstream_links_account"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    upstream: Mapped[str] = mapped_column(String(255))  # the upstream's issuer identifier
    subject: Mapped[str] = mapped_column(String(255))  # its `sub` for the person or enterprise
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The upstream's last ID token for this identity: the id_token_hint of the logout sent
    # upstream when the user logs out of the portal (RP-Initiated Logout 1.0 §2). Encrypted
    # (idp.personal_data): its claims carry the person's ID number and mobile.
    id_token: Mapped[str | None] = mapped_column(Sealed("upstream_links.id_token"))
