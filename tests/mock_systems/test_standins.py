"""The catalogue's other systems as generic stand-ins (mock_systems/standins): every system of
我的绑定 runs somewhere in `make run`, on the port the development catalogue names, and a
stand-in binds an existing demo account through the portal like any business system."""
from __future__ import annotations

import importlib

import pytest
import yaml

from idp.bindings.models import Binding
from idp.settings import Settings
from mock_systems import SYSTEMS
from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.standins import STANDINS, profile_of
from shared.binding import SYSTEM_START
from tests.support.binding_flows import binding_of, on_bindings_page, start
from tests.support.portal import hidden_fields
from tests.support.systems import CAPTCHA, running_system, sso


def catalogue() -> list[dict]:
    return yaml.safe_load(Settings().catalogue_path.read_text(encoding="utf-8"))["systems"]


def test_every_catalogue_system_runs_locally_on_the_port_the_catalogue_names():
    profiles = {p.client_id: p for p in (*(importlib.import_module(f"mock_systems.{m}").PROFILE for m in SYSTEMS),
                                         *STANDINS)}
    for entry in catalogue():
        profile = profiles.pop(entry["client_id"])
        base = f"http://127.0.0.1:{profile.port}"
        assert profile.display_name == entry["display_name"]
        assert entry["redirect_uris"] == [base + "/auth/callback"]
        assert entry["binding_start_uri"] == base + SYSTEM_START and entry["binding_api_uri"] == base
        assert entry["initiate_login_uri"] == base + "/auth/login"
    assert not profiles, f"stand-ins outside the catalogue: {sorted(profiles)}"
    ports = [p.port for p in (*STANDINS, *(importlib.import_module(f"mock_systems.{m}").PROFILE for m in SYSTEMS))]
    assert len(set(ports)) == len(ports)


def test_each_stand_in_has_its_own_cookies_settings_and_demo_accounts():
    assert len({p.cookie_prefix for p in STANDINS}) == len({p.env_prefix for p in STANDINS}) == len(STANDINS)
    appointments = profile_of("appointments")
    assert appointments.env_prefix == "BIZ_APPOINTMENTS_"
    assert [a.username for a in appointments.demo_accounts] == ["appointments_demo", "appointments_demo2"]
    with pytest.raises(KeyError):
        profile_of("udi")  # the systems with modules of their own are no stand-ins


async def test_a_stand_in_binds_an_existing_demo_account_and_logs_in_through_the_portal(put, system_database_url):
    profile = profile_of("appointments")
    base_url = f"https://{profile.client_id}.systems.example.test"
    metadata = {"binding_start_uri": base_url + SYSTEM_START, "binding_api_uri": base_url}
    async with running_system(put, profile, system_database_url, client_metadata=metadata) as system:
        portal = await on_bindings_page(put, put.account)
        to_system = await start(portal, "appointments", "existing")
        binding_id = binding_of(to_system)
        async with system.browser() as browser:
            checked = await sso(browser, portal, to_system.headers["location"].removeprefix(base_url), username=None)
            page = await browser.get(checked.headers["location"])
            assert page.status_code == 200 and "已有用户的登录授权" in page.text and "网上预约系统" in page.text
            done = await browser.post(SYSTEM_START, data={**hidden_fields(page.text), "username": "appointments_demo",
                                                          "password": DEMO_LOCAL_PASSWORD, "captcha": CAPTCHA})
            assert done.status_code == 303
            async with put.portal.reader() as db:
                assert (await db.get(Binding, binding_id)).state == "active"
            assert (await sso(browser, portal, username=None)).status_code == 303
            assert 'id="local-username">appointments_demo<' in (await browser.get("/")).text
        await portal.aclose()
