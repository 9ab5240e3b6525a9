"""What a 解除绑定 request's page shows (绑定管理, no router here): the request, the account it
names — the one it is tied to when filed logged in, or the one staff chose from a search by
username, ID number or credit code — that account's live bindings (with its agents' for an
enterprise) and, for a 二级 account whose ID number another real-name account holds, the way to
deactivate it as a duplicate."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.accounts.display import LEVELS
from idp.accounts.models import Account, AccountType
from idp.accounts.search import find_accounts
from idp.bindings.queries import BindingListing, bindings_of
from idp.casework.duplicates import LEVEL_TWO, original_of
from idp.consultations.models import OPEN, PORTAL, Consultation
from idp.consultations.questions import ACCOUNT_TYPES, CATEGORIES
from idp.portal import Portal

STATES = {"pending": "绑定中", "active": "已绑定", "unbinding": "解除中"}
KINDS = {"created": "直接授权创建的新账号（不可解除）", "existing": "已有账号授权（用户可解除）"}
STATUSES = {"open": "待处理", "answered": "已回复", "closed": "已关闭"}
PORTAL_NAME = "政务服务门户"


async def system_name(portal: Portal, client_id: str) -> str:
    if client_id == PORTAL:
        return PORTAL_NAME
    client = await portal.client(client_id)
    return client.display_name if client is not None else client_id


async def request_shown(portal: Portal, row: Consultation) -> dict:
    return {"id": row.id, "reference": row.reference, "system": await system_name(portal, row.system),
            "category": CATEGORIES.get(row.category, row.category),
            "account_type": ACCOUNT_TYPES.get(row.account_type, row.account_type), "title": row.title,
            "description": row.description, "name": row.name, "id_type": row.id_type, "id_number": row.id_number,
            "mobile": row.mobile, "email": row.email, "status": STATUSES.get(row.status, row.status),
            "open": row.status == OPEN, "closed": row.status == "closed", "answer": row.answer,
            "logged_in": row.account_id is not None,
            "submitted_at": clock.beijing_text(row.submitted_at),
            "due_at": clock.beijing_text(row.due_at)[:10],  # two working days end on a date
            "overdue": row.status == OPEN and row.due_at < clock.now()}


def account_shown(account: Account) -> dict:
    legal = account.account_type == AccountType.legal_person
    return {"id": account.id, "username": account.username, "name": account.name,
            "type": "法人账号" if legal else "个人账号", "enterprise_name": account.enterprise_name,
            "credit_code": account.credit_code, "id_number": account.id_number,
            "level": LEVELS.get(account.realname_level, str(account.realname_level)),
            "disabled": account.disabled_at is not None}


def binding_shown(row: BindingListing) -> dict:
    return {"id": row.id, "client_id": row.client_id, "system": row.system, "state": STATES.get(row.state, row.state),
            "state_code": row.state, "kind": KINDS.get(row.kind or "", "尚未确认"), "holder": row.holder,
            "enterprise": row.enterprise, "forced": row.forced, "since": clock.beijing_text(row.created_at)}


async def account_part(db: AsyncSession, request_row: Consultation, chosen: int | None, words: str) -> dict:
    """The account part of the page: the chosen (or tied) account with its bindings and, for a
    duplicate, the original account; and the search's matches."""
    matches = [account_shown(a) for a in await find_accounts(db, words)] if words else []
    account_id = chosen or request_row.account_id
    account = await db.get(Account, account_id) if account_id else None
    tied = account is not None and request_row.account_id == account.id
    if account is None:
        return {"account": None, "bindings": [], "original": None, "matches": matches, "tied": False}
    duplicate_candidate = account.account_type == AccountType.personal and account.realname_level == LEVEL_TWO \
        and account.disabled_at is None
    original = await original_of(db, account) if duplicate_candidate else None
    return {"account": account_shown(account), "bindings": [binding_shown(b) for b in await bindings_of(db, account)],
            "original": account_shown(original) if original is not None else None, "matches": matches,
            "tied": tied}
