"""Registration state changes.

法人 (kind ``registration_legal``): enterprise --verify_enterprise--> user --confirm_registration--> done
(and user --return_to_enterprise--> enterprise, 上一步). 个人 (kind ``registration_personal``):
form --register_person--> done.

Duplicates are looked up first for a clear message, but only the database's unique constraints
make registration race-safe: an IntegrityError from two registrations at once becomes the same
DomainError as the lookup would have given. Verifiers are called outside any transaction.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from idp.accounts.display import mask_id_number
from idp.accounts.models import Account
from idp.accounts.service import AccountExists, create_account
from idp.audit.log import record
from idp.errors import DomainError, PageError
from idp.flows import store
from idp.flows.models import Flow
from idp.flows.registration.forms import Credentials, EnterpriseForm, PersonForm
from idp.flows.registration.states import State
from idp.portal import Portal
from idp.verification.registers import (
    EnterpriseClaim,
    EnterpriseVerifier,
    IdentityVerifier,
    PersonClaim,
)

LEGAL, PERSONAL = "registration_legal", "registration_personal"
# Which unique constraint refused the row (PostgreSQL names the constraint, SQLite the column).
DUPLICATES = (("personal_id_number", "id_number.exists"), ("personal_mobile", "registration.mobile_exists"),
              ("credit_code", "credit_code.exists"), ("username", "registration.username_exists"))


def require_state(flow: Flow, state: str) -> None:
    if flow.state != state:
        raise PageError(store.EXPIRED, status_code=409, detail=f"flow is not in state {state}")


def duplicate(exc: IntegrityError) -> DomainError:
    text = str(exc.orig)
    for column, message_id in DUPLICATES:
        if column in text:
            return DomainError(message_id)
    raise exc


async def _first_taken(portal: Portal, **columns) -> DomainError | None:
    """The first of ``columns`` (in DUPLICATES order) whose value an account already has."""
    async with portal.reader() as db:
        for column, message_id in DUPLICATES:
            if column in columns and await db.scalar(
                select(Account.id).where(getattr(Account, column) == columns[column]).limit(1)
            ) is not None:
                return DomainError(message_id)
    return None


async def _refused(portal: Portal, event: str, error: DomainError, source_ip: str | None, **details) -> DomainError:
    """Audit a refusal in a transaction of its own (the refused change is rolled back)."""
    async with portal.sessionmaker.begin() as db:
        record(db, event, outcome="failure", source_ip=source_ip, reason=error.message_id, **details)
    return error


# --- 法人 ------------------------------------------------------------------------------


async def verify_enterprise(portal: Portal, flow: Flow, form: EnterpriseForm, verifier: EnterpriseVerifier,
                            source_ip: str | None) -> None:
    """开始认证: one legal-person account per credit code, then 工商认证."""
    require_state(flow, "enterprise")
    details = {"credit_code": form.credit_code, "legal_rep_id": mask_id_number(form.document.id_number)}
    taken = await _first_taken(portal, credit_code=form.credit_code)
    if taken is not None:
        raise await _refused(portal, "registration.legal.refused", taken, source_ip, **details)
    claim = EnterpriseClaim(form.enterprise_name, form.credit_code, form.name, form.document.id_number)
    if not await verifier.verify(claim):
        raise await _refused(portal, "registration.legal.refused", DomainError("registration.enterprise_failed"),
                             source_ip, **details)
    async with portal.sessionmaker.begin() as db:
        await store.advance(db, flow, expected=State.ENTERPRISE, to=State.USER, enterprise=form.as_data())
        if form.credit_code_warnings:
            # Accepted (early pilot codes fail GB 11714 and are legal), but kept for manual review.
            record(db, "registration.credit_code_warning", outcome="warning", source_ip=source_ip,
                   credit_code=form.credit_code, warnings=list(form.credit_code_warnings))
        record(db, "registration.legal.verified", source_ip=source_ip, **details)


async def return_to_enterprise(portal: Portal, flow: Flow) -> None:
    """上一步: back to the enterprise data, which stays filled in."""
    require_state(flow, "user")
    async with portal.sessionmaker.begin() as db:
        await store.advance(db, flow, expected=State.USER, to=State.ENTERPRISE)


def verified_enterprise(flow: Flow) -> EnterpriseForm:
    """What step 1 verified, once the flow is at 创建用户 (the password may not use it)."""
    require_state(flow, "user")
    return EnterpriseForm.from_data(flow.data["enterprise"])


async def confirm_registration(portal: Portal, flow: Flow, credentials: Credentials,
                               source_ip: str | None) -> Account:
    """确认注册: the legal-person account; ``name`` and ``id_*`` are the legal representative's."""
    enterprise = verified_enterprise(flow)
    details = {"credit_code": enterprise.credit_code, "username": credentials.username}
    taken = await _first_taken(portal, username=credentials.username)
    if taken is not None:
        raise taken  # a form error: the user picks another name
    try:
        async with portal.sessionmaker.begin() as db:
            account = await create_account(
                db, portal.passwords, username=credentials.username, password=credentials.password,
                name=enterprise.name, account_type="legal_person", enterprise_name=enterprise.enterprise_name,
                credit_code=enterprise.credit_code, mobile=enterprise.mobile, email=enterprise.email,
                realname_level=2, **enterprise.document.account_fields(),
            )
            await store.advance(db, flow, expected=State.USER, to=State.DONE, finish=True, username=account.username)
            record(db, "registration.legal.completed", actor=account.subject, source_ip=source_ip,
                   credit_code_warnings=list(enterprise.credit_code_warnings) or None, subject=account.subject,
                   **details)
    except AccountExists:
        raise DomainError("registration.username_exists") from None
    except IntegrityError as exc:
        raise await _refused(portal, "registration.legal.refused", duplicate(exc), source_ip, **details) from None
    return account


# --- 个人 ------------------------------------------------------------------------------


async def register_person(portal: Portal, flow: Flow, form: PersonForm, verifier: IdentityVerifier,
                          source_ip: str | None) -> Account:
    """注册: no second personal account per ID number or mobile; 实名认证 gives level 二级."""
    require_state(flow, "form")
    document, username = form.document, form.credentials.username
    details = {"id_type": document.id_type, "id_number": mask_id_number(document.id_number), "username": username}
    taken = await _first_taken(portal, personal_id_number=document.id_number, personal_mobile=form.mobile,
                               username=username)
    if taken is not None:
        raise await _refused(portal, "registration.personal.refused", taken, source_ip, **details)
    claim = PersonClaim(form.name, document.id_type, document.id_number, document.valid_from, document.valid_to)
    if not await verifier.verify(claim):
        raise await _refused(portal, "registration.personal.refused", DomainError("realname.failed"), source_ip,
                             **details)
    try:
        async with portal.sessionmaker.begin() as db:
            account = await create_account(
                db, portal.passwords, username=username, password=form.credentials.password, name=form.name,
                account_type="personal", mobile=form.mobile, email=form.email, realname_level=2,
                **document.account_fields(),
            )
            await store.advance(db, flow, expected=State.FORM, to=State.DONE, finish=True, username=account.username)
            record(db, "registration.personal.completed", actor=account.subject, source_ip=source_ip,
                   converted_from_15_digits=bool(document.id_number_original) or None, subject=account.subject,
                   **details)
    except AccountExists:
        raise await _refused(portal, "registration.personal.refused", DomainError("registration.username_exists"),
                             source_ip, **details) from None
    except IntegrityError as exc:
        raise await _refused(portal, "registration.personal.refused", duplicate(exc), source_ip, **details) from None
    return account
