"""/dev/messages (mock_systems/udi/dev_messages.py): what the development sender took, as the
contact would read it; absent when the system sends for real (BIZ_UDI_MESSAGE_SINK=smtp)."""
from __future__ import annotations

from tests.mock_systems.udi.conftest import created_user, registration_of, review, staff_browser, submit_details


async def test_the_page_shows_the_sent_result(udi):
    assert "暂无通知" in (await udi.state.browser.get("/dev/messages")).text
    user = await created_user(udi)
    await submit_details(user, contact_email="li@example.com")
    staff = await staff_browser(udi)
    await review(staff, await registration_of(udi, user.account.id), "reject", reason="机构名称与营业执照不一致")
    page = await udi.state.browser.get("/dev/messages")
    assert page.status_code == 200 and 'data-channel="email"' in page.text and "li@example.com" in page.text
    assert "审核不通过" in page.text and "机构名称与营业执照不一致" in page.text


async def test_no_page_when_sending_for_real(udi, monkeypatch):
    monkeypatch.setenv("BIZ_UDI_MESSAGE_SINK", "smtp")
    assert (await udi.state.browser.get("/dev/messages")).status_code == 404
