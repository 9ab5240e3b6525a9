"""常见问题 and 新手指导 in a real browser: from the login window's 新手指导 to an answer, a search
of 常见问题, and the login window's feedback link to 咨询."""
from __future__ import annotations

from playwright.async_api import expect

from tests.browser.steps import ON_BROWSER_LOOP

pytestmark = ON_BROWSER_LOOP


async def test_from_the_login_window_to_an_answer_a_search_and_the_feedback_link(page, portal, shot):
    await page.goto("/login?window=legal")
    await expect(page.locator("#guide")).to_have_text("新手指导")
    await shot(page, "login-window")

    await page.click("#guide")
    await page.wait_for_url(f"{portal.url}/help/guide")
    await expect(page.locator("h1")).to_have_text("新手指导")
    await page.click("a[href='#step-bind']")  # the list of steps leads to the step's answer
    await expect(page.locator("#step-bind")).to_contain_text("直接授权创建新的账号")
    await shot(page, "guide")

    await page.fill("#q", "不可解除")
    await page.click("#search")
    await page.wait_for_url(f"{portal.url}/help/faq?q=*")
    answer = page.locator("#undo-fixed-binding")
    await expect(answer).to_contain_text("描述清楚企业名称要与哪个系统解除绑定")
    await expect(answer.locator("a", has_text="申请解除绑定（咨询）")).to_have_attribute("href",
                                                                                 "/problem?ssywxt=ZWFW")
    await shot(page, "search-不可解除")

    await page.fill("#q", "量子纠缠")
    await page.click("#search")
    await expect(page.locator("#no-results")).to_contain_text("未找到与“量子纠缠”相关的解答")
    await shot(page, "search-nothing")

    await page.click("#nav-faq")  # the header's 常见问题: the whole list
    await page.click("a[href='#id-number-exists']")
    await expect(page.locator("#id-number-exists")).to_contain_text("证件号码已存在")
    await shot(page, "faq-证件号码已存在")

    await page.goto("/login?window=personal")
    feedback = page.locator("#feedback")
    await expect(feedback).to_have_text("登录遇到问题, 请反馈给我们")
    async with page.expect_navigation() as navigation:
        await feedback.click()
    response = await navigation.value
    # The form's stored flow adds its id to the address.
    assert response.status == 200 and page.url.startswith(f"{portal.url}/problem?ssywxt=ZWFW&flow=")
    await expect(page.locator("h1")).to_contain_text("咨询")
    await shot(page, "consult")
