"""`make run`'s launcher (deploy/run_local.py): the banner it prints once every server is ready
names each server's address and every demo login, the staff console's included. It is only
built at start-up, so a broken import there stops `make run` after the servers came up."""
from __future__ import annotations

import importlib.util
import sys

import yaml

from idp.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_STAFF, DEMO_STAFF_PASSWORD, demo_accounts
from idp.settings import PROJECT_ROOT, Settings
from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.standins import STANDINS


def load_launcher():
    spec = importlib.util.spec_from_file_location("run_local", PROJECT_ROOT / "deploy" / "run_local.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_banner_names_every_server_and_every_demo_login():
    launcher = load_launcher()
    text = launcher.banner(launcher.SERVICES)
    for service in launcher.SERVICES:
        assert service.url + "/" in text
    assert "/.well-known/openid-configuration" in text
    assert DEMO_PASSWORD in text and DEMO_LOCAL_PASSWORD in text and DEMO_STAFF_PASSWORD in text
    for account in DEMO_ACCOUNTS:
        assert account["username"] in text
    assert f"{launcher.SERVICES[0].url}/staff/login" in text
    for username, _, _ in DEMO_STAFF:
        assert username in text
    assert "udi_staff" in text  # the UDI system's own reviewer
    assert "pharmacist_admin" in text  # the licensed-pharmacist system's provincial administrator
    assert "drug_admin" in text  # the drug system's, who opens the regulators' accounts


def test_the_supervision_portal_is_a_second_deployment_of_the_provider_with_the_staff_profile():
    launcher = load_launcher()
    (supervision,) = [s for s in launcher.SERVICES if s.port == 8300]
    env = launcher.read_env_file(supervision.env_file)
    assert supervision.app == launcher.SERVICES[0].app == "idp.app:create_app"
    settings = Settings(**{name.removeprefix("IDP_").lower(): value for name, value in env.items()})
    assert not settings.self_registration and settings.login_windows == "single" and settings.totp_required
    assert settings.issuer == supervision.url and "supervision.sqlite3" in settings.database_url
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    assert ". deploy/supervision/supervision.env; set +a; $(BIN)/idp migrate && $(BIN)/idp seed-demo" in makefile
    text = launcher.banner(launcher.SERVICES)
    for account in demo_accounts(PROJECT_ROOT / env["IDP_DEMO_ACCOUNTS_PATH"]):
        assert account["account_type"] == "official"
        assert account["username"] in text and account["jurisdiction"] in text


def test_the_banner_names_every_catalogue_system_with_its_address_and_the_stand_ins_logins():
    launcher = load_launcher()
    text = launcher.banner(launcher.SERVICES)
    for entry in yaml.safe_load((PROJECT_ROOT / "idp" / "catalogue" / "systems.yaml").read_text("utf-8"))["systems"]:
        assert entry["display_name"] in text and entry["binding_api_uri"] + "/" in text
    assert "appointments_demo on :8115, 网上预约系统" in text
    (standins,) = [s for s in launcher.SERVICES if s.command]  # one process for all of them
    assert standins.command[-2:] == ("-m", "mock_systems.standins.serve") and standins.port == STANDINS[-1].port
