"""Deactivating a duplicate 二级 account on request (idp/casework/duplicates.py, seed 004 三/四):
only a 二级 personal account whose ID number another real-name account holds; its sessions end,
its ID number and mobile are freed, the action is audited; two staff at once: one does it."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, update

from idp.accounts.models import Account, with_indexes
from idp.audit.models import AuditEvent
from idp.casework.duplicates import deactivate_duplicate_account
from idp.errors import DomainError
from tests.support.agents import add_enterprise, citizen_id
from tests.support.space import fresh, signed_in

ORIGINAL_ID = "110000198506120133"  # zhangsan's, the original real-name account (put.account)


async def duplicate_of(put, username: str = "zhangsan2", level: int = 2) -> Account:
    """A newer account of the same person: registered before ID numbers were unique (imported data)."""
    account = await put.add_account(username, id_type="居民身份证", id_number=citizen_id(77), realname_level=level)
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(Account).where(Account.id == account.id)
                         .values(with_indexes({"id_number": ORIGINAL_ID})))
    return await fresh(put, account.id)


async def test_a_duplicate_is_deactivated_its_sessions_end_and_its_mobile_is_freed(put):
    duplicate = await duplicate_of(put)
    browser = await signed_in(put, duplicate)
    assert (await browser.go("/space")).status_code == 200
    await deactivate_duplicate_account(put.portal, duplicate.id, staff="bangding01", request="ZX20261204000001")
    after = await fresh(put, duplicate.id)
    assert after.disabled_at is not None and after.personal_mobile is None and after.personal_id_number is None
    assert after.mobile == duplicate.mobile  # kept for the record
    response = await browser.client.get("/space")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    async with put.portal.reader() as db:
        (event,) = (await db.scalars(select(AuditEvent).where(AuditEvent.event == "account.deactivated"))).all()
    assert event.actor == "staff:bangding01"
    assert event.details["request"] == "ZX20261204000001" and event.details["original"] == put.account.subject
    assert (await fresh(put, put.account.id)).disabled_at is None  # the original stays
    await browser.aclose()


@pytest.mark.parametrize("case", ["three", "original_gone", "no_twin", "enterprise"])
async def test_anything_but_a_duplicate_two_level_account_is_refused(put, case):
    if case == "three":
        target = await duplicate_of(put, level=3)
        expected = "bindings_admin.not_level_two"
    elif case == "original_gone":
        target = await duplicate_of(put)
        async with put.portal.sessionmaker.begin() as db:
            await db.execute(update(Account).where(Account.id == put.account.id).values(disabled_at=target.created_at))
        expected = "bindings_admin.no_duplicate"
    elif case == "no_twin":
        target = await put.add_account("lisi", id_type="居民身份证", id_number=citizen_id(78), realname_level=2)
        expected = "bindings_admin.no_duplicate"
    else:
        target = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
        expected = "bindings_admin.not_level_two"
    with pytest.raises(DomainError) as refused:
        await deactivate_duplicate_account(put.portal, target.id, staff="bangding01")
    assert refused.value.message_id == expected
    assert (await fresh(put, target.id)).disabled_at is None


async def test_an_unknown_or_deactivated_account_is_refused(put):
    with pytest.raises(DomainError) as unknown:
        await deactivate_duplicate_account(put.portal, 999999, staff="bangding01")
    assert unknown.value.message_id == "bindings_admin.account_not_found"
    duplicate = await duplicate_of(put)
    await deactivate_duplicate_account(put.portal, duplicate.id, staff="bangding01")
    with pytest.raises(DomainError) as again:
        await deactivate_duplicate_account(put.portal, duplicate.id, staff="bangding01")
    assert again.value.message_id == "bindings_admin.already_deactivated"


async def test_two_staff_at_once_one_deactivates_the_other_is_told(put):
    duplicate = await duplicate_of(put)
    results = await asyncio.gather(
        *(deactivate_duplicate_account(put.portal, duplicate.id, staff=name) for name in ("a01", "b02")),
        return_exceptions=True)
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1 and refused[0].message_id == "bindings_admin.already_deactivated"
    async with put.portal.reader() as db:
        events = (await db.scalars(select(AuditEvent).where(AuditEvent.event == "account.deactivated"))).all()
    assert len(events) == 1
