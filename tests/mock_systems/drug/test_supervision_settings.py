"""The drug system's settings for its second provider (mock_systems/drug/supervision.py): `make
run`'s supervision portal by default, BIZ_DRUG_SUPERVISION_… variables over them, and the
system's own base URL, database and timings under the /supervision prefix."""
from __future__ import annotations

from mock_systems.common import settings_for
from mock_systems.common.settings import PROJECT_ROOT
from mock_systems.drug import PROFILE as DRUG
from mock_systems.drug.supervision import supervision_settings


def test_the_defaults_are_make_runs_supervision_portal():
    main = settings_for(DRUG, base_url="https://drug.example.test", client_secret="enterprise-secret")
    settings = supervision_settings(main)
    assert (settings.issuer, settings.client_id) == ("http://127.0.0.1:8300", "drug_supervision")
    assert settings.base_url == "https://drug.example.test/supervision"
    assert settings.database_url == main.database_url and "supervision" in settings.scope.split()
    assert settings.client_secret is None  # never the enterprises' portal's secret
    assert settings.client_secrets_file == PROJECT_ROOT / "var" / "supervision-client-secrets.json"


def test_environment_variables_of_its_own_win(monkeypatch):
    monkeypatch.setenv("BIZ_DRUG_SUPERVISION_ISSUER", "https://supervision.example.gov.cn")
    monkeypatch.setenv("BIZ_DRUG_SUPERVISION_CLIENT_ID", "drug_sup")
    monkeypatch.setenv("BIZ_DRUG_SUPERVISION_CLIENT_SECRET", "sup-secret")
    settings = supervision_settings(settings_for(DRUG))
    assert (settings.issuer, settings.client_id, settings.secret()) == (
        "https://supervision.example.gov.cn", "drug_sup", "sup-secret")
