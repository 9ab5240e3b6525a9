"""Configuration: IDP_ environment variables, and production mode refusing development defaults.

The development defaults make `make run` work on a fresh machine; an operator who forgets to
replace one of them in production must get a start-up failure that names it, not a portal
that runs with a public key-encryption key or a test captcha.
"""
from __future__ import annotations

import os
import re
import secrets

import httpx
import pytest
from pydantic import ValidationError

from idp.app import create_app, start_portal
from idp.db.engine import create_engine, create_sessionmaker
from idp.oidc.client_registration import ClientConfigError
from idp.portal import Portal
from idp.settings import (
    DEVELOPMENT_KEY_ENCRYPTION_KEY,
    DEVELOPMENT_PAIRWISE_SALT,
    PROJECT_ROOT,
    ProductionConfigError,
    Settings,
)
from tests.support.production import HTTPS_CATALOGUE, STUB

PRODUCTION_ISSUER = "https://sso.example.gov.cn"
# Reaching this database would fail: a refusal must come before the database is touched.
UNREACHABLE_DATABASE = "sqlite+aiosqlite:////nonexistent-folder/idp.sqlite3"


@pytest.fixture(autouse=True)
def no_idp_environment(monkeypatch):
    """Each test states its own configuration; the caller's IDP_ variables must not leak in."""
    for name in list(os.environ):
        if name.upper().startswith("IDP_"):
            monkeypatch.delenv(name)


def production_settings(**overrides) -> Settings:
    values = dict(
        environment="production", issuer=PRODUCTION_ISSUER, database_url=UNREACHABLE_DATABASE,
        key_encryption_key=secrets.token_urlsafe(32), captcha_provider="image", message_sink="smtp",
        pairwise_salt=secrets.token_urlsafe(32),
        sms_gateway_url="https://sms.example.gov.cn/send", sms_sign_name="政务服务门户",
        sms_template_code="SMS_100001", sms_template_notice="SMS_100002", sms_access_key_id="portal",
        sms_access_key_secret=secrets.token_urlsafe(24),
        enterprise_verifier=STUB, identity_verifier=STUB,
    )
    values.update(overrides)
    return Settings(**values)


DEVELOPMENT_DEFAULTS = {
    "synthetic enterprise register": (
        {"enterprise_verifier": "register_file"}, "IDP_ENTERPRISE_VERIFIER=register_file"),
    "synthetic identity register": ({"identity_verifier": "register_file"}, "IDP_IDENTITY_VERIFIER=register_file"),
    "development key-encryption key": (
        {"key_encryption_key": DEVELOPMENT_KEY_ENCRYPTION_KEY}, "IDP_KEY_ENCRYPTION_KEY is the development key"),
    "short key-encryption key": ({"key_encryption_key": "x" * 31}, "IDP_KEY_ENCRYPTION_KEY must be at least 32"),
    "development pairwise salt": (
        {"pairwise_salt": DEVELOPMENT_PAIRWISE_SALT}, "IDP_PAIRWISE_SALT is the development salt"),
    "short pairwise salt": ({"pairwise_salt": "s" * 31}, "IDP_PAIRWISE_SALT must be at least 32"),
    "short previous key-encryption key": (
        {"previous_key_encryption_keys": "y" * 40 + ",short"}, "IDP_PREVIOUS_KEY_ENCRYPTION_KEYS must be at least 32"),
    "no SMS signature": ({"sms_sign_name": ""}, "IDP_SMS_SIGN_NAME is required"),
    "no SMS code template": ({"sms_template_code": ""}, "IDP_SMS_TEMPLATE_CODE is required"),
    "no SMS access key secret": ({"sms_access_key_secret": ""}, "IDP_SMS_ACCESS_KEY_SECRET is required"),
    "http issuer": ({"issuer": "http://sso.example.gov.cn"}, "IDP_ISSUER must be an https URL"),
    "test captcha": ({"captcha_provider": "test"}, "IDP_CAPTCHA_PROVIDER=test"),
    "development message sink": ({"message_sink": "development"}, "IDP_MESSAGE_SINK=development"),
    "weak argon2 memory": ({"argon2_memory_kib": 64}, "argon2id parameters are weaker"),
    "weak argon2 time cost": ({"argon2_time_cost": 1}, "argon2id parameters are weaker"),
}


def test_correct_production_configuration_passes_the_check():
    production_settings().check_production()


async def test_production_refuses_the_development_catalogue_with_http_business_systems(database_url):
    settings = production_settings(database_url=database_url)
    app = create_app(settings)
    with pytest.raises(ClientConfigError, match="production mode refuses http URIs"):
        async with app.router.lifespan_context(app):
            pass


async def test_correct_production_configuration_starts_and_serves(database_url, tmp_path):
    catalogue = tmp_path / "systems.yaml"
    catalogue.write_text(HTTPS_CATALOGUE, encoding="utf-8")
    settings = production_settings(database_url=database_url, catalogue_path=catalogue)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PRODUCTION_ISSUER) as http:
            response = await http.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    assert response.json()["issuer"] == PRODUCTION_ISSUER


@pytest.mark.parametrize("overrides, problem", DEVELOPMENT_DEFAULTS.values(), ids=DEVELOPMENT_DEFAULTS.keys())
async def test_production_refuses_each_development_default(overrides, problem):
    settings = production_settings(**overrides)
    with pytest.raises(ProductionConfigError) as refused:
        settings.check_production()
    message = str(refused.value)
    assert problem in message
    assert ";" not in message, "only the one wrong setting is named"

    with pytest.raises(ProductionConfigError, match=problem):
        await start_portal(settings)
    app = create_app(settings)
    with pytest.raises(ProductionConfigError, match=problem):
        async with app.router.lifespan_context(app):
            pass


def test_production_on_all_defaults_names_every_problem():
    with pytest.raises(ProductionConfigError) as refused:
        Settings(environment="production").check_production()
    message = str(refused.value)
    for problem in ("IDP_KEY_ENCRYPTION_KEY is the development key", "IDP_ISSUER must be an https URL",
                    "IDP_MESSAGE_SINK=development"):
        assert problem in message


@pytest.mark.parametrize("environment", ["development", "test"])
def test_development_defaults_are_accepted_outside_production(environment):
    Settings(environment=environment, captcha_provider="test", argon2_memory_kib=64).check_production()


def test_idp_environment_variables_are_read(monkeypatch):
    key = secrets.token_urlsafe(32)
    monkeypatch.setenv("IDP_ENVIRONMENT", "production")
    monkeypatch.setenv("IDP_ISSUER", PRODUCTION_ISSUER)
    monkeypatch.setenv("IDP_KEY_ENCRYPTION_KEY", key)
    monkeypatch.setenv("IDP_PAIRWISE_SALT", secrets.token_urlsafe(32))
    monkeypatch.setenv("IDP_MESSAGE_SINK", "smtp")
    monkeypatch.setenv("IDP_SMS_GATEWAY_URL", "https://sms.example.gov.cn/send")
    for name, value in (("SIGN_NAME", "政务服务门户"), ("TEMPLATE_CODE", "SMS_1"), ("TEMPLATE_NOTICE", "SMS_2"),
                        ("ACCESS_KEY_ID", "portal"), ("ACCESS_KEY_SECRET", secrets.token_urlsafe(24))):
        monkeypatch.setenv(f"IDP_SMS_{name}", value)
    monkeypatch.setenv("IDP_ENTERPRISE_VERIFIER", STUB)
    monkeypatch.setenv("IDP_IDENTITY_VERIFIER", STUB)
    monkeypatch.setenv("IDP_DATABASE_URL", "postgresql+asyncpg://idp@db.internal/idp")
    monkeypatch.setenv("IDP_ACCESS_TOKEN_TTL_SECONDS", "300")
    monkeypatch.setenv("IDP_BACKGROUND_WORKER", "false")
    monkeypatch.setenv("ISSUER", "https://unprefixed.example")  # only IDP_ names count

    settings = Settings()

    assert settings.is_production
    assert settings.issuer == PRODUCTION_ISSUER
    assert settings.key_encryption_key.get_secret_value() == key
    assert settings.message_sink == "smtp"
    assert settings.database_url == "postgresql+asyncpg://idp@db.internal/idp"
    assert settings.access_token_ttl_seconds == 300
    assert settings.background_worker is False
    settings.check_production()
    assert key not in repr(settings), "the key must not show up in logs or tracebacks"


async def test_production_from_environment_alone_refuses_to_start(monkeypatch):
    monkeypatch.setenv("IDP_ENVIRONMENT", "production")
    monkeypatch.setenv("IDP_DATABASE_URL", UNREACHABLE_DATABASE)
    app = create_app()
    with pytest.raises(ProductionConfigError, match="IDP_KEY_ENCRYPTION_KEY is the development key"):
        async with app.router.lifespan_context(app):
            pass


def test_misspelt_environment_is_an_error_not_development(monkeypatch):
    monkeypatch.setenv("IDP_ENVIRONMENT", "prod")
    with pytest.raises(ValidationError, match="environment"):
        Settings()


def test_readme_documents_every_setting():
    """Operators configure the portal from the README's table: it must name every IDP_ variable."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(IDP_[A-Z0-9_]+)` \|", readme, flags=re.MULTILINE))
    settings = {"IDP_" + name.upper() for name in Settings.model_fields}
    assert sorted(settings - documented) == [], "missing from the README's configuration table"


async def test_the_pool_settings_size_both_of_an_instances_postgresql_pools():
    """Several instances share one server's max_connections: IDP_DATABASE_POOL_SIZE and
    IDP_DATABASE_MAX_OVERFLOW bound the writers' pool and the readers' alike."""
    settings = Settings(database_url="postgresql+asyncpg://postgres@127.0.0.1:5432/unused", database_pool_size=3,
                        database_max_overflow=2)
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size,
                           max_overflow=settings.database_max_overflow)  # as start_portal (nothing connects)
    try:
        portal = Portal.build(settings, engine, create_sessionmaker(engine), httpx.AsyncClient())
        for pool in (engine.pool, portal.reader.kw["bind"].pool):
            assert (pool.size(), pool._max_overflow) == (3, 2)  # QueuePool shows its overflow bound no other way
    finally:
        await engine.dispose()
    with pytest.raises(ValidationError):
        Settings(database_pool_size=0)
