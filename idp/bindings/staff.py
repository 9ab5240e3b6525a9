"""Staff force-unbind (the consultation's action): undo any binding, 不可解除 included, with a
reason and the staff member's id, both in the audit log — from the operator's command line (by
username and system) and from 绑定管理's pages (by binding, with the request's reference)."""
from __future__ import annotations

from sqlalchemy import select

from idp.accounts.models import Account
from idp.bindings import outbox, transitions
from idp.bindings.models import Binding
from idp.errors import DomainError
from idp.portal import Portal

REASON_MAX = 500


class StaffError(Exception):
    pass


async def force_unbind_account(portal: Portal, username: str, client_id: str, *, reason: str, staff: str) -> str:
    """Force-unbind the live binding of ``username`` to ``client_id``; returns the state after one
    attempt to reach the system (``ended``, or ``unbinding`` while the outbox keeps retrying)."""
    if not reason.strip() or not staff.strip():
        raise StaffError("a reason and the staff member's id are required")
    async with portal.sessionmaker.begin() as db:
        account = await db.scalar(select(Account).where(Account.username == username.lower()))
        if account is None:
            raise StaffError(f"no account {username}")
        binding = await transitions.live_binding(db, account.id, client_id)
        if binding is None:
            raise StaffError(f"{username} has no binding to {client_id}")
        try:
            await transitions.force_unbind(db, binding.id, staff=staff, reason=reason)
        except transitions.Conflict as exc:
            raise StaffError(f"the binding is {exc.state}") from exc
        binding_id = binding.id
    await outbox.deliver_binding(portal, binding_id)
    async with portal.reader() as db:
        return (await db.execute(select(Binding.state).where(Binding.id == binding_id))).scalar_one()


async def force_unbind_binding(portal: Portal, binding_id: str, *, staff: str, reason: str,
                               request: str | None = None) -> str:
    """绑定管理's 解除绑定 of one binding chosen on a request's page: the force-unbind above, with the
    request's reference in the audit record; refused with a coded DomainError (the reason is
    required; a binding already undone or being undone — by another staff member a moment
    before — is ``bindings_admin.binding_not_live``). Returns the state after one attempt to
    reach the system: ``ended``, or ``unbinding`` while the outbox keeps trying."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError("bindings_admin.reason_required")
    if len(reason) > REASON_MAX:
        raise DomainError("bindings_admin.reason_too_long", max=REASON_MAX)
    try:
        async with portal.sessionmaker.begin() as db:
            await transitions.force_unbind(db, binding_id, staff=staff, reason=reason, request=request)
    except (LookupError, transitions.Conflict):
        raise DomainError("bindings_admin.binding_not_live", status_code=409) from None
    await outbox.deliver_binding(portal, binding_id)
    async with portal.reader() as db:
        return (await db.execute(select(Binding.state).where(Binding.id == binding_id))).scalar_one()
