"""用户解锁: a code to the registered mobile or e-mail unlocks an account, and the pages never
tell whether an account exists or whether the mobile/e-mail was the registered one."""
import asyncio
import datetime as dt
from unittest.mock import patch

import pytest
from sqlalchemy import select, update

from idp import clock
from idp.accounts.lockout import is_locked
from idp.accounts.models import Account
from idp.codes.models import OneTimeCode
from idp.flows.contact_code import masked
from idp.flows.unlock.transitions import KIND
from shared.messages import text
from tests.support.authz import Clock
from tests.support.portal import Browser, hidden_fields
from tests.support.selfservice import (
    CAPTCHA,
    account,
    checked,
    error_of,
    flow_of,
    form_action,
    last_code,
    lock,
    other_code,
    outbox,
    request_code,
    shape,
    value_of,
)
from tests.support.signin import audit_events

MOBILE, EMAIL = "13800138000", "zhangsan@example.com"


@pytest.fixture
def later(monkeypatch):
    return Clock(monkeypatch)


async def verify(browser, page, code):
    return await browser.submit(page, "/unlock/verify", code=code)


async def test_unlock_by_sms_clears_the_lock(put, browser):
    await lock(put, put.account.id)
    assert is_locked(await account(put, put.account.id))
    page = await request_code(browser, "/unlock", username="zhangsan", channel="sms", destination=MOBILE)
    assert form_action(page) == "/unlock/verify"
    assert "验证码已发送至138****8000，10分钟内有效" in page.text
    [message] = await outbox(put)
    assert message.channel == "sms" and message.recipient == MOBILE and "用户解锁" in message.body

    done = await verify(browser, page, await last_code(put, MOBILE))
    assert done.status_code == 200 and str(done.url).endswith("/unlock/done")
    assert "账号已解锁" in done.text and 'href="/login"' in done.text
    unlocked = await account(put, put.account.id)
    assert not is_locked(unlocked) and unlocked.failed_logins == 0 and unlocked.failed_window_start is None
    assert unlocked.mobile_verified_at is not None  # the code proved the mobile
    [requested] = await audit_events(put, "unlock.requested")
    [completed] = await audit_events(put, "unlock.completed")
    assert requested.actor == completed.actor == put.account.subject and requested.details["matched"] is True


async def test_unlock_by_email_with_any_login_name_of_the_account(put, browser):
    for login in ("zhangsan", "ZhangSan ", "110000198506120133", MOBILE):
        await lock(put, put.account.id)
        page = await request_code(browser, "/unlock", username=login, channel="email",
                                  destination="ZhangSan@Example.com")
        message = (await outbox(put))[-1]
        assert message.channel == "email" and message.recipient == EMAIL, login  # the registered address
        done = await verify(browser, page, await last_code(put, EMAIL))
        assert "账号已解锁" in done.text, login
        assert not is_locked(await account(put, put.account.id)), login
    assert len(await outbox(put)) == 4
    assert (await account(put, put.account.id)).email_verified_at is not None


async def test_legal_person_unlocks_with_the_username_only(put, browser):
    legal = await put.add_account("qiye01", account_type="legal_person", mobile="13700137000",
                                  credit_code="91110000MA01ABCD1X")
    await lock(put, legal.id)
    # A mobile number is a login name of personal accounts only.
    await request_code(browser, "/unlock", username="13700137000", channel="sms", destination="13700137000")
    assert await outbox(put) == []
    page = await request_code(browser, "/unlock", username="qiye01", channel="sms", destination="13700137000")
    await verify(browser, page, await last_code(put, "13700137000"))
    assert not is_locked(await account(put, legal.id))


PROBES = [
    ("nobody", "sms", "13900139000"),  # no such account
    ("nobody", "sms", MOBILE),  # no such account, a registered mobile
    ("zhangsan", "sms", "13900139000"),  # not the registered mobile
    ("zhangsan", "email", "someone@example.com"),  # not the registered e-mail
    ("13900139000", "sms", "13900139000"),  # a mobile that is no login name
]


async def test_no_message_tells_whether_the_account_or_the_destination_matched(put):
    put.portal.settings.code_sends_per_window = 2 * len(PROBES)  # the cap is tested on its own below
    await lock(put, put.account.id)
    for sent, (username, channel, destination) in enumerate(PROBES, start=1):
        real, probe = Browser(put), Browser(put)
        sent_to = {"sms": MOBILE, "email": EMAIL}[channel]
        matched = await request_code(real, "/unlock", username="zhangsan", channel=channel, destination=sent_to)
        unmatched = await request_code(probe, "/unlock", username=username, channel=channel, destination=destination)
        assert len(await outbox(put)) == sent, "a code only for the match"
        assert unmatched.status_code == matched.status_code == 200
        assert as_read(matched, "zhangsan", channel, sent_to) == as_read(unmatched, username, channel, destination)
        # Wrong codes read the same, and both run out after the same number of tries.
        code = await last_code(put, sent_to)
        for attempt in range(put.settings.one_time_code_max_attempts):
            matched = await verify(real, matched, other_code(code))
            unmatched = await verify(probe, unmatched, other_code(code))
            last = attempt == put.settings.one_time_code_max_attempts - 1
            assert error_of(matched) == error_of(unmatched) == text("code.expired" if last else "code.wrong")
            assert form_action(matched) == form_action(unmatched)
        assert form_action(matched) == "/unlock/send"  # start again
        await real.aclose()
        await probe.aclose()
    assert is_locked(await account(put, put.account.id))
    requested = await audit_events(put, "unlock.requested")
    assert [e.details["matched"] for e in requested] == [True, False] * len(PROBES)


def as_read(page, username, channel, destination) -> str:
    """The page with what this user typed (shown back to them) blanked out."""
    return (shape(page.text).replace(f'name="username" value="{username}"', 'name="username" value="LOGIN"')
            .replace(f'name="destination" value="{destination}"', 'name="destination" value="DEST"')
            .replace(masked(channel, destination), "MASKED"))


async def test_a_disabled_account_gets_no_code(put, browser):
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(Account).where(Account.id == put.account.id).values(disabled_at=clock.now()))
    page = await request_code(browser, "/unlock", username="zhangsan", channel="sms", destination=MOBILE)
    assert form_action(page) == "/unlock/verify" and await outbox(put) == []


BAD_REQUESTS = [
    ({"username": ""}, "contact.login_required"),
    ({"username": "   "}, "contact.login_required"),
    ({"channel": ""}, "contact.channel_required"),
    ({"channel": "fax"}, "contact.channel_required"),
    ({"destination": ""}, "contact.destination_required"),
    ({"destination": "1380013800"}, "mobile.format"),
    ({"destination": "12800138000"}, "mobile.format"),
    ({"channel": "email", "destination": "zhangsan@"}, "email.format"),
    ({"channel": "email", "destination": MOBILE}, "email.format"),
    ({"captcha": ""}, "captcha.required"),
    ({"captcha": "WRONG"}, "captcha.wrong"),
    ({"captcha_id": "no-such-captcha"}, "captcha.expired"),
    ({"captcha_id": "bad\x00id"}, "captcha.expired"),
]


async def test_bad_input_on_the_request_form(put, browser):
    for fields, message_id in BAD_REQUESTS:
        page = await browser.go("/unlock")
        values = {"username": "zhangsan", "channel": "sms", "destination": MOBILE, "captcha": CAPTCHA, **fields}
        again = await browser.submit(page, "/unlock/send", **values)
        assert again.status_code == 200 and error_of(again) == text(message_id), fields
        assert form_action(again) == "/unlock/send"
        assert value_of(again, "username") == values["username"], fields
        assert value_of(again, "destination") == values["destination"], fields
        assert value_of(again, "captcha") == ""  # a new captcha to solve
        assert checked(again, "channel-email") == (values["channel"] == "email"), fields
        assert (await flow_of(put, again)).state == "request"
    assert await outbox(put) == []


async def test_each_captcha_is_good_for_one_try(put, browser):
    page = await browser.go("/unlock")
    wrong = await browser.submit(page, "/unlock/send", username="zhangsan", channel="sms", destination=MOBILE,
                                 captcha="WRONG")
    # The old captcha id with the right answer: already spent.
    stale = await browser.submit(wrong, "/unlock/send", captcha_id=hidden_fields(page.text)["captcha_id"],
                                 username="zhangsan", channel="sms", destination=MOBILE, captcha=CAPTCHA)
    assert error_of(stale) == text("captcha.expired") and await outbox(put) == []


async def test_a_malformed_code_is_refused_without_using_a_try(put, browser):
    page = await request_code(browser, "/unlock", username="zhangsan", channel="sms", destination=MOBILE)
    for code, message_id in [("", "code.required"), ("12345", "code.format"), ("12345a", "code.format"),
                             ("1234567", "code.format")]:
        page = await verify(browser, page, code)
        assert error_of(page) == text(message_id) and form_action(page) == "/unlock/verify", code
        assert value_of(page, "code") == "" and value_of(page, "username") == "zhangsan"
    async with put.portal.reader() as db:
        [row] = (await db.scalars(select(OneTimeCode))).all()
    assert row.attempts == 0


async def test_a_wrong_code_is_counted_and_the_right_one_still_works(put, browser):
    await lock(put, put.account.id)
    page = await request_code(browser, "/unlock", username="zhangsan", channel="sms", destination=MOBILE)
    code = await last_code(put, MOBILE)
    wrong = await verify(browser, page, other_code(code))
    assert error_of(wrong) == text("code.wrong") and form_action(wrong) == "/unlock/verify"
    assert is_locked(await account(put, put.account.id))
    [rejected] = await audit_events(put, "unlock.code_rejected")
    assert rejected.outcome == "failure" and code not in str(rejected.details)
    done = await verify(browser, wrong, code)
    assert "账号已解锁" in done.text


async def test_after_the_last_try_even_the_right_code_is_refused(put, browser):
    await lock(put, put.account.id)
    page = await request_code(browser, "/unlock", username="zhangsan", channel="sms", destination=MOBILE)
    code = await last_code(put, MOBILE)
    for _ in range(put.settings.one_time_code_max_attempts):
        page = await verify(browser, page, other_code(code))
    assert error_of(page) == text("code.expired")
    # Back at 获取验证码, the values kept; the old code cannot be entered any more.
    assert form_action(page) == "/unlock/send" and value_of(page, "username") == "zhangsan"
    assert (await browser.submit(page, "/unlock/verify", code=code)).status_code == 409
    assert is_locked(await account(put, put.account.id))


async def test_an_expired_code_sends_the_user_back_to_request_a_new_one(put, browser):
    await lock(put, put.account.id)
    page = await request_code(browser, "/unlock", username="zhangsan", channel="sms", destination=MOBILE)
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(OneTimeCode).values(expires_at=clock.now() - dt.timedelta(seconds=1)))
    again = await verify(browser, page, await last_code(put, MOBILE))
    assert error_of(again) == text("code.expired") and form_action(again) == "/unlock/send"
    assert is_locked(await account(put, put.account.id))
    # A new code works.
    page = await browser.submit(again, "/unlock/send", username="zhangsan", channel="sms", destination=MOBILE,
                                captcha=CAPTCHA)
    done = await verify(browser, page, await last_code(put, MOBILE))
    assert "账号已解锁" in done.text


async def test_a_used_code_cannot_be_used_again(put, browser):
    first = await request_code(browser, "/unlock", username="zhangsan", channel="sms", destination=MOBILE)
    code = await last_code(put, MOBILE)
    await verify(browser, first, code)
    replay = await verify(browser, first, code)
    assert replay.status_code == 400 and "页面已过期" in replay.text  # the flow has finished
    # Nor in another flow, which has a code of its own.
    second = await request_code(browser, "/unlock", username="zhangsan", channel="sms", destination=MOBILE)
    assert error_of(await verify(browser, second, code)) == text("code.wrong")
    assert len(await audit_events(put, "unlock.completed")) == 1


async def test_the_flow_belongs_to_its_browser_and_needs_its_csrf_token(put, browser):
    page = await request_code(browser, "/unlock", username="zhangsan", channel="sms", destination=MOBILE)
    code = await last_code(put, MOBILE)
    forged = await browser.submit(page, "/unlock/verify", code=code, csrf_token="forged")
    assert forged.status_code == 403
    other = Browser(put)
    stolen = await other.submit(page, "/unlock/verify", code=code)
    assert stolen.status_code == 400 and "页面已过期" in stolen.text
    assert (await other.go(f"/unlock?flow={(await flow_of(put, page)).id}")).status_code == 400
    await other.aclose()
    assert (await flow_of(put, page)).kind == KIND and (await flow_of(put, page)).state == "code"


async def test_an_unknown_flow_is_an_error_page(put, browser):
    await browser.go("/unlock")
    for flow_id in ("unknown", "bad\x00id", "x" * 200):
        response = await browser.client.get("/unlock", params={"flow": flow_id})
        assert response.status_code == 400 and "页面已过期" in response.text
        posted = await browser.client.post("/unlock/send", data={"flow": flow_id, "csrf_token": "x"})
        assert posted.status_code == 400 and "页面已过期" in posted.text


async def test_the_pages_carry_stable_ids_and_one_form_each(put, browser):
    page = await browser.go("/unlock")
    for element in ('id="username"', 'id="channel-sms"', 'id="channel-email"', 'id="destination"',
                    'id="captcha"', 'id="send-code"', 'src="/captcha/', 'id="captcha-refresh"'):
        assert element in page.text
    assert page.headers["cache-control"] == "no-store" and "frame-ancestors 'none'" in page.headers[
        "content-security-policy"]
    code_page = await browser.submit(page, "/unlock/send", username="zhangsan", channel="sms", destination=MOBILE,
                                     captcha=CAPTCHA)
    for element in ('id="code"', 'id="submit"', 'id="resend"'):
        assert element in code_page.text
    assert code_page.text.count("<form") == 1


async def test_parallel_wrong_guesses_use_up_a_request_without_match_like_a_code(put):
    real, probe = Browser(put), Browser(put)
    matched = await request_code(real, "/unlock", username="zhangsan", channel="sms", destination=MOBILE)
    unmatched = await request_code(probe, "/unlock", username="nobody", channel="sms", destination=MOBILE)
    code = await last_code(put, MOBILE)
    guesses = 2 * put.settings.one_time_code_max_attempts
    for browser, page in ((real, matched), (probe, unmatched)):
        await asyncio.gather(*(verify(browser, page, other_code(code)) for _ in range(guesses)))
    # Both are spent: back at 获取验证码, whatever the interleaving.
    assert (await flow_of(put, matched)).state == (await flow_of(put, unmatched)).state == "request"
    await real.aclose()
    await probe.aclose()


async def test_a_request_without_match_expires_like_a_code(put):
    real, probe = Browser(put), Browser(put)
    matched = await request_code(real, "/unlock", username="zhangsan", channel="sms", destination=MOBILE)
    unmatched = await request_code(probe, "/unlock", username="zhangsan", channel="sms", destination="13900139000")
    code = await last_code(put, MOBILE)
    later = clock.now() + dt.timedelta(seconds=put.settings.one_time_code_ttl_seconds + 1)
    with patch.object(clock, "now", lambda: later):
        matched = await verify(real, matched, code)
        unmatched = await verify(probe, unmatched, code)
    assert error_of(matched) == error_of(unmatched) == text("code.expired")
    assert form_action(matched) == form_action(unmatched) == "/unlock/send"
    await real.aclose()
    await probe.aclose()


async def test_at_most_five_codes_then_a_clear_refusal_on_the_same_form(put, browser):
    for _ in range(put.settings.code_sends_per_window):
        page = await request_code(browser, "/unlock", username="zhangsan", channel="sms", destination=MOBILE)
        assert form_action(page) == "/unlock/verify"
    page = await request_code(browser, "/unlock", username="zhangsan", channel="sms", destination=MOBILE)
    assert error_of(page) == text("code.too_many_sends", minutes=10)
    assert form_action(page) == "/unlock/send" and value_of(page, "username") == "zhangsan"
    assert (await flow_of(put, page)).state == "request"
    assert len(await outbox(put)) == 5


async def test_the_limit_reads_the_same_whether_or_not_a_code_went_out(put, browser, later):
    """The count is kept for the destination and the login name typed, sent or not: a refusal
    cannot tell which of them matched an account."""
    for destinations in ([MOBILE] * 3 + [EMAIL] * 3, [MOBILE] * 3 + ["someone@example.com"] * 3,
                         ["13900139000"] * 6):
        pages = []
        for destination in destinations:
            channel = "email" if "@" in destination else "sms"
            pages.append(await request_code(browser, "/unlock", username="zhangsan", channel=channel,
                                            destination=destination))
        assert [error_of(page) for page in pages] == [None] * 5 + [text("code.too_many_sends", minutes=10)]
        later.advance(3600)  # past the per-hour cap per destination as well
    real, probe = Browser(put), Browser(put)
    for _ in range(6):
        matched = await request_code(real, "/unlock", username="zhangsan", channel="sms", destination=MOBILE)
        unmatched = await request_code(probe, "/unlock", username="nobody", channel="sms", destination="13900139000")
    assert error_of(matched) == error_of(unmatched) == text("code.too_many_sends", minutes=10)
    assert as_read(matched, "zhangsan", "sms", MOBILE) == as_read(unmatched, "nobody", "sms", "13900139000")
    await real.aclose()
    await probe.aclose()


async def test_twenty_parallel_requests_send_exactly_five_codes(put, browser):
    pages = [await browser.go("/unlock") for _ in range(20)]
    responses = await asyncio.gather(*(
        browser.submit(page, "/unlock/send", username="zhangsan", channel="sms", destination=MOBILE,
                       captcha=CAPTCHA) for page in pages))
    assert [form_action(r) for r in responses].count("/unlock/verify") == 5
    assert [error_of(r) for r in responses].count(text("code.too_many_sends", minutes=10)) == 15
    assert len(await outbox(put)) == 5
