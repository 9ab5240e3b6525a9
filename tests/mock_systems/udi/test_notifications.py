"""Delivering review results (mock_systems/udi/notifications.py): each message sent once, also
with deliverers running at once; a sender's failure keeps it for a later attempt; the loop
delivers what the review page did not."""
from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import update

from mock_systems.udi.models import Notification
from mock_systems.udi.notifications import deliver_due
from tests.mock_systems.udi.conftest import (
    created_user,
    notifications,
    registration_of,
    review,
    staff_browser,
    submit_details,
)
from tests.support.server_errors import logged_error_expected


class Recorder:
    name = "dev_sink"

    def __init__(self, fail: bool = False):
        self.sent, self.fail = [], fail

    async def send(self, notification: Notification) -> None:
        await asyncio.sleep(0)  # let a parallel deliverer run in between
        if self.fail:
            raise ConnectionError("the gateway is down")
        self.sent.append(notification.id)


async def decided(app) -> Notification:
    """A submission rejected through the review page, its notification not yet delivered."""
    user = await created_user(app)
    await submit_details(user, contact_email="li@example.com")
    registration = await registration_of(app, user.account.id)
    staff = await staff_browser(app)
    assert (await review(staff, registration, "reject", reason="资料不全")).status_code == 303
    async with app.state.system.sessionmaker.begin() as db:  # as if the page's own delivery had not run
        await db.execute(update(Notification).values(delivered_at=None, sent_by=None, attempts=0))
    (notification,) = await notifications(app)
    return notification


async def test_parallel_deliverers_send_each_message_once(udi):
    notification = await decided(udi)
    sender = Recorder()
    counts = await asyncio.gather(*(deliver_due(udi.state.system, sender) for _ in range(4)))
    assert sum(counts) == 1 and sender.sent == [notification.id]
    (after,) = await notifications(udi)
    assert after.delivered_at is not None and after.sent_by == "dev_sink"
    assert await deliver_due(udi.state.system, sender) == 0 and sender.sent == [notification.id]


async def test_a_failed_send_is_tried_again_after_its_lease(udi):
    notification = await decided(udi)
    with logged_error_expected("mock_systems.udi.notifications", ConnectionError):  # the operator's log line
        assert await deliver_due(udi.state.system, Recorder(fail=True)) == 0
    sender = Recorder()
    assert await deliver_due(udi.state.system, sender) == 0  # still claimed by the failed attempt
    async with udi.state.system.sessionmaker.begin() as db:
        await db.execute(update(Notification).values(claimed_until=dt.datetime.now(dt.UTC)
                                                     - dt.timedelta(seconds=1)))
    assert await deliver_due(udi.state.system, sender) == 1 and sender.sent == [notification.id]
    (after,) = await notifications(udi)
    assert after.attempts == 2 and after.channel == "email" and after.recipient == "li@example.com"


async def test_the_page_delivers_at_once(udi):
    user = await created_user(udi)
    await submit_details(user)
    staff = await staff_browser(udi)
    assert (await review(staff, await registration_of(udi, user.account.id), "approve")).status_code == 303
    (notification,) = await notifications(udi)
    assert notification.delivered_at is not None and notification.channel == "sms"
