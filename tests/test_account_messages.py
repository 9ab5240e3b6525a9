"""Every change of the password, the mobile or the e-mail is announced (ASVS V7.5.1): to the
contacts the account had before it, through the message sender, and as a note in 我的消息, which
lists the account's own notes newest first and nobody else's."""
from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from sqlalchemy import select

from idp import clock
from idp.inbox.models import AccountMessage
from idp.notify import outbox as message_outbox
from idp.notify.senders import DevelopmentSink
from tests.support.authz import Clock
from tests.support.portal import PASSWORD, Browser
from tests.support.space import code_sent_to, messages_to, signed_in

OLD_MOBILE, OLD_EMAIL = "13800138000", "zhangsan@example.com"
NEW_MOBILE, NEW_EMAIL = "13700000000", "zhang.san@mail.example.cn"
NEW_PASSWORD = "New#2026pass"
ROW = re.compile(r'<tr class="message(?: new)?" data-kind="([a-z_]+)" data-id="\d+"><td class="at">([^<]*)</td>'
                 r'<td class="title">([^<]*)</td><td class="body">([^<]*)</td>')


@pytest.fixture
async def me(put):
    browser = await signed_in(put, put.account)
    yield browser
    await browser.aclose()


async def change_contact(browser: Browser, put, key: str, value: str) -> None:
    page = await browser.go(f"/space/settings/{key}")
    page = await browser.submit(page, f"/space/settings/{key}", **{key: value}, current_password=PASSWORD)
    response = await browser.submit(page, f"/space/settings/{key}/confirm", code=await code_sent_to(put, value))
    assert str(response.url).endswith(f"?done={key}"), response.text[:300]


async def change_password(browser: Browser, old: str, new: str):
    page = await browser.go("/space/settings/password")
    return await browser.submit(page, "/space/settings/password", old_password=old, new_password=new,
                                confirm_password=new)


def listed(html: str) -> list[tuple[str, str, str, str]]:
    return [tuple(unescape(part) for part in row) for row in ROW.findall(html)]


async def notes(put, account_id: int) -> list[AccountMessage]:
    async with put.portal.sessionmaker() as db:
        return list((await db.scalars(select(AccountMessage).where(AccountMessage.account_id == account_id)
                                      .order_by(AccountMessage.id))).all())


async def test_an_email_change_is_announced_to_the_old_address_and_mobile(put, me):
    before = clock.now()
    await change_contact(me, put, "email", NEW_EMAIL)
    [mail] = await messages_to(put, OLD_EMAIL)
    [sms] = await messages_to(put, OLD_MOBILE)
    assert (mail.channel, sms.channel) == ("email", "sms")
    assert mail.subject == "政务服务门户电子邮箱修改提醒"
    for sent in (mail, sms):
        assert "zhangsan" in sent.body and "电子邮箱已于" in sent.body and "忘记密码" in sent.body
        assert "zh*******@mail.example.cn" in sent.body and NEW_EMAIL not in sent.body
        # When, in Beijing time: the minute of the change.
        assert clock.beijing_text(before) in sent.body or clock.beijing_text(clock.now()) in sent.body
    # The new address got its code and nothing else.
    assert [m.subject for m in await messages_to(put, NEW_EMAIL)] == ["政务服务门户修改电子邮箱验证码"]
    [note] = await notes(put, put.account.id)
    assert (note.kind, note.title, note.body, note.read_at) == ("email_changed", "电子邮箱修改提醒", mail.body, None)


async def test_a_mobile_change_is_announced_to_the_old_number(put, me):
    await change_contact(me, put, "mobile", NEW_MOBILE)
    [sms] = await messages_to(put, OLD_MOBILE)
    assert "手机号已于" in sms.body and "137****0000" in sms.body
    assert len(await messages_to(put, OLD_EMAIL)) == 1
    # The new number got its code and nothing else.
    assert [m.subject for m in await messages_to(put, NEW_MOBILE)] == ["政务服务门户修改手机号验证码"]
    assert [n.kind for n in await notes(put, put.account.id)] == ["mobile_changed"]


async def test_a_password_change_is_announced_without_the_password(put, me):
    await change_password(me, PASSWORD, NEW_PASSWORD)
    [mail] = await messages_to(put, OLD_EMAIL)
    [sms] = await messages_to(put, OLD_MOBILE)
    for sent in (mail, sms):
        assert "登录密码已于" in sent.body and NEW_PASSWORD not in sent.body and PASSWORD not in sent.body
    [note] = await notes(put, put.account.id)
    assert note.kind == "password_changed" and NEW_PASSWORD not in note.body


async def test_a_refused_change_is_not_announced(put, me):
    response = await change_password(me, "Wrong#2026pass", NEW_PASSWORD)
    assert response.status_code == 200
    page = await me.go("/space/settings/email")
    await me.submit(page, "/space/settings/email", email=NEW_EMAIL, current_password="Wrong#2026pass")
    assert await messages_to(put, OLD_EMAIL) == [] and await messages_to(put, OLD_MOBILE) == []
    assert await notes(put, put.account.id) == []


async def test_a_sender_failure_leaves_the_change_and_its_note_and_the_notice_is_retried(
        put, me, monkeypatch, caplog):
    """The notice goes out through the outbox after the change committed: a mail server that is
    down does not undo a proven change (the note in 我的消息 is there), the log names no address,
    and the background loop sends the notice once the server is back."""
    class Down:
        async def send(self, *_args, **_kwargs):
            raise ConnectionRefusedError("smtp down for zhangsan@example.com")

    page = await me.go("/space/settings/email")
    page = await me.submit(page, "/space/settings/email", email=NEW_EMAIL, current_password=PASSWORD)
    code = await code_sent_to(put, NEW_EMAIL)
    monkeypatch.setattr(message_outbox, "make_sender", lambda *_: Down())
    response = await me.submit(page, "/space/settings/email/confirm", code=code)
    assert str(response.url).endswith("?done=email")
    assert [n.kind for n in await notes(put, put.account.id)] == ["email_changed"]
    assert await messages_to(put, OLD_EMAIL) == []
    assert "ConnectionRefusedError" in caplog.text and OLD_EMAIL not in caplog.text

    monkeypatch.setattr(message_outbox, "make_sender", lambda *_: DevelopmentSink())
    Clock(monkeypatch).advance(seconds=60)
    await message_outbox.deliver_due(put.portal)
    [notice] = await messages_to(put, OLD_EMAIL)
    assert "电子邮箱已于" in notice.body


async def test_my_messages_lists_the_notes_newest_first(put, me):
    empty = await me.go("/space/messages")
    assert empty.status_code == 200 and 'id="no-messages"' in empty.text
    assert 'id="menu-messages" href="/space/messages" aria-current="page"' in empty.text
    await change_contact(me, put, "mobile", NEW_MOBILE)
    await change_contact(me, put, "email", NEW_EMAIL)
    page = await me.go("/space/messages")
    rows = listed(page.text)
    assert [(kind, title) for kind, _at, title, _body in rows] == [("email_changed", "电子邮箱修改提醒"),
                                                                   ("mobile_changed", "手机号修改提醒")]
    mail = (await messages_to(put, OLD_EMAIL))[-1]  # the mobile change was announced there first
    assert rows[0][3] == mail.body
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", rows[0][1])


async def test_older_notes_come_after_newer_ones_whatever_their_ids(put, me):
    """Ordered by time: a note posted with an earlier time (e.g. imported) sorts below."""
    async with put.portal.sessionmaker.begin() as db:
        db.add(AccountMessage(account_id=put.account.id, kind="password_changed", title="新", body="b",
                              created_at=clock.now() - dt.timedelta(days=1)))
        db.add(AccountMessage(account_id=put.account.id, kind="password_changed", title="旧", body="a",
                              created_at=clock.now() - dt.timedelta(days=2)))
        db.add(AccountMessage(account_id=put.account.id, kind="password_changed", title="最新", body="c",
                              created_at=clock.now()))
    assert [row[2] for row in listed((await me.go("/space/messages")).text)] == ["最新", "新", "旧"]


async def test_another_account_does_not_see_the_notes(put, me):
    await change_password(me, PASSWORD, NEW_PASSWORD)
    lisi = await put.add_account("lisi", name="李四")
    other = await signed_in(put, lisi)
    try:
        page = await other.go("/space/messages")
        assert listed(page.text) == [] and 'id="no-messages"' in page.text
    finally:
        await other.aclose()
    assert len(listed((await me.go("/space/messages")).text)) == 1


async def test_my_messages_needs_a_login(put):
    async with put.http() as http:
        response = await http.get("/space/messages")
    assert response.status_code == 303 and response.headers["location"] == "/login"
