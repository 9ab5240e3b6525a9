"""`make run` (deploy/run_local.py): the stand-ins are one of its services, and the banner it
prints names every system of the catalogue with its address and the stand-ins' demo logins."""
from __future__ import annotations

import yaml

from deploy.run_local import SERVICES, banner
from idp.settings import Settings
from mock_systems.standins import STANDINS


def test_the_banner_names_every_catalogue_system_with_its_address():
    printed = banner(SERVICES)
    for entry in yaml.safe_load(Settings().catalogue_path.read_text(encoding="utf-8"))["systems"]:
        assert entry["display_name"] in printed
        assert entry["binding_api_uri"] + "/" in printed
    assert "appointments_demo on :8115, 网上预约系统" in printed
    assert "udi_staff" in printed


def test_the_stand_ins_are_one_process_answering_on_the_last_port():
    (standins,) = [s for s in SERVICES if s.command]
    assert standins.command[-2:] == ("-m", "mock_systems.standins.serve") and standins.port == STANDINS[-1].port
