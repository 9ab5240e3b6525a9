"""Recording security events. Callers add the event to their own transaction, so an event
is stored exactly when the change it describes is."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.audit.models import AuditEvent


def record(
    db: AsyncSession,
    event: str,
    *,
    outcome: str = "success",
    actor: str | None = None,
    client_id: str | None = None,
    source_ip: str | None = None,
    **details,
) -> None:
    db.add(
        AuditEvent(
            at=clock.now(),
            event=event,
            outcome=outcome,
            actor=actor,
            client_id=client_id,
            source_ip=source_ip,
            details={k: v for k, v in details.items() if v is not None},
        )
    )
