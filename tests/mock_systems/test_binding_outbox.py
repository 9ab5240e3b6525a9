"""The outbox of calls the business system owes the portal (docs/binding-protocol.md): a binding
committed while the portal cannot be reached is confirmed later, with back-off, exactly once, by
whichever deliverer claims the call; and a confirm the portal answers 409 undoes the link."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select, update

from mock_systems.common.binding_outbox import deliver_due, enqueue
from mock_systems.common.db import utcnow
from mock_systems.common.models import OutboxMessage, PortalLink
from mock_systems.drug import PROFILE as DRUG
from tests.support.fake_portal import FakePortal, browser_for, open_binding, system_with_fake_portal

LATER = dt.timedelta(hours=1)


@pytest.fixture
async def drug(databases):
    fake = FakePortal(DRUG.client_id)
    async with system_with_fake_portal(DRUG, fake, await databases.empty()) as app:
        app.state.fake = fake
        yield app


async def start(app, binding_id: str):
    async with browser_for(app, app.state.system.settings.base_url) as browser:
        return await open_binding(app, binding_id, browser)


async def outbox(app) -> list[OutboxMessage]:
    async with app.state.system.sessionmaker() as db:
        return list((await db.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def test_a_confirm_waits_while_the_portal_is_down_and_is_delivered_once_it_is_up(drug):
    fake, system = drug.state.fake, drug.state.system
    binding_id = fake.intent("create", sub="patient")
    fake.calls_down = True
    response = await start(drug, binding_id)
    assert response.status_code == 303  # linked here; the portal hears of it later
    (message,) = await outbox(drug)
    assert message.delivered_at is None and message.attempts == 1 and message.last_error
    first_wait = message.next_attempt_at - utcnow()
    assert first_wait > dt.timedelta(0)
    assert await deliver_due(system) == 0  # not due yet: back-off
    assert await deliver_due(system, now=utcnow() + LATER) == 0  # due, still down
    (message,) = await outbox(drug)
    assert message.attempts == 2 and message.next_attempt_at - (utcnow() + LATER) > first_wait  # doubled
    assert fake.calls_to("confirm") == []

    fake.calls_down = False
    assert await deliver_due(system, now=utcnow() + 2 * LATER) == 1
    assert await deliver_due(system, now=utcnow() + 3 * LATER) == 0  # acknowledged: never again
    (confirm,) = fake.calls_to("confirm", binding_id)
    assert confirm.json["kind"] == "created" and confirm.basic == ("drug", fake.client_secret)
    (message,) = await outbox(drug)
    assert message.delivered_at is not None


async def test_parallel_deliverers_send_a_call_once(drug):
    fake, system = drug.state.fake, drug.state.system
    fake.calls_down = True
    binding_id = fake.intent("create")
    assert (await start(drug, binding_id)).status_code == 303
    fake.calls_down = False
    later = utcnow() + LATER
    results = await asyncio.gather(*(deliver_due(system, now=later) for _ in range(5)))
    assert sum(results) == 1 and len(fake.calls_to("confirm", binding_id)) == 1


async def test_the_background_loop_delivers_when_the_portal_comes_back(databases):
    fake = FakePortal(DRUG.client_id)
    async with system_with_fake_portal(DRUG, fake, await databases.empty(), outbox_poll_seconds=0.05,
                                       outbox_backoff_seconds=0.05, outbox_backoff_max_seconds=0.1) as app:
        fake.calls_down = True
        binding_id = fake.intent("create")
        assert (await start(app, binding_id)).status_code == 303
        await asyncio.sleep(0.3)  # the loop tries, and fails, meanwhile
        assert fake.calls_to("confirm") == []
        fake.calls_down = False
        for _ in range(100):
            if fake.calls_to("confirm"):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # more rounds of the loop send nothing more
    assert len(fake.calls_to("confirm", binding_id)) == 1


async def test_a_confirm_the_portal_answers_409_removes_the_link(drug):
    """The portal failed the binding before our confirm arrived: the link it made goes."""
    fake = drug.state.fake
    fake.answer_status["confirm"] = 409
    binding_id = fake.intent("create", sub="too-late")
    await start(drug, binding_id)
    async with drug.state.system.sessionmaker() as db:
        assert (await db.scalars(select(PortalLink))).all() == []
    (message,) = await outbox(drug)
    assert message.delivered_at is not None and message.last_error == "HTTP 409"


async def test_a_system_restarted_before_its_confirm_got_through_delivers_it_after_the_restart(databases):
    """Nothing about the call is in memory: a new instance on the same database sends it."""
    fake, database_url = FakePortal(DRUG.client_id), await databases.empty()
    binding_id = fake.intent("create", sub="across-restart")
    async with system_with_fake_portal(DRUG, fake, database_url) as first:
        fake.calls_down = True
        assert (await start(first, binding_id)).status_code == 303
    fake.calls_down = False
    async with system_with_fake_portal(DRUG, fake, database_url, outbox_poll_seconds=0.05,
                                       outbox_backoff_seconds=0.05) as second:
        async with second.state.system.sessionmaker.begin() as db:  # its back-off is over
            await db.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
        for _ in range(100):
            if fake.calls_to("confirm"):
                break
            await asyncio.sleep(0.05)
    assert len(fake.calls_to("confirm", binding_id)) == 1


async def test_an_ended_call_the_portal_answers_409_is_not_retried(drug):
    """The portal holds the binding in a state that contradicts the call: retrying cannot help."""
    fake, system = drug.state.fake, drug.state.system
    binding_id = fake.intent("create")
    assert (await start(drug, binding_id)).status_code == 303
    fake.answer_status["ended"] = 409
    async with system.sessionmaker.begin() as db:
        await enqueue(db, system.settings.issuer, binding_id, "ended", {"reason": "unbound_in_system"})
    assert await deliver_due(system) == 0
    assert await deliver_due(system, now=utcnow() + LATER) == 0
    assert len(fake.calls_to("ended", binding_id)) == 1
    ended = [m for m in await outbox(drug) if m.action == "ended"][0]
    assert ended.delivered_at is not None and ended.last_error == "HTTP 409"


async def test_a_call_the_portal_answers_503_is_retried(drug):
    fake, system = drug.state.fake, drug.state.system
    fake.answer_status["confirm"] = 503
    binding_id = fake.intent("create")
    assert (await start(drug, binding_id)).status_code == 303
    del fake.answer_status["confirm"]
    assert await deliver_due(system, now=utcnow() + LATER) == 1
    assert len(fake.calls_to("confirm", binding_id)) == 2
    async with system.sessionmaker() as db:
        assert len((await db.scalars(select(PortalLink))).all()) == 1
