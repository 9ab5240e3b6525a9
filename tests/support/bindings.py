"""Recording a binding on the portal's side directly, for tests whose subject is not the binding
itself (SSO into a bound system): the row the binding protocol leaves once confirmed."""
from __future__ import annotations

import datetime as dt

from idp import clock
from idp.bindings.models import Binding
from idp.bindings.transitions import slot_of
from idp.security.tokens import new_token


async def bound_on_portal(put, account, client_id: str, kind: str = "existing",
                          local_account: str = "local", agency=None) -> str:
    """``agency``: the binding is the agent ``account``'s for that enterprise."""
    now = clock.now()
    binding_id = new_token()
    client = await put.portal.client(client_id)
    async with put.portal.sessionmaker.begin() as db:
        db.add(Binding(id=binding_id, account_id=account.id, client_id=client_id,
                       agency_id=agency.id if agency is not None else None,
                       slot=slot_of(client, agency.id if agency is not None else None),
                       mode="create" if kind == "created" else "existing", kind=kind, state="active",
                       local_account=local_account, created_at=now, expires_at=now + dt.timedelta(minutes=10),
                       confirmed_at=now))
    return binding_id
