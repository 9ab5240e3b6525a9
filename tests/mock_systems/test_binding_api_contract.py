"""The binding API's OpenAPI document and JSON Schemas (docs/binding-api/) against reality: the
portal and the drug system in-process, speaking HTTP to each other, drive every operation of the
document (bind both ways, a refusal, status and cancel, unbind by the user, by staff and in the
system's settings, a notice); every request the portal sends and every answer the system gives
— and the other direction too — must match the document."""
from __future__ import annotations

import copy
import json

import jsonschema
import pytest
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.readers import read_from_filename

from idp.bindings import calls
from idp.bindings.staff import force_unbind_account
from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.drug import PROFILE as DRUG
from shared.binding import SYSTEM_START
from tests.support.binding_contract import (
    DOCUMENT,
    Exchange,
    Recorder,
    check,
    check_answer,
    document,
    schema,
)
from tests.support.binding_flows import binding_of, on_bindings_page, start, unbind
from tests.support.portal import hidden_fields
from tests.support.systems import CAPTCHA, portal_router, running_system, sso

BASE_URL = f"https://{DRUG.client_id}.systems.example.test"


def test_the_openapi_document_is_valid_openapi_3_1_with_its_schemas_resolved():
    spec, base_uri = read_from_filename(str(DOCUMENT))
    assert spec["openapi"].startswith("3.1")
    validate_openapi(spec, base_uri=base_uri)  # external $refs to schemas/*.json are resolved too


@pytest.fixture
async def recorded(put, system_database_url):
    """The drug system beside the portal, every binding exchange both ways recorded."""
    exchanges: list[Exchange] = []
    metadata = {"binding_start_uri": BASE_URL + SYSTEM_START, "binding_api_uri": BASE_URL}
    async with running_system(put, DRUG, system_database_url, client_metadata=metadata,
                              portal_transport=lambda inner: Recorder(inner, exchanges)) as drug:
        router = portal_router(put)
        netloc = BASE_URL.removeprefix("https://")
        router.apps[netloc] = Recorder(router.apps[netloc], exchanges)
        yield drug, exchanges


async def bind(put, drug, account, mode: str, username: str = "drug_demo"):
    """授权绑定 through the system's pages; returns the binding id and the system's last answer."""
    portal = await on_bindings_page(put, account)
    to_system = await start(portal, DRUG.client_id, mode)
    async with drug.browser() as browser:
        checked = await sso(browser, portal, to_system.headers["location"].removeprefix(BASE_URL), username=None)
        page = await browser.get(checked.headers["location"])
        if mode == "existing":
            page = await browser.post(SYSTEM_START, data={**hidden_fields(page.text), "username": username,
                                                          "password": DEMO_LOCAL_PASSWORD, "captcha": CAPTCHA})
    return portal, binding_of(to_system), page


def binding_exchanges(exchanges: list[Exchange]) -> list[Exchange]:
    return [e for e in exchanges if e.path.startswith(("/api/bindings/", "/api/notices", "/binding-api/"))
            and e.method != "HEAD"]


async def test_every_binding_exchange_matches_the_published_contract(put, recorded):
    drug, exchanges = recorded
    client = await put.portal.client(DRUG.client_id)
    sub = put.account.subject

    portal, existing, done = await bind(put, drug, put.account, "existing")  # intent, confirm
    assert done.status_code == 303, done.text[:300]
    assert (await calls.ask_status(put.portal, client, existing, sub)).status == "linked"
    assert (await calls.ask_cancel(put.portal, client, existing, sub)).status == "linked"
    assert (await drug.system.portal.post_notice(sub, "审核结果", "审核通过")).status_code == 201

    other = await put.add_account("lisi", account_type="personal", id_type="居民身份证",
                                  id_number="110101199003074477", realname_level=2)
    _, taken, page = await bind(put, drug, other, "existing")  # drug_demo is zhangsan's: refused
    assert page.status_code != 303 and (await calls.ask_status(put.portal, client, taken, other.subject)).status \
        == "cancelled"

    assert (await calls.ask_status(put.portal, client, "never-seen", sub)).status == "unknown"
    assert (await calls.ask_cancel(put.portal, client, "never-seen", sub)).status == "cancelled"
    assert (await unbind(portal, DRUG.client_id)).status_code == 303  # DELETE, 204

    _, created, _ = await bind(put, drug, put.account, "create")
    refused = await calls.ask_unlink(put.portal, client, created, sub, force=False, reason=None)
    assert refused.removed is False  # 409 created_not_unbindable
    assert await force_unbind_account(put.portal, put.account.username, DRUG.client_id,
                                      reason="咨询：申请解除绑定", staff="staff-01") == "ended"

    await bind(put, drug, put.account, "existing")
    async with drug.browser() as browser:  # unbind in the system's own settings: ended
        login = await browser.get("/local/login")
        await browser.post("/local/login", data={**hidden_fields(login.text), "username": "drug_demo",
                                                 "password": DEMO_LOCAL_PASSWORD, "captcha": CAPTCHA})
        settings = await browser.get("/account/settings")
        assert (await browser.post("/account/unbind", data={
            "csrf_token": hidden_fields(settings.text)["csrf_token"]})).status_code == 303

    async with drug.browser() as browser:  # a request the portal did not sign
        unsigned = await browser.get(f"/binding-api/bindings/{existing}", headers={"Authorization": "Bearer x.y.z"})
    assert unsigned.status_code == 401
    check_answer(Exchange("GET", f"/binding-api/bindings/{existing}", "", b"", 401, unsigned.content))

    seen = [check(e) for e in binding_exchanges(exchanges)]
    documented = {op["operationId"] for item in document()["paths"].values() for op in item.values()}
    assert set(seen) == documented, documented - set(seen)
    statuses = {(e.path.split("/")[1], e.status) for e in binding_exchanges(exchanges)}
    assert ("binding-api", 409) in statuses and ("binding-api", 204) in statuses


def test_a_status_answer_that_gains_or_loses_a_field_is_off_the_contract():
    linked = {"status": "linked", "kind": "existing", "local_account": "drug_demo"}
    status = schema("status.json")
    jsonschema.validate(linked, status)
    for changed in ({**linked, "extra": 1}, {k: v for k, v in linked.items() if k != "kind"},
                    {"status": "unknown", "kind": "existing"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(changed, status)
    intent = schema("intent.json")
    sample = {"binding_id": "b1", "client_id": "drug", "sub": "s", "mode": "create", "state": "pending",
              "expires_at": 1, "claims": {"sub": "s"}, "actor_sub": None}
    jsonschema.validate(sample, intent)
    for name in sample:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({k: v for k, v in sample.items() if k != name}, intent)
    claims = json.loads(json.dumps({"iss": "i", "aud": "drug", "iat": 1, "exp": 2, "jti": "j", "action": "status",
                                    "binding_id": "b1", "sub": "s"}))
    jsonschema.validate(claims, schema("binding-request-claims.json"))
    unlink = copy.deepcopy(claims) | {"action": "unlink"}
    with pytest.raises(jsonschema.ValidationError):  # unlink must say whether it is forced
        jsonschema.validate(unlink, schema("binding-request-claims.json"))
