"""One-time codes: six digits, sent through the sink, single use, limited attempts."""
import asyncio
import datetime as dt
import re

from sqlalchemy import select, update

from idp import clock
from idp.flows.codes import send_code, use_code
from idp.flows.models import OneTimeCode
from idp.notify.models import OutboundMessage
from idp.notify.senders import DevelopmentSink


async def _send(put, purpose="unlock"):
    async with put.portal.sessionmaker.begin() as db:
        code_id = await send_code(db, put.settings, DevelopmentSink(), account_id=put.account.id, purpose=purpose,
                                  channel="sms", destination="13800138000")
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
