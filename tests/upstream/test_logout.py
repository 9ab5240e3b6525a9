"""Logging out of the portal after a login through the upstream ends the upstream's session too
(RP-Initiated Logout at the upstream's end_session_endpoint), and comes back to the portal."""
from __future__ import annotations

from tests.support.portal import PASSWORD


async def test_the_portal_logout_ends_the_upstream_session_and_comes_back(put, upstream, sites):
    await upstream.add_person("gov_zhangsan", "110000198506120133")
    page = await sites.log_in_upstream(await sites.upstream_login(), "gov_zhangsan")
    space = await sites.submit(page, "/upstream/link", password=PASSWORD)
    assert space.url.path == "/space"

    done = await sites.submit(space, "/logout/confirm", action="logout")
    assert done.url.host == "op.example.test" and done.url.path == "/logged-out" and "退出" in done.text
    assert (await sites.go("/space")).url.path == "/login"
    # Logged out upstream as well: its login page is asked for again.
    again = await sites.upstream_login()
    assert again.url.host == "localhost" and 'action="/login"' in again.text


async def test_a_password_login_logs_out_of_the_portal_only(put, upstream, sites):
    await upstream.add_person("gov_zhangsan", "110000198506120133")
    page = await sites.log_in_upstream(await sites.upstream_login(), "gov_zhangsan")
    await sites.submit(page, "/upstream/link", password=PASSWORD)
    sites.portal.cookies.clear()  # a new portal session, by password this time
    login = await sites.go("/login?window=personal")
    space = await sites.submit(login, "/login", username="zhangsan", password=PASSWORD, captcha="TEST")
    done = await sites.submit(space, "/logout/confirm", action="logout")
    assert done.url.host == "op.example.test" and done.status_code == 200
    assert (await sites.upstream_login()).url.path == "/space"  # the upstream's session was not touched
