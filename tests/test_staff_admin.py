"""管理员 at /staff/admin (idp.web.staff.admin over idp.staff.accounts): the list, a new member,
disable and enable, roles, a TOTP reset; an administrator cannot disable itself or give up its
own 管理员 role; every change in the audit log with the administrator as actor."""
from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import func, select

from idp.staff.models import StaffAccount
from idp.staff.roles import ADMIN, AUDITOR, BINDINGS, HELPDESK
from tests.support.signin import audit_events
from tests.support.staff import STAFF_PASSWORD, add_staff, alert, post_password, staff_sign_in

NOTICE = re.compile(r'<p class="notice" role="status"[^>]*>(.*?)</p>', re.S)


@pytest.fixture
async def admin(put):
    secret = await add_staff(put, "guanli", [ADMIN])
    async with put.http() as client:
        await staff_sign_in(client, "guanli", secret=secret)
        yield client


async def csrf_of(client) -> str:
    page = await client.get("/staff/admin")
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


async def staff_id(put, username: str) -> int:
    async with put.portal.reader() as db:
        return await db.scalar(select(StaffAccount.id).where(StaffAccount.username == username))


async def post(client, path: str, **data):
    """A form of the page, followed to the page it leads to."""
    response = await client.post(path, data={"csrf_token": await csrf_of(client), **data})
    if response.status_code == 303:
        response = await client.get(response.headers["location"])
    return response


async def test_an_administrator_creates_a_member_who_enrols_at_first_sign_in(put, admin):
    page = await post(admin, "/staff/admin/create", username="Kefu01", name="客服一", password=STAFF_PASSWORD,
                      role=[HELPDESK, AUDITOR])
    assert "已创建工作人员 kefu01" in NOTICE.search(page.text).group(1)
    row = re.search(r'<tr id="staff-kefu01".*?</tr>', page.text, re.S).group(0)
    assert "客服一" in row and "未绑定动态验证码" in row
    [event] = [e for e in await audit_events(put, "staff.created") if e.details["staff"] == "kefu01"]
    assert event.actor == "staff:guanli" and event.subject == "staff:kefu01"
    assert event.details == {"staff": "kefu01", "roles": [AUDITOR, HELPDESK]}
    async with put.http() as newcomer:
        assert (await post_password(newcomer, "kefu01")).headers["location"] == "/staff/login/totp"
        assert "totp-qr" in (await newcomer.get("/staff/login/totp")).text


@pytest.mark.parametrize("fields, message", [
    ({"username": "ab", "name": "某", "password": STAFF_PASSWORD, "role": [HELPDESK]}, "用户名应为3至32位"),
    ({"username": "guanli", "name": "某", "password": STAFF_PASSWORD, "role": [HELPDESK]}, "该用户名已被使用"),
    ({"username": "kefu02", "name": "", "password": STAFF_PASSWORD, "role": [HELPDESK]}, "请输入姓名"),
    ({"username": "kefu02", "name": "某", "password": "short", "role": [HELPDESK]}, "密码应为8~16个字符"),
    ({"username": "kefu02", "name": "某", "password": "Kefu02@2026x", "role": [HELPDESK]}, "密码不能包含用户名"),
    ({"username": "kefu02", "name": "某", "password": STAFF_PASSWORD}, "请至少选择一个角色"),
    ({"username": "kefu02", "name": "某", "password": STAFF_PASSWORD, "role": ["root"]}, "所选角色不存在"),
])
async def test_bad_input_is_refused_with_its_message_and_creates_nothing(put, admin, fields, message):
    page = await post(admin, "/staff/admin/create", **fields)
    assert page.status_code in (400, 409)
    assert message in alert(page)
    async with put.portal.reader() as db:
        assert await db.scalar(select(func.count()).select_from(StaffAccount)) == 1
    # The form keeps what was typed, except the password.
    if fields["name"]:
        assert f'value="{fields["name"]}"' in page.text


async def test_two_administrators_creating_one_username_at_once_create_one(put, admin):
    token = await csrf_of(admin)
    data = {"csrf_token": token, "username": "kefu03", "name": "客服三", "password": STAFF_PASSWORD,
            "role": HELPDESK}
    answers = await asyncio.gather(*(admin.post("/staff/admin/create", data=data) for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [303, 409]
    assert [e.details["staff"] for e in await audit_events(put, "staff.created")] == ["guanli", "kefu03"]


async def test_disable_ends_the_members_sessions_and_sign_in_until_enabled(put, admin):
    secret = await add_staff(put, "kefu04", [HELPDESK])
    async with put.http() as member:
        await staff_sign_in(member, "kefu04", secret=secret)
        target = await staff_id(put, "kefu04")
        page = await post(admin, f"/staff/admin/{target}/disable")
        assert "已停用工作人员 kefu04" in page.text
        assert (await member.get("/staff")).headers["location"] == "/staff/login"
        assert alert(await post_password(member, "kefu04")) == "输入的用户名或密码错误"
        again = await post(admin, f"/staff/admin/{target}/disable")
        assert again.status_code == 409 and alert(again) == "该工作人员已停用"
        assert "已启用工作人员 kefu04" in (await post(admin, f"/staff/admin/{target}/enable")).text
        await staff_sign_in(member, "kefu04", secret=secret)
    assert [e.details["staff"] for e in await audit_events(put, "staff.disabled")] == ["kefu04"]
    assert [e.actor for e in await audit_events(put, "staff.enabled")] == ["staff:guanli"]


async def test_an_administrator_cannot_disable_itself_or_drop_its_own_admin_role(put, admin):
    me = await staff_id(put, "guanli")
    refused = await post(admin, f"/staff/admin/{me}/disable")
    assert refused.status_code == 409 and alert(refused) == "不能停用自己的账号"
    refused = await post(admin, f"/staff/admin/{me}/roles", role=[AUDITOR])
    assert refused.status_code == 409 and alert(refused) == "不能取消自己的管理员角色"
    assert (await admin.get("/staff/admin")).status_code == 200  # still an administrator
    # Adding a role to itself is fine.
    assert "已更新工作人员 guanli 的角色" in (await post(admin, f"/staff/admin/{me}/roles", role=[ADMIN, AUDITOR])).text


async def test_changing_roles_changes_what_the_member_may_open(put, admin):
    secret = await add_staff(put, "kefu05", [HELPDESK])
    target = await staff_id(put, "kefu05")
    async with put.http() as member:
        await staff_sign_in(member, "kefu05", secret=secret)
        assert (await member.get("/staff/admin")).status_code == 403
        await post(admin, f"/staff/admin/{target}/roles", role=[ADMIN, BINDINGS])
        assert (await member.get("/staff/admin")).status_code == 200
    changes = [(e.event, e.details["role"]) for e in await audit_events(put, "staff.role_granted")
               + await audit_events(put, "staff.role_revoked")]
    assert sorted(changes) == [("staff.role_granted", ADMIN), ("staff.role_granted", BINDINGS),
                               ("staff.role_revoked", HELPDESK)]


async def test_a_totp_reset_makes_the_member_enrol_again(put, admin):
    secret = await add_staff(put, "kefu06", [HELPDESK])
    async with put.http() as member:
        await staff_sign_in(member, "kefu06", secret=secret)
        page = await post(admin, f"/staff/admin/{await staff_id(put, 'kefu06')}/reset-totp")
        assert "已重置工作人员 kefu06 的动态验证码" in page.text
        assert (await member.get("/staff")).status_code == 303  # its sessions ended
        await post_password(member, "kefu06")
        enrol = await member.get("/staff/login/totp")
        assert "totp-qr" in enrol.text and secret not in enrol.text
    assert [e.actor for e in await audit_events(put, "staff.totp_reset")] == ["staff:guanli"]


async def test_an_unknown_member_is_404(put, admin):
    assert (await post(admin, "/staff/admin/999999/disable")).status_code == 404
