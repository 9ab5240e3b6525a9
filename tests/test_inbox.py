"""我的消息 as an inbox (idp/inbox, idp/web/space/messages.py): the unread count in the header of
every signed-in page, opening the page reads the notes it shows (once, also from two tabs at
once), and pages by keyset, newest first."""
from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest
from sqlalchemy import select

from idp import clock
from idp.inbox.models import AccountMessage
from idp.inbox.store import PAGE_SIZE, post_message
from tests.support.space import signed_in

UNREAD = re.compile(r'id="unread-count"[^>]*>(\d+)</span>')
ROW = re.compile(r'<tr class="message( new)?" data-kind="[a-z_]+" data-id="(\d+)"><td class="at">[^<]*</td>'
                 r'<td class="title">([^<]*)</td>')


@pytest.fixture
async def me(put):
    browser = await signed_in(put, put.account)
    yield browser
    await browser.aclose()


async def post(put, account_id: int, *titles: str) -> None:
    async with put.portal.sessionmaker.begin() as db:
        for title in titles:
            post_message(db, account_id, "system_notice", title, f"{title}的内容")


def unread_shown(html: str) -> int | None:
    found = UNREAD.search(html)
    return int(found.group(1)) if found else None


def rows(html: str) -> list[tuple[bool, int, str]]:
    return [(bool(new), int(message_id), title) for new, message_id, title in ROW.findall(html)]


async def read_at(put, account_id: int) -> list[dt.datetime | None]:
    async with put.portal.reader() as db:
        return list((await db.scalars(select(AccountMessage.read_at).where(AccountMessage.account_id == account_id)
                                      .order_by(AccountMessage.id))).all())


async def test_the_header_of_every_signed_in_page_shows_the_unread_count(put, me):
    home = await me.go("/space")
    assert 'id="header-messages" class="header-messages" href="/space/messages"' in home.text
    assert unread_shown(home.text) is None  # nothing unread: no badge
    await post(put, put.account.id, "一", "二")
    for path in ("/space", "/space/bindings", "/space/settings", "/space/settings/devices"):
        assert unread_shown((await me.go(path)).text) == 2, path


async def test_opening_my_messages_reads_the_notes_it_shows_once(put, me):
    await post(put, put.account.id, "一", "二")
    first = await me.go("/space/messages")
    assert [(new, title) for new, _id, title in rows(first.text)] == [(True, "二"), (True, "一")]
    assert unread_shown(first.text) is None  # the header counts after reading
    assert unread_shown((await me.go("/space")).text) is None
    marks = await read_at(put, put.account.id)
    assert all(marks)
    again = await me.go("/space/messages")
    assert [new for new, _id, _title in rows(again.text)] == [False, False]
    assert 'class="state">已读' in again.text
    assert await read_at(put, put.account.id) == marks  # the first reading stays


async def test_another_accounts_notes_are_neither_counted_nor_read(put, me):
    lisi = await put.add_account("lisi", name="李四")
    await post(put, lisi.id, "李四的消息")
    assert unread_shown((await me.go("/space")).text) is None
    assert rows((await me.go("/space/messages")).text) == []
    assert await read_at(put, lisi.id) == [None]


async def test_pages_go_back_in_time_by_keyset(put, me):
    now = clock.now()
    total = PAGE_SIZE + 5
    async with put.portal.sessionmaker.begin() as db:
        for n in range(total):  # n minutes old; two notes share each minute's instant
            db.add(AccountMessage(account_id=put.account.id, kind="system_notice", title=f"第{n}条", body="b",
                                  created_at=now - dt.timedelta(minutes=n // 2)))
    first = await me.go("/space/messages")
    shown = rows(first.text)
    assert len(shown) == PAGE_SIZE and 'id="newest-messages"' not in first.text
    older = re.search(r'id="older-messages" href="/space/messages\?before=(\d+)"', first.text)
    assert older and int(older.group(1)) == shown[-1][1]
    second = await me.go(f"/space/messages?before={older.group(1)}")
    rest = rows(second.text)
    assert len(rest) == 5 and 'id="older-messages"' not in second.text and 'id="newest-messages"' in second.text
    titles = [title for _new, _id, title in shown + rest]
    assert sorted(titles) == sorted(f"第{n}条" for n in range(total))  # each once, none skipped
    # Newest first: by time, then the later id within one instant.
    async with put.portal.reader() as db:
        created = {row.id: (row.created_at, row.id) for row in (await db.scalars(select(AccountMessage))).all()}
    keys = [created[message_id] for _new, message_id, _title in shown + rest]
    assert keys == sorted(keys, reverse=True)
    assert unread_shown(second.text) is None


@pytest.mark.parametrize("before", ["abc", "-1", "99999999999", "0"])
async def test_a_bad_or_foreign_cursor_gives_the_first_page(put, me, before):
    await post(put, put.account.id, "一")
    page = await me.go(f"/space/messages?before={before}")
    assert page.status_code == 200 and [title for _new, _id, title in rows(page.text)] == ["一"]


async def test_another_accounts_cursor_gives_the_first_page(put, me):
    lisi = await put.add_account("lisi", name="李四")
    await post(put, lisi.id, "李四的消息")
    await post(put, put.account.id, "一")
    async with put.portal.reader() as db:
        foreign = await db.scalar(select(AccountMessage.id).where(AccountMessage.account_id == lisi.id))
    page = await me.go(f"/space/messages?before={foreign}")
    assert [title for _new, _id, title in rows(page.text)] == ["一"]


async def test_two_tabs_opening_my_messages_at_once_read_each_note_once(put, me):
    await post(put, put.account.id, "一", "二", "三")
    first, second = await asyncio.gather(me.client.get("/space/messages"), me.client.get("/space/messages"))
    assert first.status_code == second.status_code == 200
    new_in = [{message_id for new, message_id, _title in rows(page.text) if new} for page in (first, second)]
    # Each note is new in exactly one of the two tabs; its reading is recorded once.
    assert new_in[0] | new_in[1] == {message_id for _new, message_id, _title in rows(first.text)}
    assert not new_in[0] & new_in[1]
    assert all(await read_at(put, put.account.id))
    assert unread_shown((await me.go("/space")).text) is None
