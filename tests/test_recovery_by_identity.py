"""忘记密码 by identity data cannot be guessed: wrong answers count against the account like
wrong passwords (the same lock, lifted by 用户解锁), and per source address; an unknown ID
number reads like a wrong answer. The by-code way's send cap is here too (the report: 40
codes in five seconds)."""
import asyncio

import pytest

from idp.accounts.lockout import is_locked, record_failure
from shared.messages import text
from tests.support.authz import Clock
from tests.support.portal import Browser
from tests.support.selfservice import (
    CAPTCHA,
    account,
    error_of,
    form_action,
    last_code,
    outbox,
    request_code,
    shape,
)
from tests.support.signin import audit_events
from tests.test_recovery import WANG, WANG_FORM, identity_step

LOCKED_30 = text("login.locked", minutes=30)
MISMATCH = text("recovery.identity_mismatch")
UNKNOWN_FORM = {**WANG_FORM, "id_number": "51000019880808059X"}  # no account has it


@pytest.fixture
def later(monkeypatch):
    return Clock(monkeypatch)


def wrong_start(n: int) -> dict:
    """The guess the report made: the right name and number, another start of validity."""
    return {**WANG_FORM, "valid_from": f"2012-04-{n + 1:02d}"}


async def test_the_fifth_wrong_answer_locks_the_account_and_unlock_lifts_it(put, browser):
    wang = await put.add_account("wangfang", **WANG)
    for n in range(4):
        assert error_of(await identity_step(browser, **wrong_start(n))) == MISMATCH
    fifth = await identity_step(browser, **wrong_start(4))
    assert error_of(fifth) == LOCKED_30 and form_action(fifth) == "/recovery/identity"
    locked = await account(put, wang.id)
    assert is_locked(locked) and locked.failed_logins == 5
    [event] = await audit_events(put, "account.locked")
    assert event.actor == wang.subject
    # Locked: even the right answer is refused, and is not counted.
    right = await identity_step(browser, **WANG_FORM)
    assert error_of(right) == LOCKED_30 and form_action(right) == "/recovery/identity"
    assert (await account(put, wang.id)).failed_logins == 5
    assert [e.details["reason"] for e in await audit_events(put, "recovery.identity_failed")] == \
        ["wrong_answer"] * 5 + ["locked"]
    # 用户解锁 lifts it as for wrong passwords; then the right answer goes through.
    page = await request_code(browser, "/unlock", username="wangfang", channel="sms", destination=WANG["mobile"])
    done = await browser.submit(page, "/unlock/verify", code=await last_code(put, WANG["mobile"]))
    assert "账号已解锁" in done.text
    assert form_action(await identity_step(browser, **WANG_FORM)) == "/recovery/password"


async def test_wrong_passwords_and_wrong_answers_share_one_count(put, browser):
    wang = await put.add_account("wangfang", **WANG)
    for _ in range(4):
        async with put.portal.sessionmaker.begin() as db:
            await record_failure(db, put.settings, wang.id)
    assert error_of(await identity_step(browser, **wrong_start(0))) == LOCKED_30
    assert is_locked(await account(put, wang.id))


async def test_an_unknown_id_number_reads_like_a_wrong_answer(put):
    await put.add_account("wangfang", **WANG)
    wrong, unknown = Browser(put), Browser(put)
    for n in range(put.settings.lockout_threshold - 1):
        by_wrong = await identity_step(wrong, **wrong_start(n))
        by_unknown = await identity_step(unknown, **{**UNKNOWN_FORM, "valid_from": wrong_start(n)["valid_from"]})
        assert error_of(by_wrong) == error_of(by_unknown) == MISMATCH
        assert shape(by_wrong.text) == shape(by_unknown.text).replace(UNKNOWN_FORM["id_number"],
                                                                      WANG_FORM["id_number"])
    await wrong.aclose()
    await unknown.aclose()


async def test_one_address_gets_ten_wrong_answers_then_waits(put, browser, later):
    await put.add_account("wangfang", **WANG)
    for _ in range(3):  # right answers are not counted
        assert form_action(await identity_step(browser, **WANG_FORM)) == "/recovery/password"
    limit = put.settings.recovery_identity_failures_per_address
    for n in range(limit):
        assert error_of(await identity_step(browser, **{**UNKNOWN_FORM, "valid_from": f"2012-05-{n + 1:02d}"})) \
            == MISMATCH
    refused = await identity_step(browser, **WANG_FORM)
    assert error_of(refused) == text("recovery.identity_too_many", minutes=60)
    assert form_action(refused) == "/recovery/identity"
    assert [e.details["reason"] for e in await audit_events(put, "recovery.identity_failed")][-1] == "address_limit"
    later.advance(put.settings.recovery_identity_address_window_seconds)
    assert form_action(await identity_step(browser, **WANG_FORM)) == "/recovery/password"


async def parallel_answers(browser, forms: list[dict]):
    pages = [await browser.go("/recovery") for _ in forms]
    return await asyncio.gather(*(browser.submit(page, "/recovery/identity", id_type="居民身份证", captcha=CAPTCHA,
                                                 **form) for page, form in zip(pages, forms, strict=True)))


async def test_twenty_parallel_wrong_answers_lock_exactly_at_the_fifth(put, browser):
    put.portal.settings.recovery_identity_failures_per_address = 100  # the account's count alone
    wang = await put.add_account("wangfang", **WANG)
    answers = [error_of(r) for r in await parallel_answers(browser, [wrong_start(n) for n in range(20)])]
    assert answers.count(MISMATCH) == 4 and answers.count(LOCKED_30) == 16
    locked = await account(put, wang.id)
    assert locked.failed_logins == 5 and is_locked(locked)
    assert len(await audit_events(put, "account.locked")) == 1


async def test_twenty_parallel_wrong_answers_from_one_address_count_exactly_ten(put, browser):
    forms = [{**UNKNOWN_FORM, "valid_from": f"2012-05-{n + 1:02d}"} for n in range(20)]
    answers = [error_of(r) for r in await parallel_answers(browser, forms)]
    assert answers.count(MISMATCH) == 10
    assert answers.count(text("recovery.identity_too_many", minutes=60)) == 10


async def test_recovery_by_code_sends_at_most_five_codes(put, browser):
    pages = [await browser.go("/recovery?way=code") for _ in range(8)]
    responses = await asyncio.gather(*(
        browser.submit(page, "/recovery/send", username="zhangsan", channel="sms", destination="13800138000",
                       captcha=CAPTCHA) for page in pages))
    assert [form_action(r) for r in responses].count("/recovery/verify") == 5
    assert [error_of(r) for r in responses].count(text("code.too_many_sends", minutes=10)) == 3
    assert len(await outbox(put)) == 5
