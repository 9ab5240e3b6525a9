"""The first login of an upstream identity whose ID number (a person) or credit code (an
enterprise) a portal account already has: linked only by that account's password, once."""
from __future__ import annotations

import asyncio

from sqlalchemy import select, update

from idp import clock
from idp.accounts.models import Account, AccountType
from idp.audit.models import AuditEvent
from idp.upstream_links.models import UpstreamLink
from idp.upstream_links.transitions import link
from tests.support.portal import PASSWORD
from tests.support.upstream import count

ZHANGSAN = "110000198506120133"
CREDIT_CODE = "91110105PDY0001752"


async def test_the_account_with_the_same_id_number_is_linked_by_its_password(put, upstream, sites):
    # `put` has zhangsan (个人, 二级) with this ID number; the upstream vouches 三级 for it.
    await upstream.add_person("gov_zhangsan", ZHANGSAN, level=3, mobile="13800138000")
    page = await sites.log_in_upstream(await sites.upstream_login(), "gov_zhangsan")
    assert 'action="/upstream/link"' in page.text and 'id="candidate-username">zhangsan<' in page.text
    assert 'action="/upstream/create"' not in page.text  # never a second account for one person

    done = await sites.submit(page, "/upstream/link", password=PASSWORD)
    assert done.url.path == "/space"
    account = put.account
    async with put.portal.reader() as db:
        row = await db.scalar(select(UpstreamLink).where(UpstreamLink.account_id == account.id))
        level = await db.scalar(select(Account.realname_level).where(Account.id == account.id))
    assert row is not None and row.upstream == upstream.url
    assert level == 2  # the portal's own level stays: linking vouches for nothing new
    assert await count(put, Account) == 1
    assert await count(put, AuditEvent, AuditEvent.event == "upstream.linked",
                       AuditEvent.subject == account.subject) == 1

    sites.portal.cookies.clear()
    assert (await sites.upstream_login()).url.path == "/space"  # later: straight in


async def test_a_wrong_password_links_nothing_and_counts_towards_the_lock(put, upstream, sites):
    await upstream.add_person("gov_zhangsan", ZHANGSAN)
    page = await sites.log_in_upstream(await sites.upstream_login(), "gov_zhangsan")
    wrong = await sites.submit(page, "/upstream/link", password="Wrong@2026pass")
    assert wrong.status_code == 400 and "输入的用户名或密码错误" in wrong.text
    assert 'action="/upstream/link"' in wrong.text  # the same form again
    assert await count(put, UpstreamLink) == 0
    async with put.portal.reader() as db:
        assert await db.scalar(select(Account.failed_logins).where(Account.id == put.account.id)) == 1
    assert (await sites.go("/space")).url.path == "/login"  # logged in nowhere


async def test_an_account_linked_to_another_upstream_identity_is_not_linked_again(put, upstream, sites):
    async with put.portal.sessionmaker.begin() as db:  # linked earlier, to an identity since replaced
        await link(db, upstream.url, "an-earlier-subject", put.account.id)
    await upstream.add_person("gov_zhangsan", ZHANGSAN)
    page = await sites.log_in_upstream(await sites.upstream_login(), "gov_zhangsan")
    refused = await sites.submit(page, "/upstream/link", password=PASSWORD)
    assert refused.status_code == 400 and "已关联其他国家政务服务平台账号" in refused.text
    async with put.portal.reader() as db:
        subjects = (await db.scalars(select(UpstreamLink.subject))).all()
    assert subjects == ["an-earlier-subject"]
    assert (await sites.go("/space")).url.path == "/login"


async def test_through_the_legal_window_the_enterprise_the_upstream_vouches_for_is_the_legal_person(
        put, upstream, sites):
    enterprise = await put.add_account("qiye", account_type="legal_person", name="李四",
                                       enterprise_name="示例医疗器械有限公司", credit_code=CREDIT_CODE,
                                       id_type="居民身份证", id_number="330000197001010023", realname_level=2)
    await upstream.add_enterprise("gov_qiye", CREDIT_CODE, "示例医疗器械有限公司")
    page = await sites.log_in_upstream(await sites.upstream_login("legal"), "gov_qiye", window="legal")
    assert 'id="candidate-username">qiye<' in page.text and CREDIT_CODE in page.text
    done = await sites.submit(page, "/upstream/link", password=PASSWORD)
    assert done.url.path == "/space"
    assert await count(put, UpstreamLink, UpstreamLink.account_id == enterprise.id) == 1


async def test_a_new_enterprise_gets_a_legal_person_account(put, upstream, sites):
    await upstream.add_enterprise("gov_new", "91310115MA1K4XY213", "上海示例生物科技有限公司", name="周八",
                                  id_number="310104197505203512")
    page = await sites.log_in_upstream(await sites.upstream_login("legal"), "gov_new", window="legal")
    done = await sites.submit(page, "/upstream/create", username="shanghai_bio", password="Bio@2026pass",
                              password_confirm="Bio@2026pass")
    assert done.url.path == "/space"
    async with put.portal.reader() as db:
        account = await db.scalar(select(Account).where(Account.username == "shanghai_bio"))
    assert (account.account_type, account.enterprise_name, account.credit_code, account.name) == (
        AccountType.legal_person, "上海示例生物科技有限公司", "91310115MA1K4XY213", "周八")


async def test_parallel_first_logins_of_one_identity_make_one_account_and_one_link(put, upstream, sites):
    """Two tabs back from the upstream for the same person, both submitting 创建账号 at once."""
    await upstream.add_person("gov_zhaoliu", "110101199003071233", name="赵六")
    first = await sites.log_in_upstream(await sites.upstream_login(), "gov_zhaoliu")
    second = await sites.upstream_login()  # the upstream remembers the login: straight back
    assert second.url.path == "/upstream/first" and first.url != second.url  # two flows

    answers = await asyncio.gather(
        sites.submit(first, "/upstream/create", username="zhaoliu_a", password="Zhao@2026liu",
                     password_confirm="Zhao@2026liu"),
        sites.submit(second, "/upstream/create", username="zhaoliu_b", password="Zhao@2026liu",
                     password_confirm="Zhao@2026liu"))
    assert sorted(a.url.path for a in answers) == ["/space", "/upstream/create"]
    assert await count(put, Account, Account.name == "赵六") == 1 and await count(put, UpstreamLink) == 1


async def test_a_disabled_account_with_the_id_number_is_neither_linked_nor_duplicated(put, upstream, sites):
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(Account).where(Account.id == put.account.id).values(disabled_at=clock.now()))
    await upstream.add_person("gov_zhangsan", ZHANGSAN)
    page = await sites.log_in_upstream(await sites.upstream_login(), "gov_zhangsan")
    assert page.status_code == 403 and "账号已停用" in page.text
    assert await count(put, UpstreamLink) == 0 and await count(put, Account) == 1
