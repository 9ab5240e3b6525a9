"""The UDI system's own tables: the organisation details an account created by binding submits
for review (机构信息完善, 待审核 → 审核通过 / 审核不通过), its review staff and their sessions, and
the notifications of review results waiting for the system's sender (an outbox), and the same
results owed to the portal user as a 我的消息 note (another outbox).

They sit on the common ``Base``: importing this module (mock_systems.udi does) registers them,
so the common start-up (schema.create_tables) creates them with the rest.
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mock_systems.common.db import Base
from mock_systems.common.staff_tables import StaffMemberColumns, StaffSessionColumns
from shared.sqltypes import UTCDateTime


class RegistrationState(str, enum.Enum):
    pending = "pending"  # 待审核
    approved = "approved"  # 审核通过
    rejected = "rejected"  # 审核不通过: the account may correct and submit again

    @property
    def label(self) -> str:
        return {"pending": "待审核", "approved": "审核通过", "rejected": "审核不通过"}[self.value]


class Registration(Base):
    """One account's organisation and contact details and where their review stands; one row
    per account (the unique constraint settles two first submissions at once)."""

    __tablename__ = "udi_registrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("local_accounts.id"), unique=True)
    state: Mapped[RegistrationState] = mapped_column(Enum(
        RegistrationState, native_enum=False, length=16, create_constraint=True, name="registration_state"),
        index=True)
    # 1 for the first submission, +1 at each resubmission: a review names the submission it read,
    # and the notification of its result is one per submission.
    submission: Mapped[int] = mapped_column(Integer, default=1)
    organisation_name: Mapped[str] = mapped_column(String(100))
    credit_code: Mapped[str] = mapped_column(String(18))
    address: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(11))  # a mainland mobile: SMS reaches it
    contact_email: Mapped[str] = mapped_column(String(254), default="")  # given: the result goes by e-mail
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("udi_staff.id"))
    reject_reason: Mapped[str | None] = mapped_column(String(500))


class StaffMember(StaffMemberColumns, Base):
    """A reviewer of the UDI system: its own accounts, never portal accounts."""

    __tablename__ = "udi_staff"


class StaffSession(StaffSessionColumns, Base):
    """A reviewer's session behind its own cookie, apart from the users' sessions: a user's login
    never opens the review pages."""

    __tablename__ = "udi_staff_sessions"

    staff_id: Mapped[int] = mapped_column(ForeignKey("udi_staff.id"))


class Notification(Base):
    """A review result owed to the contact (SMS or e-mail), written in the review's transaction
    and delivered by the system's sender afterwards; one per submission reviewed."""

    __tablename__ = "udi_notifications"
    __table_args__ = (Index("uq_udi_notifications_submission", "registration_id", "submission", unique=True),
                      CheckConstraint("channel IN ('sms', 'email')", name="channel"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("udi_registrations.id"))
    submission: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    sent_by: Mapped[str | None] = mapped_column(String(16))  # the sender that took it (dev_sink)


class PortalNotice(Base):
    """The same review result owed to the portal user the account is linked to: a note in their
    我的消息 (POST PORTAL_NOTICES), written in the review's transaction beside the Notification
    and delivered the same way; one per submission reviewed."""

    __tablename__ = "udi_portal_notices"
    __table_args__ = (Index("uq_udi_portal_notices_submission", "registration_id", "submission", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("udi_registrations.id"))
    submission: Mapped[int] = mapped_column(Integer)
    portal_subject: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(String(200))
