"""个人空间 and 法人空间: who gets which space, the portal's menu, and the profile
that 账号设置 shows — masked identifiers and 实名等级 in the portal's wording."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select, update

from idp import clock
from idp.sessions.models import UserSession
from tests.support.portal import Browser
from tests.support.space import signed_in

LEGAL = dict(account_type="legal_person", name="李四", enterprise_name="示例医疗器械有限公司",
             credit_code="91350100M000100Y43", id_type="居民身份证", id_number="11000019800101002X",
             mobile="13900000001", email="corp@example.com", realname_level=3)
MENU = ("我的办件", "我的绑定", "我的证照", "我的评价", "我的互动", "我的关注", "我的预约", "我的收藏", "我的消息")
PAGES = ("/space", "/space/settings", "/space/settings/password", "/space/settings/mobile", "/space/settings/email",
         "/space/messages", "/space/feedback")


def hrefs(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', html))


@pytest.mark.parametrize("path", PAGES)
async def test_pages_need_a_login(put, path):
    async with put.http() as http:
        response = await http.get(path)
    assert response.status_code == 303 and response.headers["location"] == "/login"


async def test_an_ended_session_is_sent_to_login(put):
    browser = await signed_in(put, put.account)
    try:
        assert (await browser.client.get("/space")).status_code == 200
        async with put.portal.sessionmaker.begin() as db:
            await db.execute(update(UserSession).values(ended_at=clock.now()))
        response = await browser.client.get("/space/settings")
        assert response.status_code == 303 and response.headers["location"] == "/login"
    finally:
        await browser.aclose()


async def test_personal_space(put):
    browser = await signed_in(put, put.account)
    try:
        page = await browser.go("/space")
    finally:
        await browser.aclose()
    assert page.status_code == 200
    assert "<h1 id=\"space-name\">个人空间</h1>" in page.text and "法人空间" not in page.text
    assert "张三" in page.text
    assert "实名等级：二级" in page.text
    # 二级 can be upgraded to 三级.
    assert 'id="upgrade-link" href="/upgrade"' in page.text


async def test_legal_person_space_shows_the_enterprise_and_level_three(put):
    corp = await put.add_account("corp", **LEGAL)
    browser = await signed_in(put, corp)
    try:
        page = await browser.go("/space")
    finally:
        await browser.aclose()
    assert "<h1 id=\"space-name\">法人空间</h1>" in page.text and "个人空间" not in page.text
    assert "示例医疗器械有限公司" in page.text
    assert "实名等级：三级" in page.text
    assert "/upgrade" not in page.text


async def test_menu_lists_the_portal_entries_and_only_working_ones_are_links(put):
    browser = await signed_in(put, put.account)
    try:
        page = await browser.go("/space")
        menu = page.text.split('<nav class="space-menu"', 1)[1].split("</nav>", 1)[0]
        for entry in (e for e in MENU if e not in ("我的绑定", "我的互动", "我的消息")):
            # Shown, marked as coming, and not a link anywhere on the page.
            soon = rf'<span class="soon" aria-disabled="true">{entry}<small>即将开放</small></span>'
            assert re.search(soon, menu), entry
            assert not re.search(rf"<a [^>]*>{entry}", page.text), entry
        assert re.findall(r'<a [^>]*href="([^"]+)"', menu) == ["/space/bindings", "/space/feedback", "/space/messages",
                                                              "/space/settings"]
        assert re.search(r'<a [^>]*href="/space/bindings">我的绑定</a>', menu)
        assert re.search(r'<a [^>]*href="/space/feedback">我的互动</a>', menu)
        assert re.search(r'<a [^>]*href="/space/messages">我的消息</a>', menu)
        assert "账号设置" in menu
        # No link on any page of the space leads nowhere (/upgrade is the upgrade flow's page).
        seen = set()
        for path in PAGES:
            seen |= hrefs((await browser.go(path)).text)
        for link in sorted(seen - {"/upgrade"}):
            response = await browser.client.get(link)
            assert response.status_code in (200, 303), (link, response.status_code)
    finally:
        await browser.aclose()


async def test_account_settings_shows_the_personal_profile_masked(put):
    async with put.portal.sessionmaker.begin() as db:
        account = await db.get(type(put.account), put.account.id)
        account.id_valid_from = dt.date(2015, 3, 1)
        account.id_valid_to = dt.date(2035, 3, 1)
    browser = await signed_in(put, put.account)
    try:
        page = await browser.go("/space/settings")
    finally:
        await browser.aclose()
    text = page.text
    assert '<td id="profile-name">张三</td>' in text
    assert '<td id="profile-username">zhangsan</td>' in text
    assert '<td id="profile-id-type">居民身份证</td>' in text
    assert '<td id="profile-id-number">1100**********0133</td>' in text
    assert '<td id="profile-id-validity">2015-03-01 至 2035-03-01</td>' in text
    assert "138****8000" in text and "zhangsan@example.com" in text
    # The full numbers never reach the page.
    assert "110000198506120133" not in text and "13800138000" not in text
    assert "实名等级：二级" in text and 'id="profile-upgrade" href="/upgrade"' in text
    # Typed in at registration, never proven by a code.
    assert text.count("未验证") == 2 and "已验证" not in text
    for link in ("/space/settings/password", "/space/settings/mobile", "/space/settings/email"):
        assert f'href="{link}"' in text
    assert "企业名称" not in text and "统一社会信用代码" not in text


async def test_account_settings_shows_the_enterprise_of_a_legal_person(put):
    corp = await put.add_account("corp", id_valid_from=dt.date(2001, 5, 6), id_long_term=True, **LEGAL)
    browser = await signed_in(put, corp)
    try:
        text = (await browser.go("/space/settings")).text
    finally:
        await browser.aclose()
    assert '<td id="profile-enterprise-name">示例医疗器械有限公司</td>' in text
    assert '<td id="profile-credit-code">91350100M000100Y43</td>' in text
    assert '<td id="profile-name">李四</td>' in text and "法定代表人" in text
    assert '<td id="profile-id-number">1100**********002X</td>' in text
    assert '<td id="profile-id-validity">2001-05-06 至 长期</td>' in text
    assert "139****0001" in text and "corp@example.com" in text
    assert "实名等级：三级" in text and "/upgrade" not in text


@pytest.mark.parametrize("path", PAGES)
async def test_pages_carry_security_headers_and_the_session_csrf_secret(put, path):
    browser = await signed_in(put, put.account)
    try:
        response = await browser.go(path)
    finally:
        await browser.aclose()
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    async with put.portal.sessionmaker() as db:
        secret = await db.scalar(select(UserSession.csrf_secret))
    forms = response.text.count("<form ")
    assert forms >= 1 and response.text.count(f'name="csrf_token" value="{secret}"') == forms


async def test_an_unknown_setting_is_not_found(put):
    browser = await signed_in(put, put.account)
    try:
        response = await browser.go("/space/settings/fax")
    finally:
        await browser.aclose()
    assert response.status_code == 404 and "页面不存在" in response.text


async def test_each_user_sees_their_own_space(put):
    other = await put.add_account("lisi", name="李四", id_number="11000019800101002X", realname_level=3)
    first, second = await signed_in(put, put.account), await signed_in(put, other, Browser(put))
    try:
        assert "张三" in (await first.go("/space/settings")).text
        text = (await second.go("/space/settings")).text
        assert "李四" in text and "张三" not in text and "实名等级：三级" in text
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_legal_person_at_level_two_is_offered_no_upgrade(put):
    corp = await put.add_account("corp2", **{**LEGAL, "realname_level": 2, "credit_code": "92440305PDY002429G"})
    browser = await signed_in(put, corp)
    try:
        page = await browser.go("/space")
    finally:
        await browser.aclose()
    assert "实名等级：二级" in page.text and "/upgrade" not in page.text
