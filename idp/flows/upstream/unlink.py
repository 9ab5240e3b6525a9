"""账号设置 → 解除关联: the user removes the link to the upstream identity. The account keeps its
own password (every account made through the upstream chose one), which the user types here: it
is how they log in afterwards, and it proves the session's holder knows it (ASVS V7.5.1; a wrong
one counts towards the lock). The removal is one conditional DELETE, audited in its transaction."""
from __future__ import annotations

from idp.audit.log import record
from idp.errors import DomainError
from idp.portal import Portal
from idp.sessions.store import ActiveSession
from idp.space.transitions import verify_current_password
from idp.upstream_links.transitions import unlink


async def remove_link(portal: Portal, session: ActiveSession, link_id: int, password: str,
                      source_ip: str | None) -> None:
    await verify_current_password(portal, session, password, source_ip, failed_event="upstream.unlink_failed",
                                  reason="wrong_password", wrong_message="settings.current_password_wrong")
    account = session.account
    async with portal.sessionmaker.begin() as db:
        removed = await unlink(db, link_id, account.id)
        if removed is None:
            raise DomainError("upstream.no_link")
        record(db, "upstream.unlinked", actor=account.subject, source_ip=source_ip, upstream=removed.upstream,
               upstream_subject=removed.subject, subject=account.subject)
