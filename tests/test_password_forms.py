"""Every form that sets a new password refuses common breached passwords and passwords made of
the account's own data (ASVS 5.0 V6.2.4): 法人 and 个人 registration, 修改密码, 忘记密码.
Each refusal is shown on the same form and changes nothing."""
import pytest

from idp.accounts.models import Account
from shared.messages import text
from tests.support.portal import PASSWORD
from tests.support.registration import (
    CREDENTIALS,
    PERSON,
    accounts,
    alert,
    field_error,
    legal_step_one,
    register_person,
)
from tests.support.selfservice import error_of, form_action
from tests.support.space import fresh, signed_in
from tests.test_recovery import WANG, WANG_FORM, identity_step, new_password, password_is

COMMON = ["Password@123", "P@ssw0rd", "Admin@123", "1qaz@WSX"]


def refused(page, message_id: str) -> bool:
    return text(message_id) in page.text


async def test_legal_registration_refuses_common_and_personal_passwords(put, browser):
    page = await legal_step_one(browser)
    assert 'action="/register/legal/user"' in page.text
    cases = [(p, "password.common") for p in COMMON] + [
        ("Shili_qiye@A1", "password.personal"),  # <username>@A1
        ("Lr#13900139001", "password.personal"),  # the legal representative's mobile
        ("Lr#010023ab", "password.personal"),  # the last six of the representative's ID number
    ]
    for password, message_id in cases:
        page = await browser.submit(page, "/register/legal/user", step="confirm",
                                    **{**CREDENTIALS, "password": password, "password_confirm": password})
        assert field_error(page.text, "password") == text(message_id), password
        assert 'action="/register/legal/user"' in page.text
    assert await accounts(put, Account.username == CREDENTIALS["username"]) == []
    done = await browser.submit(page, "/register/legal/user", step="confirm", **CREDENTIALS)
    assert done.status_code == 200 and len(await accounts(put, Account.username == CREDENTIALS["username"])) == 1


async def test_personal_registration_refuses_common_and_personal_passwords(put, browser):
    cases = [(p, "password.common") for p in COMMON] + [
        ("Wangfang@A1", "password.personal"),  # <username>@A1
        ("Wf#13700137001", "password.personal"),  # the mobile typed on the same form
        ("Wf#19920229x", "password.personal"),  # the birth date in the ID number
    ]
    for password, message_id in cases:
        page = await register_person(browser, password=password, password_confirm=password)
        assert field_error(page.text, "password") == text(message_id), (password, alert(page.text))
    assert await accounts(put, Account.username == PERSON["username"]) == []
    await register_person(browser)
    assert len(await accounts(put, Account.username == PERSON["username"])) == 1


async def test_change_password_refuses_common_and_personal_passwords(put):
    me = await signed_in(put, put.account)
    try:
        before = await fresh(put, put.account.id)
        cases = [(p, "password.common") for p in COMMON] + [
            ("Zhangsan@A1", "password.personal"),  # <username>@A1
            ("Zs#13800138000", "password.personal"),  # the account's mobile
            ("Zs#120133ab", "password.personal"),  # the last six of its ID number
        ]
        for password, message_id in cases:
            page = await me.go("/space/settings/password")
            page = await me.submit(page, "/space/settings/password", old_password=PASSWORD, new_password=password,
                                   confirm_password=password)
            assert refused(page, message_id), password
            assert 'action="/space/settings/password"' in page.text
        after = await fresh(put, put.account.id)
        assert after.password_hash == before.password_hash
    finally:
        await me.aclose()


async def test_recovery_refuses_common_and_personal_passwords(put, browser):
    wang = await put.add_account("wangfang", **WANG)
    page = await identity_step(browser, **WANG_FORM)
    cases = [(p, "password.common") for p in COMMON] + [
        ("Wangfang@A1", "password.personal"),  # <username>@A1
        ("Wf#13600136000", "password.personal"),  # the account's mobile
        ("Wf#29024Xab", "password.personal"),  # the ID number's last six (its check character X)
    ]
    for password, message_id in cases:
        page = await new_password(browser, page, password)
        assert error_of(page) == text(message_id), password
        assert form_action(page) == "/recovery/password"
    assert await password_is(put, wang.id, PASSWORD)


@pytest.mark.parametrize("password", ["Kq7#vLm2xR", "Neu#Passwort2026"])
async def test_an_uncommon_password_of_nobody_s_data_still_resets(put, browser, password):
    wang = await put.add_account("wangfang", **WANG)
    page = await identity_step(browser, **WANG_FORM)
    await new_password(browser, page, password)
    assert await password_is(put, wang.id, password)
