"""Helpers for the registration and upgrade tests: reading the forms back (values kept, the
message under each field), filling them with records of the synthetic registers
(idp/verification/data), and what the database holds afterwards."""
from __future__ import annotations

import re
from html import unescape

import httpx
from sqlalchemy import func, select

from idp.accounts.models import Account
from idp.audit.models import AuditEvent
from idp.captcha.providers import TEST_ANSWER
from idp.flows.models import Flow
from idp.notify.models import OutboundMessage
from tests.support.portal import PASSWORD, Browser, PortalUnderTest

# 法人: 示例医疗器械有限公司 and its legal representative 李四 (长期 ID) in enterprises.yaml / persons.yaml.
LEGAL = {
    "enterprise_name": "示例医疗器械有限公司", "credit_code": "91110105PDY0001752", "name": "李四",
    "id_type": "居民身份证", "id_number": "330000197001010023", "valid_from": "2016-01-01", "valid_to": "",
    "long_term": "1", "mobile": "13900139001", "email": "legal@example.com",
}
# 个人: 王芳 in persons.yaml (valid 2012-03-01 to 2032-03-01).
PERSON = {
    "name": "王芳", "id_type": "居民身份证", "id_number": "31000019920229024X", "valid_from": "2012-03-01",
    "valid_to": "2032-03-01", "mobile": "13700137001", "email": "wangfang@example.com", "username": "wangfang",
    "password": PASSWORD, "password_confirm": PASSWORD,
}
CREDENTIALS = {"username": "shili_qiye", "password": PASSWORD, "password_confirm": PASSWORD}


def input_value(html: str, field: str) -> str | None:
    found = re.search(rf'<input type="[a-z]+" id="{field}" name="{field}" value="([^"]*)"', html)
    return unescape(found.group(1)) if found else None


def selected(html: str, field: str) -> str | None:
    select_html = re.search(rf'<select id="{field}" name="{field}">(.*?)</select>', html, re.DOTALL)
    found = select_html and re.search(r'<option value="([^"]*)" selected>', select_html.group(1))
    return unescape(found.group(1)) if found else None


def checked(html: str, field: str) -> bool:
    found = re.search(rf'<input type="checkbox" id="{field}"[^>]*>', html)
    return bool(found) and " checked" in found.group(0)


def field_error(html: str, field: str) -> str | None:
    found = re.search(rf'<p class="error field-error" id="{field}-error">([^<]*)</p>', html)
    return unescape(found.group(1)) if found else None


def alert(html: str) -> str | None:
    found = re.search(r'role="alert" id="error">(?:<p>)?([^<]*)<', html)
    return unescape(found.group(1)) if found else None


async def count(put: PortalUnderTest, model, *where) -> int:
    async with put.portal.reader() as db:
        return await db.scalar(select(func.count()).select_from(model).where(*where))


async def accounts(put: PortalUnderTest, *where) -> list[Account]:
    async with put.portal.reader() as db:
        return list((await db.scalars(select(Account).where(*where).order_by(Account.id))).all())


async def events(put: PortalUnderTest, event: str) -> list[AuditEvent]:
    async with put.portal.reader() as db:
        return list((await db.scalars(select(AuditEvent).where(AuditEvent.event == event)
                                      .order_by(AuditEvent.id))).all())


async def flow_of(put: PortalUnderTest, page: httpx.Response) -> Flow:
    flow_id = re.search(r'name="flow" value="([^"]+)"', page.text).group(1)
    async with put.portal.reader() as db:
        return await db.get(Flow, flow_id)


async def ctid_messages(put: PortalUnderTest) -> list[OutboundMessage]:
    async with put.portal.reader() as db:
        return list((await db.scalars(select(OutboundMessage).where(OutboundMessage.channel == "ctid")
                                      .order_by(OutboundMessage.id))).all())


async def latest_confirmation(put) -> str:
    """The confirmation the CTID stand-in showed last (the upgrade to 三级)."""
    return re.search(r"验证码为(\d{6})", (await ctid_messages(put))[-1].body).group(1)


async def legal_step_one(browser: Browser, **overrides) -> httpx.Response:
    """Open /register/legal and submit 开始认证 with LEGAL (and the test captcha's answer)."""
    page = await browser.go("/register/legal")
    assert 'action="/register/legal"' in page.text, page.text[:300]
    return await browser.submit(page, "/register/legal", **{**LEGAL, "captcha": TEST_ANSWER, **overrides})


async def register_legal(browser: Browser, step_one: dict | None = None, **credentials) -> httpx.Response:
    """All three steps: 开始认证, 创建用户 and 确认注册."""
    page = await legal_step_one(browser, **(step_one or {}))
    assert 'action="/register/legal/user"' in page.text, alert(page.text) or page.text[:300]
    return await browser.submit(page, "/register/legal/user", step="confirm", **{**CREDENTIALS, **credentials})


async def register_person(browser: Browser, **overrides) -> httpx.Response:
    page = await browser.go("/register/personal")
    assert 'action="/register/personal"' in page.text, page.text[:300]
    return await browser.submit(page, "/register/personal", **{**PERSON, "captcha": TEST_ANSWER, **overrides})


def digest_of(put: PortalUnderTest, column, value: str | None) -> str | None:
    """What a blind-index column (e.g. Account.personal_id_number) stores for ``value``: its keyed
    digest, which is what the lookups by that column compare."""
    return column.type.process_bind_param(value, put.portal.engine.sync_engine.dialect)
