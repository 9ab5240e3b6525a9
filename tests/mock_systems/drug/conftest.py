"""The drug system with its 信息采集 pages, against a FAKE portal (tests/support/fake_portal.py)
whose UserInfo answers with the claims each test gives: legal persons and agents of two
enterprises, logged in each in a browser of their own. A second fake, the supervision portal,
is the other provider the drug system trusts (its regulators: test_regulators.py)."""
from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from mock_systems.common.accounts import create_account
from mock_systems.common.db import utcnow
from mock_systems.common.models import LinkKind, LocalAccount, PortalLink
from mock_systems.drug import PROFILE as DRUG, create_app
from mock_systems.drug.enterprise_info import supplement_enterprise_info
from mock_systems.drug.grants import save_grants
from mock_systems.drug.supervision import supervision_settings
from tests.support.fake_portal import FakePortal, browser_for, portal_login, system_settings
from tests.support.portal import hidden_fields

ENTERPRISE = {"name": "示例药业股份有限公司", "unified_social_credit_code": "91110105PDY0001752",
              "legal_representative": "李四"}
OTHER_ENTERPRISE = {"name": "另一制药有限公司", "unified_social_credit_code": "91310000MA1FL0000X",
                    "legal_representative": "钱七"}


@dataclass(frozen=True)
class Person:
    """Someone who logs in to the drug system through the portal: its subject there, the local
    account it is bound to, and the claims UserInfo gives."""

    sub: str
    username: str
    claims: dict


def legal_person(enterprise: dict = ENTERPRISE, sub: str = "legal-sub", username: str = "drug_legal") -> Person:
    return Person(sub, username, {"name": enterprise["legal_representative"], "account_type": "legal_person",
                                  "preferred_username": username, "enterprise": enterprise})


def agent(name: str = "王五", enterprise: dict = ENTERPRISE, sub: str = "agent-sub",
          username: str = "drug_agent") -> Person:
    return Person(sub, username, {"name": name, "account_type": "agent", "enterprise": enterprise,
                                  "acting_person": {"sub": f"person-{sub}", "name": name}})


LEGAL = legal_person()
AGENT = agent()
OTHER_LEGAL = legal_person(OTHER_ENTERPRISE, "other-legal-sub", "other_legal")
OTHER_AGENT = agent("孙八", OTHER_ENTERPRISE, "other-agent-sub", "other_agent")


SUPERVISION_ISSUER = "https://supervision.example.test"


@dataclass
class DrugSystem:
    app: object
    fake: FakePortal
    supervision: FakePortal | None = None  # the supervision portal (综合监管门户), when faked

    @property
    def system(self):
        return self.app.state.system

    def browser(self) -> httpx.AsyncClient:
        return browser_for(self.app, self.system.settings.base_url)

    async def account(self, username: str) -> LocalAccount:
        async with self.system.sessionmaker() as db:
            return await db.scalar(select(LocalAccount).where(LocalAccount.username == username))

    async def bind(self, person: Person) -> LocalAccount:
        """The person's local account (made here the first time) linked to its portal subject."""
        async with self.system.sessionmaker.begin() as db:
            account = await db.scalar(select(LocalAccount).where(LocalAccount.username == person.username))
            if account is None:
                account = await create_account(db, self.system, username=person.username, password=None,
                                               display_name=person.claims["name"])
                db.add(PortalLink(issuer=self.system.settings.issuer,
                                  portal_subject=person.sub, local_account_id=account.id,
                                  kind=LinkKind.created_by_binding, linked_at=utcnow()))
        return account

    async def supply_enterprise_info(self, person: Person) -> None:
        """补充企业信息 of the person's enterprise, done (test_enterprise_info.py has the form)."""
        enterprise = person.claims.get("enterprise") or {}
        if enterprise.get("unified_social_credit_code"):
            await supplement_enterprise_info(
                self.system, enterprise_code=enterprise["unified_social_credit_code"],
                enterprise_name=enterprise["name"], filled_by_name=person.claims["name"],
                values={"address": "北京市西城区示例路1号", "contact_name": "李四", "contact_phone": "010-12345678"})

    async def log_in(self, person: Person, browser: httpx.AsyncClient | None = None, *,
                     enterprise_info: bool = True) -> httpx.AsyncClient:
        """A browser logged in as ``person`` through the (fake) portal; its enterprise has supplied
        its details unless ``enterprise_info`` is False."""
        await self.bind(person)
        if enterprise_info:
            await self.supply_enterprise_info(person)
        browser = browser or self.browser()
        response = await portal_login(self.app, browser, person.sub, person.claims)
        assert response.status_code == 303 and response.headers["location"] == "/", response.text[:300]
        return browser


@pytest.fixture
async def drug(system_database_url):
    fake = FakePortal(DRUG.client_id)
    supervision = FakePortal("drug_supervision", issuer=SUPERVISION_ISSUER)
    settings = system_settings(DRUG, fake, system_database_url)

    def route(request: httpx.Request) -> httpx.Response:
        return (supervision if str(request.url).startswith(SUPERVISION_ISSUER) else fake).handler(request)

    app = create_app(settings, supervision_settings(settings, issuer=SUPERVISION_ISSUER, client_id="drug_supervision",
                                                    client_secret=supervision.client_secret),
                     http=httpx.AsyncClient(transport=httpx.MockTransport(route)))
    app.state.fake = fake
    async with app.router.lifespan_context(app):
        yield DrugSystem(app, fake, supervision)


async def grant(drug: DrugSystem, person: Person, modules: list[str]) -> None:
    """子用户授权 by the enterprise's legal person, without the pages (tests/…/test_grants.py has them)."""
    await save_grants(drug.system, enterprise_code=person.claims["enterprise"]["unified_social_credit_code"],
                      agent_id=(await drug.account(person.username)).id, modules=modules, granted_by_name="李四")


async def post_form(browser: httpx.AsyncClient, page_path: str, form_id: str, **fields) -> httpx.Response:
    """Submit the form ``form_id`` of the page at ``page_path`` with its hidden fields (CSRF token,
    revision) and ``fields``."""
    page = await browser.get(page_path)
    assert page.status_code == 200, page.text[:300]
    start = page.text.index(f'id="{form_id}"')
    form_html = page.text[page.text.rindex("<form", 0, start):page.text.index("</form>", start)]
    action = form_html.split('action="', 1)[1].split('"', 1)[0]
    return await browser.post(action, data={**hidden_fields(form_html), **fields})
