"""The binding API the portal calls (shared.binding: SYSTEM_STATUS, SYSTEM_CANCEL, SYSTEM_UNLINK),
against a FAKE portal whose key signs the requests: every refusal of the request's JWT, the
status of a binding id, and unlinking (a link created by binding only with ``force``)."""
from __future__ import annotations

import time

import pytest
from jose import jwt
from sqlalchemy import select

from mock_systems.common.models import PortalLink
from mock_systems.drug import PROFILE as DRUG
from shared.binding import SYSTEM_CANCEL, SYSTEM_STATUS, SYSTEM_UNLINK
from tests.support.fake_portal import (
    FakePortal,
    bind_existing,
    browser_for,
    new_key,
    open_binding,
    system_with_fake_portal,
)


@pytest.fixture
async def drug(databases):
    fake = FakePortal(DRUG.client_id)
    async with system_with_fake_portal(DRUG, fake, await databases.empty()) as app:
        app.state.fake = fake
        async with browser_for(app, app.state.system.settings.base_url) as browser:
            app.state.browser = browser
            yield app


def bearer(token: str) -> dict:
    return {"Authorization": "Bearer " + token}


async def linked(app, kind: str) -> tuple[str, str]:
    """A binding completed through /binding/start: (binding id, portal subject)."""
    fake = app.state.fake
    subject = f"{kind}-subject"
    binding_id = fake.intent(kind, sub=subject)
    if kind == "create":
        response = await open_binding(app, binding_id)
    else:
        response = await bind_existing(app, binding_id, "drug_demo")
    assert response.status_code == 303, response.text[:300]
    return binding_id, subject


async def subjects(app) -> list[str]:
    async with app.state.system.sessionmaker() as db:
        return list((await db.scalars(select(PortalLink.portal_subject))).all())


async def test_status_says_linked_with_kind_and_account_or_unknown(drug):
    fake, browser = drug.state.fake, drug.state.browser
    binding_id, _ = await linked(drug, "existing")
    status = await browser.get(SYSTEM_STATUS.format(binding_id=binding_id),
                               headers=bearer(fake.sign("status", binding_id=binding_id)))
    assert status.status_code == 200 and status.json() == {"status": "linked", "kind": "existing",
                                                           "local_account": "drug_demo"}
    other = fake.intent("create")
    unknown = await browser.get(SYSTEM_STATUS.format(binding_id=other),
                                headers=bearer(fake.sign("status", binding_id=other)))
    assert unknown.json() == {"status": "unknown"}


async def test_cancel_of_a_linked_binding_answers_linked_and_leaves_the_link(drug):
    fake, browser = drug.state.fake, drug.state.browser
    binding_id, subject = await linked(drug, "create")
    cancel = await browser.post(SYSTEM_CANCEL.format(binding_id=binding_id),
                                headers=bearer(fake.sign("cancel", binding_id=binding_id)))
    assert cancel.status_code == 200
    assert cancel.json()["status"] == "linked" and cancel.json()["kind"] == "created"
    assert await subjects(drug) == [subject]
    other = fake.intent("create")
    for _ in range(2):  # idempotent
        again = await browser.post(SYSTEM_CANCEL.format(binding_id=other),
                                   headers=bearer(fake.sign("cancel", binding_id=other)))
        assert again.json() == {"status": "cancelled"}


REFUSALS = {
    "unknown key": dict(key="other"),
    "wrong aud": dict(aud="udi"),
    "wrong iss": dict(iss="https://elsewhere.example.test"),
    "wrong action": dict(action="cancel"),
    "wrong binding": dict(binding_id="another-binding"),
    "expired": dict(iat=-400, exp=-300),
    "too long-lived": dict(lifetime=3600),
    "wrong typ": dict(typ="JWT"),
    "untyped": dict(typ=None),
    "no jti": dict(jti=None),
}


@pytest.mark.parametrize("case", REFUSALS)
async def test_status_refuses_a_request_token_that_does_not_fit(drug, case):
    fake, browser = drug.state.fake, drug.state.browser
    binding_id, _ = await linked(drug, "existing")
    change = dict(REFUSALS[case])
    action = change.pop("action", "status")
    if change.get("key") == "other":
        change["key"] = new_key()
    for name in ("iat", "exp"):
        if name in change:
            change[name] = _now() + change[name]
    token = fake.sign(action, **{"binding_id": binding_id, **change})
    response = await browser.get(SYSTEM_STATUS.format(binding_id=binding_id), headers=bearer(token))
    assert response.status_code == 401 and response.json()["error"] == "invalid_token", response.text
    assert "linked" not in response.text


async def test_a_request_without_a_bearer_token_or_signed_with_hmac_is_refused(drug):
    fake, browser = drug.state.fake, drug.state.browser
    path = SYSTEM_STATUS.format(binding_id="b1")
    assert (await browser.get(path)).status_code == 401
    forged = jwt.encode({"iss": fake.issuer, "aud": "drug", "iat": _now(), "exp": _now() + 60, "jti": "x",
                         "action": "status", "binding_id": "b1"}, "secret", algorithm="HS256",
                        headers={"kid": fake.key.kid, "typ": "binding+jwt"})
    assert (await browser.get(path, headers=bearer(forged))).status_code == 401


async def test_an_ec_key_signs_requests_as_well(databases):
    fake = FakePortal(DRUG.client_id, key=new_key("EC"))
    async with system_with_fake_portal(DRUG, fake, await databases.empty()) as app:
        async with browser_for(app, app.state.system.settings.base_url) as browser:
            ok = await browser.get(SYSTEM_STATUS.format(binding_id="b1"),
                                   headers=bearer(fake.sign("status", binding_id="b1")))
    assert ok.status_code == 200 and ok.json() == {"status": "unknown"}


@pytest.mark.parametrize("change", [dict(sub="someone-else"), dict(action="status"), dict(aud="udi")])
async def test_unlink_refuses_a_token_for_another_subject_action_or_system(drug, change):
    fake = drug.state.fake
    _, subject = await linked(drug, "existing")
    token = fake.sign(change.pop("action", "unlink"), **{"sub": subject, **change})
    response = await drug.state.browser.delete(SYSTEM_UNLINK.format(sub=subject), headers=bearer(token))
    assert response.status_code == 401
    assert await subjects(drug) == [subject]


async def test_unlink_removes_a_link_to_an_existing_account_and_is_idempotent(drug):
    fake = drug.state.fake
    binding_id, subject = await linked(drug, "existing")
    for _ in range(2):
        response = await drug.state.browser.delete(SYSTEM_UNLINK.format(sub=subject),
                                                   headers=bearer(fake.sign("unlink", sub=subject)))
        assert response.status_code == 204
    assert await subjects(drug) == []
    status = await drug.state.browser.get(SYSTEM_STATUS.format(binding_id=binding_id),
                                          headers=bearer(fake.sign("status", binding_id=binding_id)))
    assert status.json() == {"status": "cancelled"}  # settled: this binding id never links again


async def test_unlink_of_a_created_link_is_refused_without_force_and_done_with_it(drug):
    fake = drug.state.fake
    _, subject = await linked(drug, "create")
    path = SYSTEM_UNLINK.format(sub=subject)
    refused = await drug.state.browser.delete(path, headers=bearer(fake.sign("unlink", sub=subject)))
    assert refused.status_code == 409 and refused.json() == {"error": "created_not_unbindable"}
    not_true = await drug.state.browser.delete(path, headers=bearer(fake.sign("unlink", sub=subject, force="yes")))
    assert not_true.status_code == 409 and await subjects(drug) == [subject]
    forced = await drug.state.browser.delete(path, headers=bearer(fake.sign(
        "unlink", sub=subject, force=True, reason="咨询工单 2026-001")))
    assert forced.status_code == 204 and await subjects(drug) == []


def _now() -> int:
    return int(time.time())


async def test_a_status_request_naming_another_subject_than_the_binding_is_refused(drug):
    fake = drug.state.fake
    binding_id, subject = await linked(drug, "existing")
    path = SYSTEM_STATUS.format(binding_id=binding_id)
    right = await drug.state.browser.get(path, headers=bearer(fake.sign("status", binding_id=binding_id, sub=subject)))
    assert right.status_code == 200 and right.json()["status"] == "linked"
    wrong = await drug.state.browser.get(path, headers=bearer(fake.sign("status", binding_id=binding_id,
                                                                        sub="someone-else")))
    assert wrong.status_code == 401


async def test_unlink_for_an_older_binding_leaves_the_newer_link(drug):
    """The portal's token names the binding it unbinds: a link made by another binding stays."""
    fake = drug.state.fake
    binding_id, subject = await linked(drug, "existing")
    stale = await drug.state.browser.delete(SYSTEM_UNLINK.format(sub=subject), headers=bearer(
        fake.sign("unlink", sub=subject, binding_id="an-older-binding")))
    assert stale.status_code == 204 and await subjects(drug) == [subject]
    current = await drug.state.browser.delete(SYSTEM_UNLINK.format(sub=subject), headers=bearer(
        fake.sign("unlink", sub=subject, binding_id=binding_id)))
    assert current.status_code == 204 and await subjects(drug) == []


async def test_a_binding_id_that_could_never_be_ours_is_answered_without_a_write(drug):
    fake, long_id = drug.state.fake, "x" * 300
    status = await drug.state.browser.get(SYSTEM_STATUS.format(binding_id=long_id),
                                          headers=bearer(fake.sign("status", binding_id=long_id)))
    assert status.status_code == 200 and status.json() == {"status": "unknown"}
    cancel = await drug.state.browser.post(SYSTEM_CANCEL.format(binding_id=long_id),
                                           headers=bearer(fake.sign("cancel", binding_id=long_id)))
    assert cancel.status_code == 200 and cancel.json() == {"status": "cancelled"}
