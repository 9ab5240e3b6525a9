"""The captcha image behind every form, the image provider's real answers, and the
development-only page of messages the development sink kept (absent in production mode)."""
import datetime as dt
import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from idp import clock as idp_clock
from idp.captcha.models import Captcha
from idp.captcha.providers import ALPHABET
from idp.notify.models import OutboundMessage
from tests.support.authz import Clock
from tests.support.login import CAPTCHA_WRONG, alert, attempt, logged_in_to, open_login
from tests.support.portal import Browser, hidden_fields, running_portal
from tests.support.production import production_overrides

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


async def stored_answer(put, captcha_id: str) -> str:
    async with put.portal.reader() as db:
        return await db.scalar(select(Captcha.answer).where(Captcha.id == captcha_id))


async def test_the_captcha_image_is_a_png_never_cached(put, browser):
    page = await open_login(browser)
    captcha_id = hidden_fields(page.text)["captcha_id"]
    response = await browser.client.get(f"/captcha/{captcha_id}.png")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert response.content.startswith(PNG_SIGNATURE)
    assert Image.open(io.BytesIO(response.content)).size == (140, 48)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "TEST" not in response.text  # the answer is drawn, never written out


@pytest.mark.parametrize("path", ["/captcha/no-such-captcha.png", "/captcha/%00.png", "/captcha/" + "a" * 65 + ".png"])
async def test_an_unknown_captcha_has_no_image(put, browser, path):
    assert (await browser.client.get(path)).status_code == 404


async def test_a_used_or_expired_captcha_has_no_image(put, browser, clock):
    page = await open_login(browser)
    await attempt(browser, page, "zhangsan", "Wrong@2026pass")
    assert (await browser.client.get(f"/captcha/{hidden_fields(page.text)['captcha_id']}.png")).status_code == 404
    fresh = await open_login(browser)
    clock.advance(5 * 60 + 1)
    assert (await browser.client.get(f"/captcha/{hidden_fields(fresh.text)['captcha_id']}.png")).status_code == 404


async def test_the_image_provider_asks_for_what_it_drew(put):
    async with running_portal(put.settings.database_url, captcha_provider="image") as real:
        browser = Browser(real)
        try:
            page = await open_login(browser)
            answer = await stored_answer(real, hidden_fields(page.text)["captcha_id"])
            assert len(answer) == 4 and set(answer) <= set(ALPHABET)
            refused = await attempt(browser, page, "zhangsan", captcha="TEST")
            assert alert(refused) == CAPTCHA_WRONG
            answer = await stored_answer(real, hidden_fields(refused.text)["captcha_id"])
            assert logged_in_to(await attempt(browser, refused, "zhangsan", captcha=answer.lower())) == "/space"
        finally:
            await browser.aclose()


# --- /dev/messages ----------------------------------------------------------------------------

async def test_dev_messages_lists_newest_first_with_channel_recipient_and_text(put, browser):
    now = idp_clock.now()
    async with put.portal.sessionmaker.begin() as db:
        db.add(OutboundMessage(channel="sms", recipient="13800138000", subject="用户解锁",
                               body="您的验证码是 123456", created_at=now - dt.timedelta(minutes=2)))
        db.add(OutboundMessage(channel="email", recipient="zhangsan@example.com", subject="找回密码",
                               body="<b>验证码</b> 654321", created_at=now))
    response = await browser.client.get("/dev/messages")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    rows = re.findall(r"<tr><td>.*?</tr>", response.text)
    assert len(rows) == 2
    assert "邮件" in rows[0] and "zhangsan@example.com" in rows[0] and "&lt;b&gt;验证码&lt;/b&gt; 654321" in rows[0]
    assert "短信" in rows[1] and "13800138000" in rows[1] and "您的验证码是 123456" in rows[1]


async def test_dev_messages_is_absent_in_production_mode(put, tmp_path):
    production = production_overrides(tmp_path)
    async with running_portal(put.settings.database_url, **production) as prod:
        async with prod.http() as http:
            assert (await http.get("/dev/messages")).status_code == 404
            assert (await http.get("/login", follow_redirects=True)).status_code == 200  # the portal itself runs
