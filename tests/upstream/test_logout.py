"""Logging out of the portal after a login through the upstream ends the upstream's session too
(RP-Initiated Logout at the upstream's end_session_endpoint), and comes back to the portal."""
from __future__ import annotations

from urllib.parse import urlencode

from tests.support.portal import PASSWORD, RP, callback_params
from tests.support.token_flows import pkce_pair, redeem


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


async def test_a_system_logout_ends_the_upstream_session_and_returns_to_the_system_with_its_state(
        put, upstream, sites):
    """RP-Initiated Logout at the portal by a business system, after a login through the upstream:
    the upstream's session ends too, and the browser still arrives at the system's
    post_logout_redirect_uri with the system's state."""
    await upstream.add_person("gov_zhangsan", "110000198506120133")
    verifier, challenge = pkce_pair()
    params = {"response_type": "code", "client_id": put.rp.client_id, "redirect_uri": put.rp.redirect_uri,
              "scope": "openid", "state": "s", "nonce": "n", "code_challenge": challenge,
              "code_challenge_method": "S256"}
    login = await sites.go("/authorize?" + urlencode(params))
    personal = login.text.split('id="window-personal" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    page = await sites.log_in_upstream(await sites.upstream_login(start=personal), "gov_zhangsan")
    answer = callback_params(await sites.submit(page, "/upstream/link", password=PASSWORD))
    id_token = (await redeem(put, put.rp, answer["code"], verifier)).json()["id_token"]

    logout = {"id_token_hint": id_token, "post_logout_redirect_uri": f"{RP}/{put.rp.client_id}/logged-out",
              "state": "rp-state"}
    back = await sites.go("/logout?" + urlencode(logout))
    assert back.is_redirect and callback_params(back) == {"state": "rp-state"}
    assert back.headers["location"].startswith(f"{RP}/{put.rp.client_id}/logged-out")
    assert (await sites.go("/space")).url.path == "/login"
    assert 'action="/login"' in (await sites.upstream_login()).text  # logged out upstream too
