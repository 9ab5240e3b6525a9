"""账号设置 → 注销账号: what closing an account does around its state machine (idp.account_closure.states).

1. :func:`request_closure_code`: the current password again (a wrong one counts toward the
   lockout), then a code to the account's mobile (its e-mail if it has none), parked in a flow.
2. :func:`close_account`: the code back and the warning acknowledged → active → closing, in one
   transaction with: the code consumed, the account's consents and unfinished flows dropped, and
   each binding sent on its way — one the user may undo is unbound through the user's own
   解除绑定 call, a pending one cancelled at its system, and one 不可解除 handed to staff as a
   解除绑定 request tied to the account (绑定管理, idp.web.staff.binding_requests).
   After it commits: every session ends everywhere and every grant is revoked (back-channel
   logout to the systems, as the operator's 禁用 does), the agencies end (a legal person's agents
   lose their authorization, an agent's enterprises lose it), and the unbind calls go out.
3. :func:`finish_if_done`: closing → closed with the erasure as soon as no binding is pending:
   at once when there was none, else from the background loop (:func:`finish_due_closures`),
   which also hands to staff a binding whose system refused the user's unbind.
"""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from idp.account_closure.states import (
    ACTIVE,
    closing_accounts,
    finish_closing,
    live_agencies,
    pending_bindings,
    start_closing,
)
from idp.accounts.display import mask_email, mask_mobile
from idp.accounts.models import Account, AccountType
from idp.agents.transitions import remove_agent
from idp.audit.log import record
from idp.bindings import outbox, transitions as bindings
from idp.bindings.models import Binding
from idp.codes.store import send_code, use_code
from idp.consultations.models import OPEN, Consultation
from idp.consultations.questions import UNBINDING, Question
from idp.consultations.transitions import submit_consultation
from idp.errors import DomainError, PageError
from idp.flows.models import Flow
from idp.flows.store import EXPIRED, advance, start_flow
from idp.notify.outbox import deliver_now
from idp.oidc.logout.single_logout import end_account_sessions
from idp.oidc.models import Consent
from idp.portal import Portal
from idp.principals.models import Agency
from idp.sessions.store import ActiveSession
from idp.space.transitions import verify_current_password
from shared.messages import text

PURPOSE = "close_account"
CODE_SENT, DONE = "code_sent", "done"


def check_may_close(session: ActiveSession) -> None:
    if session.agency is not None:
        raise DomainError("closure.agent_session")
    if session.account.account_type == AccountType.official:  # opened and closed by the operators
        raise DomainError("closure.official")
    if session.account.closure_state != ACTIVE:
        raise DomainError("closure.not_active", status_code=409)


def destination_of(account: Account) -> tuple[str, str, str]:
    """(channel, address, masked address) of the closure's code."""
    if account.mobile:
        return "sms", account.mobile, mask_mobile(account.mobile)
    if account.email:
        return "email", account.email, mask_email(account.email)
    raise DomainError("closure.no_contact")


async def request_closure_code(portal: Portal, session: ActiveSession, password: str, browser: str,
                               source_ip: str | None) -> str:
    """The flow's id; the code went to :func:`destination_of`."""
    check_may_close(session)
    await verify_current_password(portal, session, password, source_ip, failed_event="account.closure_failed",
                                  reason="wrong_password", wrong_message="settings.current_password_wrong")
    account = session.account
    channel, address, masked = destination_of(account)
    async with portal.sessionmaker.begin() as db:
        code_id = await send_code(db, portal.settings, account_id=account.id, purpose=PURPOSE, channel=channel,
                                  destination=address, also_count=(("codes_per_address", source_ip),))
        flow = start_flow(db, PURPOSE, CODE_SENT, browser, {"code_id": code_id, "destination": masked})
        flow.account_id = account.id
        record(db, "account.closure_code_sent", actor=account.subject, source_ip=source_ip, destination=masked)
    await deliver_now(portal, code_id)
    return flow.id


def check_flow_owner(flow: Flow, session: ActiveSession) -> None:
    if flow.account_id != session.account.id or flow.state != CODE_SENT:
        raise PageError(EXPIRED)


async def hand_to_staff(db: AsyncSession, portal: Portal, account: Account, binding: Binding) -> bool:
    """A 解除绑定 request for staff, tied to the account, unless one for this system is open."""
    already = await db.scalar(select(Consultation.id).where(
        Consultation.account_id == account.id, Consultation.category == UNBINDING,
        Consultation.system == binding.client_id, Consultation.status == OPEN))
    if already is not None:
        return False
    client = await portal.client(binding.client_id)
    system = client.display_name if client is not None else binding.client_id
    legal = account.account_type == AccountType.legal_person
    await submit_consultation(db, Question(
        system=binding.client_id, category=UNBINDING, account_type="legal_person" if legal else "personal",
        title=text("closure.staff_request_title", system=system),
        description=text("closure.staff_request_body", system=system), name=account.name,
        id_type=account.id_type or "", id_number=account.id_number or "-", mobile=account.mobile or "-",
        email=account.email or "-"), account_id=account.id, actor=account.subject)
    return True


async def end_own_bindings(db: AsyncSession, portal: Portal, account: Account, source_ip: str | None) -> list[int]:
    """Send each of the account's own live bindings on its way; the unbind calls to deliver."""
    calls = []
    rows = (await db.scalars(select(Binding).where(Binding.account_id == account.id, Binding.agency_id.is_(None),
                                                   Binding.state.in_(("pending", "active"))))).all()
    for row in rows:
        client = await portal.client(row.client_id)
        if row.state == "pending" or client is None:
            call = await bindings.end_with_force(db, row.id, by=f"account:{account.subject}",
                                                 reason=text("closure.ended_reason"), event="binding.closure_ended")
            calls.append(call.id)
        elif row.kind in client.unbindable_kinds:
            calls.append((await bindings.request_unbind(db, account, client, source_ip=source_ip)).id)
        else:
            await hand_to_staff(db, portal, account, row)
    return calls


async def close_account(portal: Portal, session: ActiveSession, flow: Flow, code: str, confirmed: bool,
                        source_ip: str | None) -> bool:
    """True when the account is closed (erased) at once, False while bindings are pending."""
    check_flow_owner(flow, session)
    if not confirmed:
        raise DomainError("closure.confirm_required")
    account = session.account
    async with portal.sessionmaker.begin() as db:
        if not await use_code(db, portal.settings, code_id=flow.data["code_id"], account_id=account.id,
                              purpose=PURPOSE, submitted=code):
            record(db, "account.closure_failed", outcome="failure", actor=account.subject, source_ip=source_ip,
                   reason="wrong_code")
            wrong = True
        else:
            wrong = False
            # The account's row first: a parallel closure waits here and is then refused, before
            # either touches the other's flow (the deletion below), which would deadlock.
            await start_closing(db, account.id, source_ip=source_ip)
            await advance(db, flow, expected=CODE_SENT, to=DONE, finish=True)
            await db.execute(delete(Consent).where(Consent.account_id == account.id))
            await db.execute(delete(Flow).where(Flow.account_id == account.id, Flow.finished_at.is_(None)))
            calls = await end_own_bindings(db, portal, account, source_ip)
    if wrong:  # the attempt is counted (committed above); nothing else changed
        raise DomainError("settings.code_wrong")
    await end_what_it_held(portal, account, source_ip)
    for call_id in calls:  # at once where the system answers; the outbox retries the rest
        await outbox.deliver_one(portal, call_id)
    return await finish_if_done(portal, account.id)


async def end_what_it_held(portal: Portal, account: Account, source_ip: str | None = None) -> None:
    """Its sessions end everywhere and its grants are revoked (as the operator's 禁用 does), and
    its agencies end as 移除经办人 ends them. Repeating it finds nothing more to end, so the
    background loop repeats it for a closure that an interruption left half-way."""
    await end_account_sessions(portal, account.id, reason="account_closed", source_ip=source_ip)
    async with portal.reader() as db:
        agencies = await live_agencies(db, account.id)
    for agency_id in agencies:
        async with portal.reader() as db:
            agency = await db.get_one(Agency, agency_id)
            enterprise = await db.get_one(Account, agency.enterprise_account_id)
        try:
            await remove_agent(portal, enterprise, agency_id, source_ip=source_ip, by=account.subject,
                               reason=text("closure.ended_reason"))
        except DomainError:  # removed meanwhile (the legal person, another round)
            pass


async def finish_if_done(portal: Portal, account_id: int) -> bool:
    """closing → closed (with the erasure) when nothing is pending; False otherwise."""
    try:
        async with portal.sessionmaker.begin() as db:
            await finish_closing(db, account_id)
    except DomainError:
        return False
    return True


async def finish_due_closures(portal: Portal) -> int:
    """The background loop's step: close what is no longer pending; for the rest, end what an
    interruption may have left (:func:`end_what_it_held`) and hand to staff any own binding
    still plainly active (its system refused the user's unbind). Returns accounts closed."""
    async with portal.reader() as db:
        ids = await closing_accounts(db)
    closed = 0
    for account_id in ids:
        async with portal.reader() as db:
            account = await db.get_one(Account, account_id)
        await end_what_it_held(portal, account)
        if await finish_if_done(portal, account_id):
            closed += 1
            continue
        async with portal.sessionmaker.begin() as db:
            for row in await pending_bindings(db, account_id):
                if row.state == "active" and row.account_id == account_id and row.agency_id is None:
                    await hand_to_staff(db, portal, account, row)
    return closed
