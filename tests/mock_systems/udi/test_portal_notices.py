"""The review result in the portal user's 我的消息 (mock_systems/udi/notifications.py): besides the
SMS or e-mail to the contact, a decision on an account linked to a portal user owes the portal a
notice (POST PORTAL_NOTICES with the system's client credentials), delivered at once by the
review page and otherwise by the loop; a portal that no longer knows the user (404) settles it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from mock_systems.udi.models import PortalNotice
from mock_systems.udi.notifications import deliver_portal_notices
from tests.mock_systems.udi.conftest import created_user, registration_of, review, staff_browser, submit_details


async def portal_notices(app) -> list[PortalNotice]:
    async with app.state.system.sessionmaker() as db:
        return list((await db.scalars(select(PortalNotice).order_by(PortalNotice.id))).all())


async def decide(app, decision: str, **fields):
    user = await created_user(app)
    await submit_details(user)
    staff = await staff_browser(app)
    assert (await review(staff, await registration_of(app, user.account.id), decision, **fields)).status_code == 303
    return user


async def test_an_approval_is_posted_to_the_bound_user_with_the_client_credentials(udi):
    fake = udi.state.fake
    user = await decide(udi, "approve")
    (call,) = fake.calls_to("notices")
    assert call.basic == (fake.client_id, fake.client_secret)
    assert call.json["sub"] == user.sub and call.json["title"] == "注册用户信息审核结果：审核通过"
    assert "示例医疗器械有限公司" in call.json["body"] and "已审核通过" in call.json["body"]
    (notice,) = await portal_notices(udi)
    assert notice.delivered_at is not None and notice.attempts == 1


async def test_a_rejection_carries_the_reason(udi):
    await decide(udi, "reject", reason="统一社会信用代码与营业执照不一致")
    (call,) = udi.state.fake.calls_to("notices")
    assert call.json["title"] == "注册用户信息审核结果：审核不通过"
    assert "统一社会信用代码与营业执照不一致" in call.json["body"]


async def test_a_portal_that_fails_gets_it_again_after_the_lease(udi):
    fake = udi.state.fake
    fake.answer_status["notice"] = 503
    await decide(udi, "approve")
    (notice,) = await portal_notices(udi)
    assert notice.delivered_at is None and notice.last_error == "HTTP 503"
    del fake.answer_status["notice"]
    assert await deliver_portal_notices(udi.state.system) == 0  # still leased by the failed attempt
    async with udi.state.system.sessionmaker.begin() as db:
        await db.execute(update(PortalNotice).values(claimed_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    assert await deliver_portal_notices(udi.state.system) == 1
    assert len(fake.calls_to("notices")) == 2
    (notice,) = await portal_notices(udi)
    assert notice.delivered_at is not None and notice.attempts == 2


async def test_a_user_no_longer_bound_settles_it_without_retrying(udi):
    udi.state.fake.answer_status["notice"] = 404
    await decide(udi, "approve")
    (notice,) = await portal_notices(udi)
    assert notice.delivered_at is not None and notice.last_error == "HTTP 404"
    assert await deliver_portal_notices(udi.state.system) == 0
