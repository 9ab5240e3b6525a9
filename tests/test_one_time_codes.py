"""One-time codes: six digits, sent through the sink, single use, limited attempts."""
import asyncio
import datetime as dt
import re

import pytest
from sqlalchemy import select, update

from idp import clock
from idp.codes.models import OneTimeCode
from idp.codes.store import send_code, use_code
from idp.errors import DomainError
from idp.notify.models import OutboundMessage
from idp.notify.outbox import deliver_now
from shared.messages import text
from tests.support.authz import Clock


@pytest.fixture
def later(monkeypatch):
    return Clock(monkeypatch)


async def _send(put, purpose="unlock"):
    async with put.portal.sessionmaker.begin() as db:
        code_id = await send_code(db, put.settings, account_id=put.account.id, purpose=purpose,
                                  channel="sms", destination="13800138000")
    await deliver_now(put.portal, code_id)
    async with put.portal.reader() as db:
        message = (await db.scalars(select(OutboundMessage).order_by(OutboundMessage.id.desc()))).first()
    return code_id, re.search(r"验证码为(\d{6})", message.body).group(1)


async def _use(put, code_id, code, purpose="unlock"):
    async with put.portal.sessionmaker.begin() as db:
        return await use_code(db, put.settings, code_id=code_id, account_id=put.account.id, purpose=purpose,
                              submitted=code)


async def test_code_is_six_digits_sent_by_sms_and_stored_only_as_a_digest(put):
    code_id, code = await _send(put)
    async with put.portal.reader() as db:
        row = await db.get(OneTimeCode, code_id)
    assert len(code) == 6 and code not in row.code_digest and len(row.code_digest) == 64
    assert (row.expires_at - row.created_at) == dt.timedelta(minutes=10)


async def test_right_code_works_once(put):
    code_id, code = await _send(put)
    assert await _use(put, code_id, code)
    assert not await _use(put, code_id, code)


async def test_code_for_another_purpose_is_refused(put):
    code_id, code = await _send(put, purpose="unlock")
    assert not await _use(put, code_id, code, purpose="recovery")


async def test_expired_code_is_refused(put):
    code_id, code = await _send(put)
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(OneTimeCode).where(OneTimeCode.id == code_id)
                         .values(expires_at=clock.now() - dt.timedelta(seconds=1)))
    assert not await _use(put, code_id, code)


async def test_five_wrong_attempts_void_the_code(put):
    code_id, code = await _send(put)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert not await _use(put, code_id, wrong)
    assert not await _use(put, code_id, code)


async def test_parallel_uses_of_one_code_succeed_exactly_once(put):
    code_id, code = await _send(put)
    results = await asyncio.gather(*(_use(put, code_id, code) for _ in range(20)))
    assert results.count(True) == 1


async def _try_send(put, destination="13800138000", account_id=None, channel="sms"):
    """One send; the refusal's message id (nothing sent) or None."""
    try:
        async with put.portal.sessionmaker.begin() as db:
            code_id = await send_code(db, put.settings, account_id=account_id or put.account.id,
                                      purpose="recovery", channel=channel, destination=destination)
    except DomainError as refusal:
        return refusal
    await deliver_now(put.portal, code_id)
    return None


async def _sent(put) -> int:
    async with put.portal.reader() as db:
        return len((await db.scalars(select(OutboundMessage))).all())


async def test_at_most_five_codes_to_one_destination_in_ten_minutes(put, later):
    other = await put.add_account("lisi", mobile="13900139000")
    for n in range(5):
        assert await _try_send(put, account_id=put.account.id if n % 2 else other.id) is None
    refusal = await _try_send(put)
    assert refusal.message_id == "code.too_many_sends" and refusal.text() == text("code.too_many_sends", minutes=10)
    assert await _sent(put) == 5
    later.advance(5 * 60)
    assert (await _try_send(put)).text() == text("code.too_many_sends", minutes=5)
    later.advance(5 * 60)
    assert await _try_send(put) is None and await _sent(put) == 6


async def test_at_most_five_codes_for_one_account_in_ten_minutes(put):
    for n in range(5):
        assert await _try_send(put, destination=f"1370000000{n}") is None
    assert (await _try_send(put, destination="zhangsan@example.com", channel="email")).message_id == \
        "code.too_many_sends"
    assert await _sent(put) == 5
    # A refusal by the account's count took nothing from the destination's.
    lisi = await put.add_account("lisi", mobile="13900139000", email="zhangsan@example.com")
    assert await _try_send(put, destination="zhangsan@example.com", channel="email", account_id=lisi.id) is None


async def test_the_limits_are_settings(put):
    put.portal.settings.code_sends_per_window = 2
    assert [await _try_send(put) for _ in range(3)][:2] == [None, None]
    assert await _sent(put) == 2


async def test_twenty_parallel_sends_send_exactly_five(put):
    results = await asyncio.gather(*(_try_send(put) for _ in range(20)))
    assert results.count(None) == 5
    assert {r.message_id for r in results if r is not None} == {"code.too_many_sends"}
    assert await _sent(put) == 5
    async with put.portal.reader() as db:
        assert len((await db.scalars(select(OneTimeCode))).all()) == 5


async def test_at_most_ten_codes_to_one_destination_in_an_hour(put, later):
    """The per-hour cap holds whatever the captcha says: the ten-minute budget refills, it does not."""
    for _ in range(2):
        for _ in range(5):
            assert await _try_send(put) is None
        later.advance(10 * 60)
    refusal = await _try_send(put)
    assert refusal.message_id == "code.too_many_sends" and refusal.text() == text("code.too_many_sends", minutes=40)
    assert await _sent(put) == 10
    later.advance(40 * 60)
    assert await _try_send(put) is None and await _sent(put) == 11
