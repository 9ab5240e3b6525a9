"""退出 from a business system in a real browser (OIDC RP-Initiated Logout 1.0 by POST): the
system's logout page posts the ID token to the portal's /logout with a script of its own origin
(the pages' Content-Security-Policy allows no inline script), the portal session ends, and the
browser comes back to the system's home page logged out. The ID token travels in form bodies
only, never in a URL (RFC 9700 §4.2.4: URLs leak through logs, history and Referer)."""
from __future__ import annotations

from dataclasses import dataclass

from playwright.async_api import Page, Request, expect

from mock_systems.udi import PROFILE as UDI
from tests.browser.steps import ON_BROWSER_LOOP, log_in, running
from tests.support.live import register_account

pytestmark = ON_BROWSER_LOOP


@dataclass
class Navigation:
    method: str
    url: str
    body: str


def record_navigations(page: Page) -> tuple[list[str], list[Navigation]]:
    """Every URL the browser requested, and the main frame's page loads in order."""
    urls: list[str] = []
    navigations: list[Navigation] = []

    def seen(request: Request) -> None:
        urls.append(request.url)
        if request.is_navigation_request() and request.frame == page.main_frame:
            navigations.append(Navigation(request.method, request.url, request.post_data or ""))

    page.context.on("request", seen)
    return urls, navigations


async def sso_into(page: Page, portal, system_url: str, shot) -> None:
    """On the system's home page: 通过政务服务门户登录, the portal's login, back logged in."""
    await page.goto(system_url + "/")
    await expect(page.locator("#not-logged-in")).to_have_text("您尚未登录。")
    await page.get_by_role("link", name="通过政务服务门户登录").click()
    await page.wait_for_url(f"{portal.url}/login**")
    await log_in(page, "zhangsan")
    await page.wait_for_url(system_url + "/")
    await expect(page.locator("#local-username")).to_have_text("udi_demo")
    await expect(page.locator("#login-method")).to_have_text("政务服务门户单点登录")
    await shot(page, "logged-in-by-sso")


async def log_out_of_the_system(page: Page, system_url: str, shot) -> None:
    await page.get_by_role("button", name="退出登录").click()
    await expect(page.locator("#not-logged-in")).to_have_text("您尚未登录。")
    assert page.url == system_url + "/"
    await shot(page, "back-at-system-logged-out")


async def portal_asks_for_login(page: Page, portal, shot) -> None:
    await page.goto(f"{portal.url}/space")
    await page.wait_for_url(f"{portal.url}/login**")
    await expect(page.locator("#username")).to_be_visible()
    await shot(page, "portal-asks-for-login")


def no_token_in_urls(urls: list[str], navigations: list[Navigation]) -> None:
    assert urls and not [url for url in urls if "id_token_hint" in url]
    to_portal = [n for n in navigations if n.url.endswith("/logout") and "id_token_hint=" in n.body]
    assert to_portal and all(n.method == "POST" for n in to_portal), navigations


async def test_logout_from_a_business_system_ends_the_portal_session_too(page, portal, databases, tmp_path,
                                                                         shot, console_errors):
    account = await register_account(portal.database_url, "zhangsan")
    async with running(portal, databases, tmp_path, "udi", UDI) as udi:
        await udi.link(account.subject, "udi_demo")
        urls, navigations = record_navigations(page)
        await sso_into(page, portal, udi.url, shot)
        del navigations[:]

        await log_out_of_the_system(page, udi.url, shot)
        # Same site (127.0.0.1): the portal gets its session cookie with the first POST.
        assert [(n.method, n.url) for n in navigations] == [
            ("POST", f"{udi.url}/logout"), ("POST", f"{portal.url}/logout"), ("GET", f"{udi.url}/")]
        await portal_asks_for_login(page, portal, shot)
        await page.goto(udi.url + "/")
        await expect(page.locator("#not-logged-in")).to_have_text("您尚未登录。")
    no_token_in_urls(urls, navigations)
    assert console_errors == []


async def test_from_another_site_the_portal_posts_the_logout_again_with_its_cookie(page, portal, databases,
                                                                                  tmp_path, shot, console_errors):
    """The system on localhost, the portal on 127.0.0.1: two sites, so the system's POST reaches
    the portal without its SameSite=Lax session cookie and the portal's own page posts it again."""
    account = await register_account(portal.database_url, "zhangsan")
    async with running(portal, databases, tmp_path, "udi", UDI, host="localhost") as udi:
        system_url = f"http://localhost:{udi.port}"
        await udi.link(account.subject, "udi_demo")
        urls, navigations = record_navigations(page)
        await sso_into(page, portal, system_url, shot)
        del navigations[:]

        await log_out_of_the_system(page, system_url, shot)
        assert [(n.method, n.url) for n in navigations] == [
            ("POST", f"{system_url}/logout"), ("POST", f"{portal.url}/logout"),
            ("POST", f"{portal.url}/logout"), ("GET", f"{system_url}/")]
        assert "resubmitted=1" not in navigations[1].body and "resubmitted=1" in navigations[2].body
        await portal_asks_for_login(page, portal, shot)
    no_token_in_urls(urls, navigations)
    assert console_errors == []
