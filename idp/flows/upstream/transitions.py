"""The steps of a login through the upstream (states.py), each one transaction:

- :func:`start`: a flow holding the PKCE verifier and the nonce (never sent anywhere but upstream),
  its id the ``state``; the user goes upstream.
- :func:`returned`: the verified identity is linked → logged in; else the flow moves to FIRST with
  what the upstream vouched for and the account that has the same ID number / credit code, if any.
- :func:`link_existing` (that account's password, once; a wrong one counts towards its lock) and
  :func:`create_from_upstream` (a new account of the vouched data): the link and the flow's end in
  one transaction, so of two racing first logins one links and the other is refused.

Never a match by e-mail or mobile: only the ID number (a person) or the credit code (an enterprise)
names the account to link, and only its password links it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from idp import clock
from idp.accounts.lookup import account_by_credit_code, account_by_id_number, account_by_mobile
from idp.accounts.models import Account, AccountType
from idp.accounts.service import AccountExists, create_account
from idp.audit.log import record
from idp.errors import DomainError, PageError
from idp.flows import store
from idp.flows.login.forms import LEGAL
from idp.flows.login.transitions import Attempt, check_password, log_in, refuse_if_locked
from idp.flows.models import Flow
from idp.flows.upstream.claims import Vouched, vouched
from idp.flows.upstream.client import Identity
from idp.flows.upstream.forms import NewAccount
from idp.flows.upstream.states import UPSTREAM, State
from idp.oidc.sessions_acr import reached_acr
from idp.portal import Portal
from idp.security.tokens import new_token
from idp.sessions.store import ActiveSession
from idp.upstream_links.transitions import AlreadyLinked, link, link_of_subject, note_login

AMR_FEDERATED = "fed"  # RFC 8176 §2


def start(db, browser: str, *, interaction: str, client_id: str | None, window: str) -> Flow:
    """The flow of one trip upstream; its id is the ``state`` (bound to this browser's cookie).
    ``client_id``: the system whose login this is (for the audit log), if any."""
    return store.start_flow(db, UPSTREAM, State.SENT, browser, {
        "interaction": interaction, "client_id": client_id, "window": window, "nonce": new_token(),
        "code_verifier": new_token() + new_token(),
    })


@dataclass(frozen=True)
class Outcome:
    """After the callback: logged in (``token``, the session cookie), or a first login to finish."""

    token: str | None = None


def kind_of(window: str) -> AccountType:
    return AccountType.legal_person if window == LEGAL else AccountType.personal


def session_of(identity_amr: list[str], account: Account) -> dict:
    """The session's amr says the login came from the upstream (and how it authenticated there);
    the acr is the level the account has reached, as for any login."""
    return {"amr": [AMR_FEDERATED, *[v for v in identity_amr if v != AMR_FEDERATED]],
            "acr": reached_acr(account.realname_level)}


def _usable(vouched_data: Vouched, window: str) -> None:
    """法人登录 needs an enterprise the upstream vouches for; 个人登录 a person's ID data."""
    if window == LEGAL and not vouched_data.has_enterprise:
        raise PageError("upstream.no_enterprise", status_code=400, detail="no enterprise in the upstream's claims")
    if window != LEGAL and not vouched_data.has_person:
        raise PageError("upstream.no_identity", status_code=400, detail="no verified ID data in the upstream's claims")


async def returned(portal: Portal, flow: Flow, identity: Identity, previous: ActiveSession | None,
                   attempt: Attempt) -> Outcome:
    window = flow.data["window"]
    data = vouched(portal.settings, identity.claims)
    async with portal.sessionmaker.begin() as db:
        existing = await link_of_subject(db, identity.upstream, identity.subject)
        account = await db.get(Account, existing.account_id) if existing else None
        if account is None:
            _usable(data, window)
            candidate = (await account_by_credit_code(db, data.credit_code or "") if window == LEGAL
                         else await account_by_id_number(db, data.id_number or "", AccountType.personal))
            if candidate is not None and candidate.disabled_at is not None:
                raise PageError("upstream.account_disabled", status_code=403, detail="matching account is disabled")
            await store.advance(db, flow, expected=State.SENT, to=State.FIRST, upstream=identity.upstream,
                                subject=identity.subject, amr=identity.amr, id_token=identity.id_token,
                                vouched=data.as_data(),
                                candidate=candidate.id if candidate else None)
            record(db, "upstream.first_login", actor=None, source_ip=attempt.source_ip, upstream=identity.upstream,
                   upstream_subject=identity.subject, window=window, matched=candidate is not None,
                   subject=candidate.subject if candidate else None)
            return Outcome()
        if account.account_type != kind_of(window):
            raise PageError("upstream.other_window", status_code=409,
                            detail=f"linked account is {account.account_type.value}", window=other_window(window))
        if account.disabled_at is not None:
            raise PageError("login.wrong_credentials", status_code=403, detail="linked account is disabled")
        await store.advance(db, flow, expected=State.SENT, to=State.DONE, finish=True)
        assert existing is not None
        await note_login(db, existing.id, identity.id_token)
        record(db, "upstream.login", actor=account.subject, source_ip=attempt.source_ip, client_id=attempt.client_id,
               upstream=identity.upstream, upstream_subject=identity.subject, window=window, subject=account.subject)
    return Outcome(await log_in(portal, account, previous, attempt, **session_of(identity.amr, account)))


def other_window(window: str) -> str:
    return "个人登录" if window == LEGAL else "法人登录"


async def candidate_of(portal: Portal, flow: Flow) -> Account | None:
    if flow.data.get("candidate") is None:
        return None
    async with portal.reader() as db:
        return await db.get(Account, flow.data["candidate"])


async def _link_in(db, flow: Flow, account: Account, attempt: Attempt, how: str) -> None:
    """The link and the flow's end, in the caller's transaction (refused: nothing of it stays)."""
    try:
        await link(db, flow.data["upstream"], flow.data["subject"], account.id, flow.data.get("id_token"))
    except AlreadyLinked:
        raise DomainError("upstream.already_linked") from None
    await store.advance(db, flow, expected=State.FIRST, to=State.DONE, finish=True)
    record(db, "upstream.linked", actor=account.subject, source_ip=attempt.source_ip, client_id=attempt.client_id,
           upstream=flow.data["upstream"], upstream_subject=flow.data["subject"], how=how, subject=account.subject)


async def link_existing(portal: Portal, flow: Flow, password: str, previous: ActiveSession | None,
                        attempt: Attempt) -> str:
    """关联: the password of the account with the same ID number / credit code, then the link."""
    store.expect_state(flow, State.FIRST)
    account = await candidate_of(portal, flow)
    if account is None:
        raise PageError(store.EXPIRED, status_code=409, detail="no account to link")
    if account.disabled_at is not None:  # disabled since the callback
        raise PageError("upstream.account_disabled", status_code=403, detail="matching account is disabled")
    await refuse_if_locked(portal, account, attempt)
    account = await check_password(portal, account, password, attempt)
    async with portal.sessionmaker.begin() as db:
        await _link_in(db, flow, account, attempt, how="password")
    return await log_in(portal, account, previous, attempt, password=password,
                        **session_of(flow.data["amr"], account))


def personal_data(flow: Flow) -> tuple[str | None, ...]:
    data = flow.data["vouched"]
    return (data["name"], data["mobile"], data["id_number"], data["credit_code"])


def _new_account_fields(data: dict, window: str) -> dict:
    fields = {key: data[key] for key in ("name", "id_type", "id_number", "mobile", "email", "realname_level")}
    for key in ("id_valid_from", "id_valid_to"):
        fields[key] = dt.date.fromisoformat(data[key]) if data.get(key) else None
    # A mobile or e-mail the upstream says was proven counts as proven here too (the claims'
    # *_verified read these); otherwise it is as typed at a registration: unproven.
    fields["mobile_verified_at"] = clock.now() if data["mobile"] and data.get("mobile_verified") else None
    fields["email_verified_at"] = clock.now() if data["email"] and data.get("email_verified") else None
    if window == LEGAL:
        fields.update(enterprise_name=data["enterprise_name"], credit_code=data["credit_code"])
    return fields


async def _without_taken_mobile(db, fields: dict, account_type: AccountType) -> dict:
    """A mobile number is the login name of one personal account: one another account already has
    is left out (the user adds another in 账号设置), rather than refusing the whole account."""
    if account_type == AccountType.personal and fields["mobile"] and await account_by_mobile(db, fields["mobile"]):
        return {**fields, "mobile": None, "mobile_verified_at": None}
    return fields


async def create_from_upstream(portal: Portal, flow: Flow, new: NewAccount, previous: ActiveSession | None,
                               attempt: Attempt) -> str:
    """创建账号: an account of what the upstream vouched for (its real-name level mapped), the
    username and password the user chose, and the link: one transaction."""
    store.expect_state(flow, State.FIRST)
    if flow.data.get("candidate") is not None:  # an account has this ID number: link it instead
        raise PageError(store.EXPIRED, status_code=409, detail="an account to link exists")
    window = flow.data["window"]
    try:
        async with portal.sessionmaker.begin() as db:
            fields = await _without_taken_mobile(db, _new_account_fields(flow.data["vouched"], window), kind_of(window))
            account = await create_account(db, portal.passwords, username=new.username, password=new.password,
                                           account_type=kind_of(window).value, **fields)
            await _link_in(db, flow, account, attempt, how="created")
    except AccountExists:
        raise DomainError("registration.username_exists") from None
    except IntegrityError as exc:  # a parallel first login (or registration) took the ID number, mobile or name
        raise DomainError("registration.username_exists" if "username" in str(exc.orig)
                          else "upstream.already_linked") from None
    return await log_in(portal, account, previous, attempt, **session_of(flow.data["amr"], account))
