"""What the binding pages show (我的绑定, and 经办人授权's bindings of an agent): the systems
in the catalogue's order with this principal's state, and a system's report as a message.

Layer: web (page helpers of bindings.py and agents.py beside it; no router).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from fastapi import Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from idp.bindings import eligibility, transitions
from idp.bindings.models import Binding
from idp.clients.models import Client
from idp.clients.registry import ClientInfo, unbindable_kinds
from idp.errors import PageError
from idp.portal import Portal
from idp.principals.principal import Principal
from idp.web.kit import portal_of
from idp.web.pages import render
from shared.messages import text
from shared.yaml_files import read_yaml

# ?result=… from the system's redirect back (shared.binding RefusalReason and the system's own
# outcomes): code → (message id, shown as an error?). Unknown codes show nothing.
RESULTS = {"linked": ("binding.result_linked", False), "cancelled": ("binding.result_cancelled", False),
           "subject_already_linked": ("binding.already_bound", True),
           "local_account_taken": ("binding.result_account_taken", True),
           "expired": ("binding.result_expired", True)}


@dataclass(frozen=True)
class Row:
    client_id: str
    name: str
    shown: str  # bind | pending | unbind | fixed | unbinding | level (需三级实名认证)


def _shown(binding: Binding | None, unbindable: tuple[str, ...], refused: str | None) -> str:
    if binding is None:
        return "level" if refused == "binding.level_required" else "bind"
    if binding.state == "active":
        return "unbind" if binding.kind in unbindable else "fixed"
    return binding.state  # pending | unbinding


@lru_cache(maxsize=4)
def _catalogue_order(path: Path) -> dict[str, int]:
    """client_id → its place in the catalogue file: 我的绑定 lists the systems in the portal's order."""
    try:
        data = read_yaml(path) or {}
    except OSError:
        return {}
    return {entry["client_id"]: n for n, entry in enumerate(data.get("systems", []))}


async def binding_rows(portal: Portal, principal: Principal) -> list[Row]:
    """Every bindable system with this principal's state, in the catalogue's order."""
    async with portal.reader() as db:
        systems = (await db.execute(select(
            Client.client_id, Client.display_name, Client.unbindable_kinds, Client.account_types,
            Client.min_realname_level).where(Client.disabled_at.is_(None),
                                             Client.binding_start_uri.is_not(None)))).all()
        live = (await db.scalars(select(Binding).where(
            Binding.account_id == principal.account.id, transitions.same_capacity(principal.agency_id),
            Binding.state.in_(transitions.LIVE)))).all()
    order = _catalogue_order(portal.settings.catalogue_path)
    systems = sorted(systems, key=lambda s: (order.get(s[0], len(order)), s[1], s[0]))  # others last, by name
    by_client = {b.client_id: b for b in live}
    rows = []
    for cid, name, kinds, types, level in systems:
        rules = eligibility.RowRules.of(types, level)
        if not eligibility.offered(principal, rules) and cid not in by_client:
            continue  # e.g. the licensed-pharmacist system in 法人登录: never offered
        rows.append(Row(cid, name, _shown(by_client.get(cid), unbindable_kinds(kinds),
                                          eligibility.refusal(principal, rules))))
    return rows


async def result_message(request: Request, principal: Principal, result: str,
                          client_id: str) -> tuple[str, bool] | None:
    """The system's report (?result=&client_id=) as a catalogue message, or None: only a known
    code, and only about a binding of this user's (a crafted link shows nothing). Success is
    said only once the binding is active."""
    if result not in RESULTS or len(client_id) > 64:
        return None
    async with portal_of(request).reader() as db:
        latest = await db.scalar(select(Binding).where(Binding.account_id == principal.account.id,
                                                       transitions.same_capacity(principal.agency_id),
                                                       Binding.client_id == client_id)
                                 .order_by(Binding.created_at.desc()).limit(1))
    client = await portal_of(request).client(client_id)
    if latest is None or client is None or (result == "linked" and latest.state != "active"):
        return None
    message_id, is_error = RESULTS[result]
    return text(message_id, system=client.display_name), is_error


async def known_system_name(portal: Portal, client_id: str) -> str | None:
    """A registered system's own name for a client id from the query: never text taken from it."""
    if not client_id.isprintable() or len(client_id) > 64:  # a NUL cannot even be compared on PostgreSQL
        return None
    client = await portal.client(client_id)
    return client.display_name if client else None


def unavailable_page(client: ClientInfo) -> Response:
    """The portal's own page for a system that does not answer (calls.reachable); nothing was
    started, so the user may try again at once. 200, not 503: the portal itself works, and its
    5xx alarms are no place for another system's outage."""
    return render("bindings/unavailable.html", status_code=200, client_name=client.display_name,
                  message=text("binding.system_unavailable", system=client.display_name))


def to_binding_start(client: ClientInfo, binding_id: str) -> RedirectResponse:
    """The browser on to the system's binding_start_uri (:func:`bindable` made sure it has one)."""
    start = client.binding_start_uri or ""
    separator = "&" if "?" in start else "?"
    return RedirectResponse(start + separator + urlencode({"binding": binding_id}), status_code=303)


async def bindable(request: Request, client_id: str) -> ClientInfo:
    client = await portal_of(request).client(client_id)
    if client is None or not client.binding_start_uri:
        raise PageError("binding.not_bindable", status_code=404)
    return client
