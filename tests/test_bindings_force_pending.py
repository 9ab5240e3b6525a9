"""Staff force-unbind of a binding that is still PENDING: the portal cancels it at the system
(SYSTEM_CANCEL, whose tombstone refuses a late commit) instead of unlinking a link that does not
exist yet; a system that answers "linked" (it committed first) is then unlinked, with force.
Either way both sides end unlinked (docs/binding-protocol.md, Unbind)."""
from __future__ import annotations

from sqlalchemy import select

from idp.accounts.models import Account
from idp.bindings.staff import force_unbind_account
from tests.support.binding_flows import binding, binding_of, host, on_bindings_page, shown, start, verified_claims

REASON = "咨询单 2026-002：未完成的授权绑定"


async def pending_binding(put, browser) -> tuple[str, str]:
    await put.add_client("drug", display_name="药品业务应用系统", binding_api_uri=f"https://{host('drug')}")
    binding_id = binding_of(await start(browser, "drug", "existing"))
    async with put.portal.reader() as db:
        subject = await db.scalar(select(Account.subject).where(Account.username == "zhangsan"))
    return binding_id, subject


async def test_a_pending_binding_is_cancelled_not_unlinked_so_a_late_commit_is_refused(put):
    browser = await on_bindings_page(put, put.account)
    binding_id, _ = await pending_binding(put, browser)
    state = await force_unbind_account(put.portal, "zhangsan", "drug", reason=REASON, staff="kefu-07")
    assert state == "ended"
    (call,) = put.systems.calls
    assert (call.method, call.path) == ("POST", f"/binding-api/bindings/{binding_id}/cancel")
    assert (await verified_claims(put, call.token))["action"] == "cancel"
    assert (host("drug"), binding_id) in put.systems.cancelled  # the system's tombstone
    row = await binding(put, binding_id)
    assert (row.state, row.slot, row.ended_by, row.ended_reason) == ("ended", None, "staff:kefu-07", REASON)
    assert shown((await browser.go("/space/bindings")).text, "drug") == "bind"
    await browser.aclose()


async def test_a_pending_binding_the_system_already_linked_is_then_unlinked_with_force(put):
    browser = await on_bindings_page(put, put.account)
    binding_id, subject = await pending_binding(put, browser)
    put.systems.link(host("drug"), binding_id, subject, "existing", "drug_demo")  # committed, confirm not yet in
    state = await force_unbind_account(put.portal, "zhangsan", "drug", reason=REASON, staff="kefu-07")
    assert state == "ended"
    assert [(c.method, c.path) for c in put.systems.calls] == [
        ("POST", f"/binding-api/bindings/{binding_id}/cancel"), ("DELETE", f"/binding-api/links/{subject}")]
    claims = await verified_claims(put, put.systems.calls[1].token)
    assert (claims["action"], claims["force"], claims["reason"]) == ("unlink", True, REASON)
    assert put.systems.links == {}
    row = await binding(put, binding_id)
    assert (row.state, row.slot, row.ended_reason) == ("ended", None, REASON)
    await browser.aclose()
