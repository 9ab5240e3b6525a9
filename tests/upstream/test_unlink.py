"""账号设置 shows the link to the 国家政务服务平台 identity and removes it with the account's own
password; afterwards the next login through the upstream is a first login again."""
from __future__ import annotations

from sqlalchemy import select

from idp.accounts.models import Account
from idp.audit.models import AuditEvent
from idp.upstream_links.models import UpstreamLink
from tests.support.portal import PASSWORD
from tests.support.upstream import count


async def linked(sites, upstream) -> None:
    await upstream.add_person("gov_zhangsan", "110000198506120133")
    page = await sites.log_in_upstream(await sites.upstream_login(), "gov_zhangsan")
    assert (await sites.submit(page, "/upstream/link", password=PASSWORD)).url.path == "/space"


async def test_settings_show_the_link_and_remove_it_with_the_password(put, upstream, sites):
    await linked(sites, upstream)
    settings = await sites.go("/space/settings")
    assert 'id="profile-upstream">已关联' in settings.text
    page = await sites.go("/space/settings/upstream")
    assert 'id="upstream-linked"' in page.text

    wrong = await sites.submit(page, "/space/settings/upstream/unlink", current_password="Wrong@2026pass")
    assert wrong.status_code == 400 and await count(put, UpstreamLink) == 1
    done = await sites.submit(page, "/space/settings/upstream/unlink", current_password=PASSWORD)
    assert done.url.path == "/space/settings/upstream" and "已解除与国家政务服务平台账号的关联" in done.text
    assert 'id="upstream-not-linked"' in done.text
    assert await count(put, UpstreamLink) == 0
    assert await count(put, AuditEvent, AuditEvent.event == "upstream.unlinked",
                       AuditEvent.subject == put.account.subject) == 1
    again = await sites.submit(page, "/space/settings/upstream/unlink", current_password=PASSWORD)
    assert again.status_code == 400 and "未关联" in again.text  # a second submit removes nothing more

    sites.portal.cookies.clear()
    first = await sites.upstream_login()  # a first login again: the password links it anew
    assert first.url.path == "/upstream/first" and 'action="/upstream/link"' in first.text


async def test_a_link_of_another_account_cannot_be_removed(put, upstream, sites):
    await linked(sites, upstream)
    other = await put.add_account("lisi", account_type="personal")
    async with put.portal.reader() as db:
        link_id = await db.scalar(select(UpstreamLink.id))
    sites.portal.cookies.clear()
    login = await sites.go("/login?window=personal")
    await sites.submit(login, "/login", username="lisi", password=PASSWORD, captcha="TEST")
    page = await sites.go("/space/settings/upstream")
    refused = await sites.submit(page, "/space/settings/upstream/unlink", link=str(link_id),
                                 current_password=PASSWORD)
    assert refused.status_code == 400 and await count(put, UpstreamLink) == 1
    assert await count(put, Account, Account.id == other.id) == 1
