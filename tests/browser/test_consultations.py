"""咨询 in a real browser: a question filed logged out (the 0/500 counter and the server's refusal
of 501 characters), one filed logged in, the lookup without login (a question four months old is
not shown), and the help desk's answer read in 我的互动 and 我的消息."""
from __future__ import annotations

import datetime as dt
import re

from playwright.async_api import expect

from tests.browser.steps import CAPTCHA, ON_BROWSER_LOOP, another_browser, answered, log_in, staff_sign_in
from tests.support.consultations import ASKER, file_question_in
from tests.support.live import register_account
from tests.support.staff import add_staff

pytestmark = ON_BROWSER_LOOP

ANSWER = "请在“我的绑定”页面刷新后重新登录，即可正常使用。"
DESCRIPTION = "北京示例医疗器械有限公司申请解除与医疗器械分类界定信息系统的绑定。"


async def fill_question(page, *, title: str, description: str) -> None:
    await page.select_option("#category", "unbinding")
    await page.select_option("#account_type", "legal_person")
    await page.fill("#title", title)
    await page.fill("#description", description)


async def fill_asker(page) -> None:
    await page.fill("#name", ASKER["name"])
    await page.select_option("#id_type", "居民身份证")
    await page.fill("#id_number", "110101199003070011")
    await page.fill("#mobile", ASKER["mobile"])
    await page.fill("#email", ASKER["email"])


async def test_ask_look_up_and_read_the_answer(page, portal, chromium, shot, console_errors):
    old = await file_question_in(portal.database_url, age=dt.timedelta(days=122), title="四个月前的问题")
    await register_account(portal.database_url, "zhangsan", account_type="personal", id_type="居民身份证",
                           id_number="110000198506120133", realname_level=2)

    # logged out: the form, the live counter, 501 characters refused by the server
    await page.goto("/problem?ssywxt=ZWFW")
    await expect(page.locator("#tips")).to_contain_text("问题咨询反馈时间一般为2个工作日。")
    await expect(page.locator("#system")).to_have_value("portal")
    await expect(page.locator("#description-counter")).to_have_text("0/500")
    await fill_question(page, title="申请解除绑定", description="问" * 501)
    await fill_asker(page)
    await expect(page.locator("#description-counter")).to_have_text("501/500")
    await expect(page.locator("#description-counter")).to_have_class(re.compile("over"))
    await page.fill("#captcha", CAPTCHA)
    await shot(page, "over-500")
    await page.click("#submit")
    await expect(page.locator("#description-error")).to_have_text("问题描述不能超过500个字符")
    answered(console_errors, 400)
    await expect(page.locator("#description-counter")).to_have_text("501/500")
    await shot(page, "refused-501")
    await page.fill("#description", DESCRIPTION)
    await expect(page.locator("#description-counter")).to_have_text(f"{len(DESCRIPTION)}/500")
    await page.fill("#captcha", CAPTCHA)
    await page.click("#submit")
    await expect(page.locator("#answer-within")).to_contain_text("您的咨询将在两个工作日内回复")
    reference = (await page.inner_text("#reference")).strip()
    await shot(page, "filed-logged-out")

    # the lookup without login: this question, not the one four months old
    await page.click("#query-link")
    await expect(page.locator("#lookup-note")).to_contain_text("本界面仅供查询近3个月的未登录状态下的问题回复")
    await page.fill("#name", ASKER["name"])
    await page.fill("#mobile", ASKER["mobile"])
    await page.fill("#email", ASKER["email"])
    await page.fill("#captcha", CAPTCHA)
    await page.click("#look-up")
    await expect(page.locator(f'article[data-reference="{reference}"]')).to_contain_text("待回复")
    await expect(page.locator(f'article[data-reference="{old}"]')).to_have_count(0)
    await shot(page, "lookup")

    # logged in: the form comes prefilled, the question is the account's
    await page.goto("/login?window=personal")
    await log_in(page, "zhangsan")
    await page.goto("/problem?ssywxt=ZWFW")
    await expect(page.locator("#name")).to_have_value("张三")
    await expect(page.locator("#id_number")).to_have_value("110000198506120133")
    await page.select_option("#category", "login")
    await page.select_option("#account_type", "personal")
    await page.fill("#title", "登录遇到问题")
    await page.fill("#description", "个人登录时提示输入的用户名或密码错误。")
    await page.fill("#captcha", CAPTCHA)
    await page.click("#submit")
    await expect(page.locator("#where-to-read")).to_contain_text("我的互动—在线办事反馈")
    mine = (await page.inner_text("#reference")).strip()
    await shot(page, "filed-logged-in")
    await page.click("#feedback-link")
    await expect(page.locator(f'article[data-reference="{mine}"]')).to_contain_text("待回复")
    await shot(page, "feedback-before-answer")

    # the help desk answers in the staff console
    secret = await add_staff(portal.database_url, "helpdesk1", "helpdesk")
    async with another_browser(chromium, portal, console_errors) as desk:
        await staff_sign_in(desk, "helpdesk1", secret)
        await desk.click("#menu-helpdesk")
        overdue = desk.locator(f'tr.question.overdue[data-reference="{old}"]')
        await expect(overdue.locator("td.due")).to_contain_text("已逾期")
        await expect(desk.locator("tr.question").first).to_have_attribute("data-reference", old)
        await shot(desk, "staff-queue")
        await desk.click(f'tr.question[data-reference="{mine}"] a')
        await expect(desk.locator("#reference")).to_have_text(mine)
        await desk.fill("#answer", ANSWER)
        await shot(desk, "staff-answering")
        await desk.click("#send-answer")
        await expect(desk.locator("#staff-notice")).to_have_text(f"已回复咨询{mine}。")
        await expect(desk.locator(f'tr.question[data-reference="{mine}"]')).to_have_count(0)
        await shot(desk, "staff-answered")

    # the user reads it in 我的互动 and in 我的消息
    await page.reload()
    answered_question = page.locator(f'article[data-reference="{mine}"]')
    await expect(answered_question).to_contain_text("已回复")
    await expect(answered_question.locator(".answer-text")).to_have_text(ANSWER)
    await shot(page, "feedback-answered")
    await page.click("#menu-messages")
    await expect(page.locator('tr.message[data-kind="consultation_answered"] td.body')).to_contain_text(ANSWER)
    await shot(page, "messages-answered")
