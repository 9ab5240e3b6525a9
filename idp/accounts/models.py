"""Portal accounts: legal persons (法人), personal accounts (个人); agents are personal accounts
that a legal person authorized (the agents issue adds that link); officials (监管人员) are the
accounts of a staff deployment, opened by its operators (idp.accounts.officials).

For a legal person, ``name`` and the ``id_*`` columns describe the legal representative.
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Boolean, Date, Enum, ForeignKey, Integer, String, event, inspect
from sqlalchemy.orm import Mapped, mapped_column

from idp.db.base import Base, UTCDateTime
from idp.personal_data.columns import BlindIndex, NextBlindIndex, Sealed, lower, upper


class AccountType(str, enum.Enum):
    legal_person = "legal_person"
    personal = "personal"
    official = "official"  # a regulator's account at a staff deployment: a unit and a jurisdiction


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The OpenID subject: random, stable, never reused (accounts are never deleted).
    subject: Mapped[str] = mapped_column(String(64), unique=True)
    account_type: Mapped[AccountType] = mapped_column(Enum(AccountType, native_enum=False, length=20))
    username: Mapped[str] = mapped_column(String(64), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(100))
    # ID numbers, mobiles and e-mail addresses are stored encrypted (idp.personal_data): the
    # attributes hold the plaintext, and each is found through a blind index column (its keyed
    # digest), never by comparing the encrypted column.
    mobile: Mapped[str | None] = mapped_column(Sealed("accounts.mobile"))
    mobile_index: Mapped[str | None] = mapped_column(BlindIndex(companion="mobile_index_next"), index=True)
    mobile_index_next: Mapped[str | None] = mapped_column(NextBlindIndex(), index=True)
    email: Mapped[str | None] = mapped_column(Sealed("accounts.email"))
    email_index: Mapped[str | None] = mapped_column(BlindIndex(lower, companion="email_index_next"), index=True)
    email_index_next: Mapped[str | None] = mapped_column(NextBlindIndex(lower), index=True)
    id_type: Mapped[str | None] = mapped_column(String(32))
    id_number: Mapped[str | None] = mapped_column(Sealed("accounts.id_number"))  # 18-digit form
    id_number_index: Mapped[str | None] = mapped_column(BlindIndex(upper, companion="id_number_index_next"), index=True)
    id_number_index_next: Mapped[str | None] = mapped_column(NextBlindIndex(upper), index=True)
    id_number_original: Mapped[str | None] = mapped_column(Sealed("accounts.id_number_original"))  # e.g. 15 digits
    id_valid_from: Mapped[dt.date | None] = mapped_column(Date)
    id_valid_to: Mapped[dt.date | None] = mapped_column(Date)
    id_long_term: Mapped[bool] = mapped_column(Boolean, default=False)  # 长期
    # Set for personal accounts only, so a unique index keeps one personal account per ID
    # number and per mobile (both are login names in 个人登录) while a legal representative
    # may also hold a personal account. Blind indexes: assigned a number, they store its digest;
    # ``Account.personal_id_number == number`` compares digests; read back, they give the digest.
    personal_id_number: Mapped[str | None] = mapped_column(BlindIndex(upper, companion="personal_id_number_next"),
                                                             unique=True)
    personal_id_number_next: Mapped[str | None] = mapped_column(NextBlindIndex(upper), unique=True)
    personal_mobile: Mapped[str | None] = mapped_column(BlindIndex(companion="personal_mobile_next"), unique=True)
    personal_mobile_next: Mapped[str | None] = mapped_column(NextBlindIndex(), unique=True)
    # When the current mobile / email was proven by a code sent to it (None: never proven, e.g.
    # as typed at registration). Whatever changes ``mobile`` or ``email`` sets or clears these
    # in the same UPDATE: the *_verified claims read them (idp.oidc.claims).
    mobile_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    realname_level: Mapped[int] = mapped_column(Integer, default=0)
    # Legal persons only: the enterprise they are.
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    # Officials only: the unit (单位) and its jurisdiction, a province's or a city's 6-digit
    # administrative division code (idp.accounts.officials).
    unit: Mapped[str | None] = mapped_column(String(200))
    jurisdiction: Mapped[str | None] = mapped_column(String(6))
    # Lockout (counted atomically in one UPDATE; see idp.accounts.lockout).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    failed_window_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # 账号注销 (idp.account_closure.states): active → closing (disabled_at set too: no login from then
    # on) → closed (the personal data erased, idp.account_closure.erasure).
    closure_state: Mapped[str] = mapped_column(String(16), default="active", server_default="active", index=True)
    closure_requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    @property
    def personal_data(self) -> tuple[str | None, ...]:
        """What a new password may not contain (ASVS V6.2.4; shared.passwords.validate_password)."""
        return (self.username, self.name, self.mobile, self.id_number, self.id_number_original, self.credit_code)


INDEXED = ("mobile", "email", "id_number")  # each has a blind index column <name>_index
# Every blind index column has a companion <column>_next, written with the new index key while
# one rotates (docs/security.md, "Index key"); NULL otherwise.
DIGESTS = ("mobile_index", "email_index", "id_number_index", "personal_id_number", "personal_mobile")


def with_indexes(values: dict) -> dict:
    """The values of a Core ``update(Account)`` with the blind index of each indexed value it sets
    (None for None), which an ORM flush adds itself: an erased or changed mobile must not stay
    findable under its old digest."""
    values = {**values, **{f"{name}_index": values[name] for name in INDEXED if name in values}}
    return {**values, **{f"{name}_next": values[name] for name in DIGESTS if name in values}}


@event.listens_for(Account, "before_insert")
@event.listens_for(Account, "before_update")
def _index_what_changed(_mapper, _connection, account: Account) -> None:
    """Keep the lookup digests with the values an ORM flush writes (a Core UPDATE that changes
    ``mobile``, ``email`` or ``id_number`` passes its values through :func:`with_indexes`)."""
    state = inspect(account)
    if state.attrs.mobile.history.has_changes() or account.mobile_index is None:
        account.mobile_index = account.mobile
    if state.attrs.email.history.has_changes() or account.email_index is None:
        account.email_index = account.email
    if state.attrs.id_number.history.has_changes() or account.id_number_index is None:
        account.id_number_index = account.id_number
    for name in DIGESTS:  # the companion digests follow what the main ones were given
        if getattr(state.attrs, name).history.has_changes():
            setattr(account, f"{name}_next", getattr(account, name))


class AccountTotp(Base):
    """An account's TOTP second factor, where the deployment requires one (IDP_TOTP_REQUIRED;
    idp.accounts.totp). The secret is encrypted with IDP_KEY_ENCRYPTION_KEY; it counts once
    ``totp_enrolled_at`` is set, after one valid code. ``totp_last_step`` is the newest accepted
    time step, moved forward only by one conditional UPDATE (idp.security.totp.claim_step)."""

    __tablename__ = "account_totp"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    totp_secret_encrypted: Mapped[str] = mapped_column(String(255))
    totp_enrolled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
