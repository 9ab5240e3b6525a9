"""实名等级升级 (kind ``upgrade``): sent --confirm_upgrade--> done, started by start_upgrade.

Only a personal account at 二级 can move to 三级; the level changes in one conditional UPDATE
(WHERE realname_level = 2), so two confirmations at once upgrade it once.
"""
from __future__ import annotations

from sqlalchemy import update

from idp import clock
from idp.accounts.models import Account, AccountType
from idp.audit.log import record
from idp.errors import DomainError, PageError
from idp.flows import store
from idp.flows.models import Flow
from idp.flows.upgrade.states import State
from idp.notify.outbox import deliver_now
from idp.portal import Portal
from idp.verification.ctid import UpgradeVerifier

UPGRADE = "upgrade"
FROM_LEVEL, TO_LEVEL = 2, 3


def check_eligible(account: Account) -> None:
    if account.account_type == AccountType.personal and account.realname_level >= TO_LEVEL:
        raise DomainError("upgrade.already")
    if account.account_type != AccountType.personal or account.realname_level != FROM_LEVEL:
        raise DomainError("upgrade.not_eligible")


async def start_upgrade(portal: Portal, account: Account, browser: str, verifier: UpgradeVerifier,
                        source_ip: str | None, interaction: str | None = None) -> Flow:
    """开始认证: the verifier asks the ID holder to confirm (the CTID app shows a confirmation).
    ``interaction``: a system's parked login to go back to once done."""
    check_eligible(account)
    async with portal.sessionmaker.begin() as db:
        flow = store.start_flow(db, UPGRADE, State.SENT, browser)
        flow.account_id = account.id
        flow.data = {"reference": await verifier.start(db, portal.settings, account), "method": verifier.method,
                     **({"interaction": interaction} if interaction else {})}
        record(db, "realname.upgrade_started", actor=account.subject, source_ip=source_ip, method=verifier.method,
               subject=account.subject)
    # The CTID stand-in's confirmation was queued as a message; it goes out after the commit.
    await deliver_now(portal, flow.data["reference"])
    return flow


async def confirm_upgrade(portal: Portal, flow: Flow, account: Account, confirmation: str,
                          verifier: UpgradeVerifier, source_ip: str | None) -> None:
    """确认: a right confirmation moves the account to 三级; a wrong one counts as an attempt."""
    if flow.state != State.SENT or flow.account_id != account.id:
        raise PageError(store.EXPIRED, status_code=409, detail="upgrade flow of another state or account")
    check_eligible(account)
    async with portal.sessionmaker.begin() as db:
        confirmed = await verifier.confirm(db, portal.settings, account, flow.data["reference"], confirmation)
        if confirmed:
            result = await db.execute(
                update(Account)
                .where(Account.id == account.id, Account.account_type == AccountType.personal,
                       Account.realname_level == FROM_LEVEL)
                .values(realname_level=TO_LEVEL, updated_at=clock.now())
                .returning(Account.id)
            )
            if result.first() is None:
                raise DomainError("upgrade.already")
            await store.advance(db, flow, expected=State.SENT, to=State.DONE, finish=True)
            record(db, "realname.upgraded", actor=account.subject, source_ip=source_ip, method=flow.data["method"],
                   from_level=FROM_LEVEL, to_level=TO_LEVEL, subject=account.subject)
        else:
            # Committed with the attempt use_code counted: a refusal must not roll that back.
            record(db, "realname.upgrade_failed", outcome="failure", actor=account.subject, source_ip=source_ip,
                   method=flow.data["method"], subject=account.subject)
    if not confirmed:
        raise DomainError("upgrade.code_wrong")
