"""What the operator console's pages and its JSON API share (no router): the 运维 guards, and
the rows they show of clients, keys and sessions.

The API uses the console's own credential — the staff session cookie (TOTP sign-in, path
/staff, SameSite=Strict) with the 运维 role — and a write also carries the session's CSRF token
in ``X-CSRF-Token``. No separate bearer token exists to leak or rotate, and every act is the
signed-in member's (``staff:<username>`` in the audit log); scripts use the ``idp`` command line,
which calls the same services (idp/operations/).

Layer: web.
"""
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from idp.clients.models import Client
from idp.errors import PageError
from idp.operations.keys import STATE_NAMES, KeyState
from idp.security.tokens import constant_time_equal
from idp.sessions.store import SessionListing
from idp.staff.roles import OPERATOR
from idp.web.staff.kit import StaffMember, staff_with

CSRF_HEADER = "X-CSRF-Token"
require_operator = staff_with(OPERATOR)
Operator = Annotated[StaffMember, Depends(require_operator)]


def operator_write() -> Callable[..., Awaitable[StaffMember]]:
    """The member holding 运维 (403 without it), then the session's CSRF token in the header."""
    async def checked(request: Request, member: Operator) -> StaffMember:
        submitted = request.headers.get(CSRF_HEADER, "")
        if not submitted or not constant_time_equal(submitted, member.csrf_token):
            raise PageError("ops.csrf", status_code=403, detail="CSRF token mismatch")
        return member
    checked.staff_role = OPERATOR  # type: ignore[attr-defined]
    return checked


OperatorWrite = Annotated[StaffMember, Depends(operator_write())]


def client_row(client: Client) -> dict:
    return {"client_id": client.client_id, "display_name": client.display_name,
            "token_endpoint_auth_method": client.token_endpoint_auth_method,
            "redirect_uris": list(client.redirect_uris or ()), "scopes": list(client.scopes or ()),
            "grant_types": list(client.grant_types or ()), "source": client.source,
            "require_pushed_authorization_requests": client.require_pushed_authorization_requests,
            "subject_type": client.subject_type, "sector_identifier_uri": client.sector_identifier_uri,
            "disabled": client.disabled_at is not None, "deleted": client.deleted_at is not None}


def key_row(key: KeyState) -> dict:
    return {"kid": key.kid, "alg": key.alg, "state": key.state, "state_name": STATE_NAMES[key.state],
            "signs_from": key.signs_from.isoformat(timespec="seconds"),
            "signs_until": key.signs_until.isoformat(timespec="seconds") if key.signs_until else None,
            "unpublish_at": key.unpublish_at.isoformat(timespec="seconds") if key.unpublish_at else None}


def session_row(session: SessionListing) -> dict:
    return {"sid": session.sid, "device": session.device, "source_ip": session.source_ip,
            "created_at": session.created_at.isoformat(timespec="seconds"),
            "last_seen_at": session.last_seen_at.isoformat(timespec="seconds"),
            "systems": list(session.systems)}
