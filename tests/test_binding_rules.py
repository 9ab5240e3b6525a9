"""The binding rules are catalogue data (idp/catalogue/systems.yaml), not code: systems sharing a
``binding_slot`` exclude each other, and ``unbindable_kinds`` says which links the user may undo
(不可解除 for the others). A test catalogue with other values changes the rules."""
from __future__ import annotations

import pytest
import yaml

from idp.oidc.client_registration import ClientConfigError, check_client_fields
from shared.messages import text
from tests.support.binding_flows import (
    binding,
    bound,
    catalogue_rules,
    live,
    on_bindings_page,
    shown,
    start,
    unbind,
)


def write_catalogue(tmp_path, *entries: dict):
    path = tmp_path / "systems.yaml"
    path.write_text(yaml.safe_dump({"systems": list(entries)}, allow_unicode=True), encoding="utf-8")
    return path


def test_the_catalogue_pairs_classification_and_combination():
    assert catalogue_rules("classification")["binding_slot"] == catalogue_rules("combination")["binding_slot"]
    assert "binding_slot" not in catalogue_rules("drug")


async def test_another_pair_sharing_a_slot_in_the_catalogue_excludes_each_other(put, tmp_path):
    catalogue = write_catalogue(tmp_path, {"client_id": "alpha", "binding_slot": "alpha|beta"},
                                {"client_id": "beta", "binding_slot": "alpha|beta"},
                                {"client_id": "classification", "binding_slot": None},
                                {"client_id": "combination", "binding_slot": None})
    clients = {cid: await put.add_client(cid, display_name=f"系统{cid}", **catalogue_rules(cid, catalogue))
               for cid in ("alpha", "beta", "classification", "combination")}
    browser = await on_bindings_page(put, put.account)
    await bound(put, browser, clients["alpha"], "create")
    refused = await start(browser, "beta", "existing")
    assert refused.status_code == 409
    assert text("binding.excluded", system="系统alpha", other="系统beta") in refused.text
    # Without a shared slot in this catalogue, classification and combination no longer exclude each other.
    await bound(put, browser, clients["classification"], "existing")
    await bound(put, browser, clients["combination"], "existing")
    assert sorted(b.client_id for b in await live(put, put.account.id)) == ["alpha", "classification", "combination"]
    await browser.aclose()


async def test_a_catalogue_that_lets_users_undo_created_links_offers_解除绑定(put, tmp_path):
    catalogue = write_catalogue(tmp_path, {"client_id": "alpha", "unbindable_kinds": ["created", "existing"]})
    alpha = await put.add_client("alpha", display_name="系统alpha", **catalogue_rules("alpha", catalogue))
    fixed = await put.add_client("beta", display_name="系统beta")  # the default: created is 不可解除
    browser = await on_bindings_page(put, put.account)
    created = await bound(put, browser, alpha, "create")
    await bound(put, browser, fixed, "create")
    page = await browser.go("/space/bindings")
    assert (shown(page.text, "alpha"), shown(page.text, "beta")) == ("unbind", "fixed")
    assert (await unbind(browser, "beta")).status_code == 409
    accepted = await unbind(browser, "alpha")
    assert accepted.status_code == 303
    # The portal let it through and asked the system; this system keeps its own rule and refuses.
    assert [c.host for c in put.systems.calls if c.method == "DELETE"] == ["alpha.rp.example.test"]
    assert (await binding(put, created)).state == "active"
    await browser.aclose()


@pytest.mark.parametrize("values", [{"binding_slot": "a@b"}, {"binding_slot": ""}, {"binding_slot": "x" * 41},
                                    {"unbindable_kinds": ["forced"]}])
def test_bad_binding_rules_are_refused_when_the_catalogue_loads(values):
    with pytest.raises(ClientConfigError):
        check_client_fields(values, production=False)
