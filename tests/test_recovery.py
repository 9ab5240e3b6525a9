"""忘记密码 (docs/behaviours.md, Recovery and unlock): 1 信息验证 by identity data or by a code
(原找回密码方式), 2 设置新密码, 3 完成. A reset ends every session of the account, one code sets one password, and the
by-code way never tells whether an account exists."""
import asyncio
import datetime as dt
from html import unescape

from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select, update

from idp import clock
from idp.accounts.lockout import is_locked, record_failure
from idp.accounts.models import Account
from idp.audit.models import AuditEvent
from idp.codes.models import OneTimeCode
from idp.flows.contact_code import masked
from idp.inbox.models import AccountMessage
from idp.oidc.models import LogoutDelivery
from shared.messages import text
from tests.support.portal import PASSWORD, Browser, hidden_fields
from tests.support.selfservice import (
    CAPTCHA,
    account,
    error_of,
    flow_of,
    form_action,
    last_code,
    lock,
    other_code,
    outbox,
    request_code,
    shape,
    signed_in,
    value_of,
)
from tests.support.signin import audit_events, received_tokens, settle_backchannel, silent_authorize
from tests.support.tokens import code_flow, refresh

NEW_PASSWORD = "Neu#Passwort2026"
WANG = dict(name="王芳", id_type="居民身份证", id_number="31000019920229024X", mobile="13600136000",
            id_valid_from=dt.date(2012, 3, 1), id_valid_to=dt.date(2032, 3, 1), realname_level=2)
LI = dict(name="李四", id_type="居民身份证", id_number="330000197001010023", mobile="13500135000",
          id_valid_from=dt.date(2016, 1, 1), id_long_term=True, realname_level=2)
WANG_FORM = dict(name="王芳", id_number="31000019920229024X", valid_from="2012-03-01", valid_to="2032-03-01")
LI_FORM = dict(name="李四", id_number="330000197001010023", valid_from="2016-01-01", valid_to="")


async def identity_step(browser, **fields):
    page = await browser.go("/recovery")
    assert form_action(page) == "/recovery/identity", page.text[:300]
    return await browser.submit(page, "/recovery/identity", id_type="居民身份证", captcha=CAPTCHA, **fields)


async def new_password(browser, page, password=NEW_PASSWORD, confirm=None):
    return await browser.submit(page, "/recovery/password", password=password,
                                password_confirm=password if confirm is None else confirm)


async def password_is(put, account_id, password) -> bool:
    return await put.portal.passwords.verify((await account(put, account_id)).password_hash, password)


def current_step(page) -> str:
    return page.text.split('class="current" aria-current="step">')[1].split("<")[0]


async def test_recovery_by_identity_data_sets_a_new_password(put, browser):
    wang = await put.add_account("wangfang", **WANG)
    for _ in range(put.settings.lockout_threshold - 1):  # a locked account is refused (test_recovery_by_identity)
        async with put.portal.sessionmaker.begin() as db:
            await record_failure(db, put.settings, wang.id)
    first = await browser.go("/recovery")
    assert current_step(first) == "1 信息验证" and "若您的身份证结束时间长期有效，无需再选择结束时间" in first.text
    page = await browser.submit(first, "/recovery/identity", id_type="居民身份证", captcha=CAPTCHA, **WANG_FORM)
    assert form_action(page) == "/recovery/password" and current_step(page) == "2 设置新密码"
    assert "8~16个字符，至少包含大写字母、小写字母、数字、特殊符号中的三种类型" in page.text
    before = clock.now()
    done = await new_password(browser, page)
    assert str(done.url).endswith("/recovery/done") and current_step(done) == "3 完成"
    assert 'href="/login"' in done.text
    assert await password_is(put, wang.id, NEW_PASSWORD) and not await password_is(put, wang.id, PASSWORD)
    changed = await account(put, wang.id)
    assert changed.password_changed_at >= before and not is_locked(changed) and changed.failed_logins == 0
    [verified] = await audit_events(put, "recovery.identity_verified")
    [reset] = await audit_events(put, "password.reset")
    assert verified.actor == reset.actor == wang.subject and reset.details["via"] == "identity"
    # The finished flow cannot be shown or used again.
    assert (await browser.client.get(f"/recovery?flow={(await flow_of(put, page)).id}")).status_code == 400
    assert (await new_password(browser, page, "Zweites#Pass1")).status_code == 400
    assert await password_is(put, wang.id, NEW_PASSWORD)


async def test_identity_data_as_people_type_it(put, browser):
    wang = await put.add_account("wangfang", **WANG)
    li = await put.add_account("lisi", **LI)
    cases = [
        (li.id, LI_FORM),  # 长期: the start date only
        (wang.id, {**WANG_FORM, "id_number": "310000920229024"}),  # the 15-digit number
        (wang.id, {**WANG_FORM, "id_number": "31000019920229024x", "name": " 王芳 "}),
        (wang.id, {**WANG_FORM, "id_number": "３１００００１９９２０２２９０２４Ｘ"}),  # full-width
    ]
    for account_id, fields in cases:
        page = await identity_step(browser, **fields)
        assert form_action(page) == "/recovery/password", fields
        assert (await flow_of(put, page)).data["account_id"] == account_id


async def test_identity_that_does_not_match_gets_one_message_and_keeps_the_values(put, browser):
    await put.add_account("wangfang", **WANG)
    await put.add_account("lisi", **LI)
    legal = await put.add_account("qiye01", account_type="legal_person", credit_code="91110000MA01ABCD1X",
                                  name="吴丽", id_type="居民身份证", id_number="110000196501010024",
                                  id_valid_from=dt.date(2011, 1, 1), id_long_term=True)
    disabled = await put.add_account("zhoujie", name="周杰", id_type="居民身份证", id_number="310000197203151234",
                                     id_valid_from=dt.date(2019, 3, 15), id_long_term=True)
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(Account).where(Account.id == disabled.id).values(disabled_at=clock.now()))
    cases = [
        {**WANG_FORM, "name": "王方"},
        {**WANG_FORM, "id_number": "51000019880808059X"},  # no account
        {**WANG_FORM, "valid_from": "2012-03-02"},
        {**WANG_FORM, "valid_to": "2032-03-02"},
        {**WANG_FORM, "valid_to": ""},  # not a 长期 card
        {**LI_FORM, "valid_to": "2036-01-01"},  # a 长期 card has no end date
        {**LI_FORM, "valid_from": "2016-01-02"},
        {"name": "吴丽", "id_number": "110000196501010024", "valid_from": "2011-01-01", "valid_to": ""},  # 法人
        {"name": "周杰", "id_number": "310000197203151234", "valid_from": "2019-03-15", "valid_to": ""},  # disabled
        {"name": "张三", "id_number": "110000198506120133", "valid_from": "2015-06-12", "valid_to": "2035-06-12"},
    ]
    for fields in cases:
        page = await identity_step(browser, **fields)
        assert error_of(page) == text("recovery.identity_mismatch"), fields
        assert form_action(page) == "/recovery/identity"
        assert {name: value_of(page, name) for name in fields} == fields
        assert value_of(page, "captcha") == ""
    assert len(await audit_events(put, "recovery.identity_failed")) == len(cases)
    assert await audit_events(put, "recovery.identity_verified") == []
    assert legal.id  # the legal person recovers by code with its username (see below)


async def test_bad_input_on_the_identity_form(put, browser):
    await put.add_account("wangfang", **WANG)
    cases = [
        ({"name": ""}, "recovery.name_required"),
        ({"name": "  "}, "recovery.name_required"),
        ({"id_number": ""}, "recovery.id_number_required"),
        ({"id_number": "31000019920229024"}, "id_number.format"),
        ({"id_number": "310000199202290241"}, "id_number.check"),
        ({"id_number": "990000199202290249"}, "id_number.region"),
        ({"id_number": "310000199202300240"}, "id_number.birth_date"),
        ({"valid_from": ""}, "recovery.valid_from_required"),
        ({"valid_from": "2012/03/01"}, "recovery.valid_date_format"),
        ({"valid_from": "20120301"}, "recovery.valid_date_format"),
        ({"valid_from": "2012-02-30"}, "recovery.valid_date_format"),
        ({"valid_to": "2032.03.01"}, "recovery.valid_date_format"),
        ({"valid_to": "2012-03-01"}, "recovery.valid_to_order"),
        ({"valid_to": "2011-03-01"}, "recovery.valid_to_order"),
        ({"captcha": ""}, "captcha.required"),
        ({"captcha": "NOPE"}, "captcha.wrong"),
        ({"captcha_id": "gone"}, "captcha.expired"),
        ({"id_type": "护照"}, "recovery.id_type"),
    ]
    for fields, message_id in cases:
        page = await browser.go("/recovery")
        values = {"id_type": "居民身份证", "captcha": CAPTCHA, **WANG_FORM, **fields}
        again = await browser.submit(page, "/recovery/identity", **values)
        assert again.status_code == 200 and error_of(again) == text(message_id), fields
        assert form_action(again) == "/recovery/identity"
        assert {name: value_of(again, name) for name in WANG_FORM} == {name: values[name] for name in WANG_FORM}
        assert (await flow_of(put, again)).state == "identity"
    assert await audit_events(put, "recovery.identity_verified") == []


async def test_recovery_by_code_for_a_person_and_for_a_legal_person(put, browser):
    legal = await put.add_account("qiye01", account_type="legal_person", mobile="13700137000",
                                  email="office@qiye.example.cn", credit_code="91110000MA01ABCD1X")
    for login, channel, destination, account_id in [("13800138000", "sms", "13800138000", put.account.id),
                                                    ("QiYe01", "email", "office@qiye.example.cn", legal.id)]:
        first = await browser.go("/recovery")
        assert 'href="/recovery?way=code"' in first.text and "原找回密码方式请点击此处" in first.text
        page = await request_code(browser, "/recovery?way=code", username=login, channel=channel,
                                  destination=destination)
        assert form_action(page) == "/recovery/verify" and current_step(page) == "1 信息验证"
        assert masked(channel, destination) in page.text
        [message] = await outbox(put, destination)
        assert "找回密码" in message.body
        page = await browser.submit(page, "/recovery/verify", code=await last_code(put, destination))
        assert form_action(page) == "/recovery/password"
        done = await new_password(browser, page)
        assert current_step(done) == "3 完成"
        assert await password_is(put, account_id, NEW_PASSWORD)
    resets = await audit_events(put, "password.reset")
    assert [e.details["via"] for e in resets] == ["code", "code"]
    assert len(await audit_events(put, "recovery.code_verified")) == 2


async def test_recovery_by_code_tells_nothing_about_accounts(put):
    real, probe = Browser(put), Browser(put)
    matched = await request_code(real, "/recovery?way=code", username="zhangsan", channel="sms",
                                 destination="13800138000")
    unknown = await request_code(probe, "/recovery?way=code", username="lisi", channel="sms",
                                 destination="13800138000")
    wrong_mobile = await request_code(probe, "/recovery?way=code", username="zhangsan", channel="sms",
                                      destination="13800138001")
    assert len(await outbox(put)) == 1
    assert shape(matched.text).replace('value="zhangsan"', "") == shape(unknown.text).replace('value="lisi"', "")
    assert shape(matched.text).replace(masked("sms", "13800138000"), "").replace('value="13800138000"', "") == \
        shape(wrong_mobile.text).replace(masked("sms", "13800138001"), "").replace('value="13800138001"', "")
    code = await last_code(put, "13800138000")
    answers = [await probe.submit(unknown, "/recovery/verify", code=code),
               await real.submit(matched, "/recovery/verify", code=other_code(code))]
    assert {error_of(a) for a in answers} == {text("code.wrong")}
    assert {form_action(a) for a in answers} == {"/recovery/verify"}
    await real.aclose()
    await probe.aclose()


async def test_wrong_expired_and_reused_codes(put, browser):
    page = await request_code(browser, "/recovery?way=code", username="zhangsan", channel="sms",
                              destination="13800138000")
    code = await last_code(put, "13800138000")
    wrong = await browser.submit(page, "/recovery/verify", code=other_code(code))
    assert error_of(wrong) == text("code.wrong") and form_action(wrong) == "/recovery/verify"
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(OneTimeCode).values(expires_at=clock.now() - dt.timedelta(seconds=1)))
    expired = await browser.submit(wrong, "/recovery/verify", code=code)
    assert error_of(expired) == text("code.expired") and form_action(expired) == "/recovery/send"
    assert value_of(expired, "username") == "zhangsan" and value_of(expired, "destination") == "13800138000"
    # A new code, used once: the second use of it is refused.
    page = await browser.submit(expired, "/recovery/send", username="zhangsan", channel="sms",
                                destination="13800138000", captcha=CAPTCHA)
    code = await last_code(put, "13800138000")
    step2 = await browser.submit(page, "/recovery/verify", code=code)
    assert form_action(step2) == "/recovery/password"
    replay = await browser.submit(page, "/recovery/verify", code=code)
    assert replay.status_code == 409 and "页面已过期" in replay.text
    assert len(await audit_events(put, "recovery.code_verified")) == 1
    assert await password_is(put, put.account.id, PASSWORD)


async def test_no_step_can_be_skipped(put, browser):
    identity = await browser.go("/recovery")
    by_code = await request_code(browser, "/recovery?way=code", username="zhangsan", channel="sms",
                                 destination="13800138000")
    for page in (identity, by_code):
        skipped = await new_password(browser, page)
        assert skipped.status_code == 409
    assert (await browser.submit(identity, "/recovery/verify", code="123456")).status_code == 409
    assert (await browser.submit(by_code, "/recovery/identity", **WANG_FORM, captcha=CAPTCHA)).status_code == 409
    unlock = await browser.go("/unlock")  # a flow of another kind
    assert (await new_password(browser, unlock)).status_code == 400
    assert await password_is(put, put.account.id, PASSWORD)
    assert await audit_events(put, "password.reset") == []


async def test_the_new_password_must_follow_the_rule_and_be_typed_twice(put, browser):
    wang = await put.add_account("wangfang", **WANG)
    page = await identity_step(browser, **WANG_FORM)
    cases = [("", None, "password.rule"), ("Ab1#", None, "password.rule"), ("abcdefgh1", None, "password.rule"),
             ("ABCDEFGH#", None, "password.rule"), ("Abcdefgh1#Abcdefg", None, "password.rule"),
             ("Abcdefg 1#", None, "password.rule"), ("Abcdefgh1密", None, "password.rule"),
             (NEW_PASSWORD, "Neu#Passwort2027", "password.mismatch"), (NEW_PASSWORD, "", "password.mismatch")]
    for password, confirm, message_id in cases:
        page = await new_password(browser, page, password, confirm)
        assert error_of(page) == text(message_id), password
        assert form_action(page) == "/recovery/password"
        assert value_of(page, "password") == "" and value_of(page, "password_confirm") == ""  # never echoed
    assert await password_is(put, wang.id, PASSWORD)
    done = await new_password(browser, page, "kqvxwz1#t")  # three kinds: lower, digit, special
    assert current_step(done) == "3 完成" and await password_is(put, wang.id, "kqvxwz1#t")


async def test_parallel_uses_of_one_code_and_one_flow_succeed_exactly_once(put, browser):
    page = await request_code(browser, "/recovery?way=code", username="zhangsan", channel="sms",
                              destination="13800138000")
    code = await last_code(put, "13800138000")
    posted = {"flow": (await flow_of(put, page)).id, "csrf_token": (await flow_of(put, page)).csrf_token}
    verified = await asyncio.gather(*(browser.client.post("/recovery/verify", data={**posted, "code": code})
                                      for _ in range(10)))
    assert sorted(r.status_code for r in verified).count(303) == 1, [r.status_code for r in verified]
    assert len(await audit_events(put, "recovery.code_verified")) == 1
    passwords = [f"Race#{n}Passwort" for n in range(10)]
    reset = await asyncio.gather(*(browser.client.post(
        "/recovery/password", data={**posted, "password": p, "password_confirm": p}) for p in passwords))
    winners = [p for p, r in zip(passwords, reset, strict=True) if r.status_code == 303]
    assert len(winners) == 1 and reset[passwords.index(winners[0])].headers["location"] == "/recovery/done"
    assert {r.status_code for r in reset} <= {303, 400, 409}
    assert [await password_is(put, put.account.id, p) for p in passwords].count(True) == 1
    assert await password_is(put, put.account.id, winners[0])
    assert len(await audit_events(put, "password.reset")) == 1


async def test_a_reset_ends_every_session_of_the_account(put, browser):
    rp2 = await put.add_client("rp2")
    other = await put.add_account("wangfang", **WANG)
    await lock(put, put.account.id)
    phone, laptop, bystander = (await signed_in(put, put.account.id), await signed_in(put, put.account.id),
                                await signed_in(put, other.id))
    assert "code" in await silent_authorize(phone, put.rp)
    assert "code" in await silent_authorize(laptop, rp2)
    assert "code" in await silent_authorize(bystander, put.rp)

    page = await request_code(browser, "/recovery?way=code", username="zhangsan", channel="sms",
                              destination="13800138000")
    page = await browser.submit(page, "/recovery/verify", code=await last_code(put, "13800138000"))
    await new_password(browser, page)

    assert (await silent_authorize(phone, put.rp))["error"] == "login_required"
    assert (await silent_authorize(laptop, rp2))["error"] == "login_required"
    assert "code" in await silent_authorize(bystander, put.rp)  # another account's session lives on
    async with put.portal.reader() as db:
        queued = (await db.scalars(select(LogoutDelivery))).all()
    assert sorted(row.client_id for row in queued) == ["rp", "rp2"]
    await settle_backchannel(put)
    jwks = KeySet.import_key_set((await put.http().get("/jwks")).json())
    for client in (put.rp, rp2):
        [token] = received_tokens(put, f"{client.client_id}.rp.example.test")
        claims = jwt.decode(token, jwks).claims
        assert claims["sub"] == put.account.subject and claims["aud"] == client.client_id and claims["sid"]
    logouts = await audit_events(put, "session.logout")
    assert len(logouts) == 2 and {e.details["reason"] for e in logouts} == {"password_reset"}
    assert not is_locked(await account(put, put.account.id))
    for b in (phone, laptop, bystander):
        await b.aclose()


async def test_no_code_or_password_reaches_the_audit_log_or_the_flow(put, browser):
    page = await request_code(browser, "/recovery?way=code", username="zhangsan", channel="sms",
                              destination="13800138000")
    code = await last_code(put, "13800138000")
    await browser.submit(page, "/recovery/verify", code=other_code(code))
    page = await browser.submit(page, "/recovery/verify", code=code)
    flow = await flow_of(put, page)
    await new_password(browser, page)
    async with put.portal.reader() as db:
        events = (await db.scalars(select(AuditEvent))).all()
    stored = str([(e.event, e.actor, e.details) for e in events]) + str(flow.data)
    for secret in (code, other_code(code), NEW_PASSWORD):
        assert secret not in stored
    assert {"recovery.requested", "recovery.code_rejected", "recovery.code_verified", "password.reset"} <= {
        e.event for e in events}


async def test_the_pages_carry_stable_ids_and_one_form_each(put, browser):
    identity = await browser.go("/recovery")
    for element in ('id="id_type"', 'id="name"', 'id="id_number"', 'id="valid_from"', 'id="valid_to"',
                    'id="captcha"', 'src="/captcha/', 'id="captcha-refresh"', 'id="submit"', 'id="by-code"',
                    'id="steps"'):
        assert element in identity.text, element
    by_code = await browser.go("/recovery?way=code")
    for element in ('id="username"', 'id="channel-sms"', 'id="channel-email"', 'id="destination"',
                    'id="captcha"', 'id="send-code"', 'id="by-identity"'):
        assert element in by_code.text, element
    for page in (identity, by_code):
        assert page.text.count("<form") == 1 and page.headers["cache-control"] == "no-store"
        # 看不清？换一张: the same step again with a new captcha
        refresh = page.text.split('id="captcha-refresh" class="small" href="')[1].split('"')[0]
        again = await browser.go(unescape(refresh))
        assert form_action(again) == form_action(page)
        assert hidden_fields(again.text)["captcha_id"] != hidden_fields(page.text)["captcha_id"]


async def test_a_reset_revokes_every_refresh_token_of_the_account_offline_ones_included(put, browser):
    phone = await signed_in(put, put.account.id)
    try:
        tokens = await code_flow(put, phone, put.rp, "openid offline_access")
        page = await request_code(browser, "/recovery?way=code", username="zhangsan", channel="sms",
                                  destination="13800138000")
        page = await browser.submit(page, "/recovery/verify", code=await last_code(put, "13800138000"))
        await new_password(browser, page)
        response = await refresh(put, put.rp, tokens["refresh_token"])
        assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    finally:
        await phone.aclose()


async def test_a_reset_is_announced_to_the_contacts_and_in_my_messages(put, browser):
    """A reset is a password change the owner must hear of (ASVS V7.5.1), whoever made it."""
    wang = await put.add_account("wangfang", **WANG)
    page = await identity_step(browser, **WANG_FORM)
    assert current_step(await new_password(browser, page)) == "3 完成"
    [sms] = await outbox(put, WANG["mobile"])
    [mail] = await outbox(put, "wangfang@example.com")
    assert (sms.channel, mail.channel, mail.subject) == ("sms", "email", "政务服务门户登录密码修改提醒")
    assert "wangfang的登录密码已于" in sms.body and NEW_PASSWORD not in sms.body and sms.body == mail.body
    async with put.portal.sessionmaker() as db:
        notes = (await db.scalars(select(AccountMessage).where(AccountMessage.account_id == wang.id))).all()
    assert [(n.kind, n.body) for n in notes] == [("password_changed", sms.body)]
