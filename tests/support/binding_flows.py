"""Driving 授权绑定 from the portal's side in tests: a logged-in browser on 我的绑定, the
systems' API with their client credentials, and an independent check of the portal's signed
requests to systems (against the published JWKS, with joserfc, not the portal's own code)."""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import yaml
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select, update

from idp import clock
from idp.accounts.models import Account
from idp.bindings import outbox
from idp.bindings.models import Binding, BindingCall
from tests.support.portal import ISSUER, Browser, PortalUnderTest, hidden_fields
from tests.support.space import signed_in

PAGE = "/space/bindings"
CATALOGUE = Path(__file__).resolve().parents[2] / "idp" / "catalogue" / "systems.yaml"
RULES = ("agent_binding_modes", "binding_slot", "unbindable_kinds", "account_types", "min_realname_level")


def catalogue_rules(client_id: str, catalogue: Path = CATALOGUE) -> dict:
    """The binding rules the catalogue gives a system, for a test that registers it by hand."""
    entries = yaml.safe_load(catalogue.read_text(encoding="utf-8"))["systems"]
    entry = next(entry for entry in entries if entry["client_id"] == client_id)
    return {key: entry[key] for key in RULES if key in entry}


def host(client_id: str) -> str:
    return f"{client_id}.rp.example.test"


async def on_bindings_page(put: PortalUnderTest, account) -> Browser:
    browser = await signed_in(put, account)
    await browser.go(PAGE)
    return browser


async def start(browser: Browser, client_id: str, mode: str) -> httpx.Response:
    """Open the authorization page and press one of its two buttons."""
    page = await browser.go(f"{PAGE}/{client_id}")
    assert page.status_code == 200, page.text[:300]
    return await browser.client.post(f"{PAGE}/{client_id}",
                                     data={"csrf_token": hidden_fields(page.text)["csrf_token"], "mode": mode})


def binding_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text[:500]
    return parse_qs(urlsplit(response.headers["location"]).query)["binding"][0]


async def unbind(browser: Browser, client_id: str) -> httpx.Response:
    page = await browser.go(PAGE)
    return await browser.client.post(f"{PAGE}/{client_id}/unbind",
                                     data={"csrf_token": hidden_fields(page.text)["csrf_token"]})


def shown(page_html: str, client_id: str) -> str:
    """What 我的绑定 shows beside a system: its row's data-state."""
    match = re.search(rf'<tr id="system-{re.escape(client_id)}" data-state="([a-z]+)">', page_html)
    assert match, f"no row for {client_id}"
    return match.group(1)


def system_api(put: PortalUnderTest, client) -> httpx.AsyncClient:
    return put.http(auth=(client.client_id, client.client_secret))


async def confirm(put, client, binding_id: str, kind: str, local_account: str = "local-1") -> httpx.Response:
    async with system_api(put, client) as api:
        return await api.post(f"/api/bindings/{binding_id}/confirm",
                              json={"kind": kind, "local_account": local_account})


async def bound(put, browser: Browser, client, mode: str) -> str:
    """A binding made the whole way: started in the browser, linked and confirmed by the system."""
    binding_id = binding_of(await start(browser, client.client_id, mode))
    kind = "created" if mode == "create" else "existing"
    async with put.portal.reader() as db:
        subject = await db.scalar(select(Account.subject).join(Binding, Binding.account_id == Account.id)
                                  .where(Binding.id == binding_id))
    put.systems.link(host(client.client_id), binding_id, subject, kind)
    assert (await confirm(put, client, binding_id, kind)).json() == {"state": "active"}
    return binding_id


async def binding(put, binding_id: str) -> Binding:
    async with put.portal.reader() as db:
        return await db.get(Binding, binding_id)


async def live(put, account_id: int) -> list[Binding]:
    async with put.portal.reader() as db:
        return list((await db.scalars(select(Binding).where(Binding.account_id == account_id,
                                                             Binding.slot.is_not(None)))).all())


async def make_due(put) -> None:
    """Let the outbox's back-off pass."""
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(BindingCall).where(BindingCall.done_at.is_(None)).values(next_attempt_at=clock.now()))


async def run_outbox(put) -> int:
    await make_due(put)
    return await outbox.deliver_due(put.portal)


async def jwks(put) -> KeySet:
    async with put.http() as http:
        return KeySet.import_key_set((await http.get("/jwks")).json())


def header_of(token: str) -> dict:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


async def verified_claims(put, token: str) -> dict:
    """The request token checked as a system checks it: signature by a published key, typ, iss,
    exp at most two minutes after iat."""
    keys = await jwks(put)
    header = header_of(token)
    assert header["typ"] == "binding+jwt"
    claims = dict(jwt.decode(token, keys, algorithms=[header["alg"]]).claims)
    now = clock.epoch(clock.now())
    assert claims["iss"] == ISSUER and claims["iat"] <= now + 5 and now < claims["exp"] <= claims["iat"] + 120
    assert claims["jti"]
    return claims
