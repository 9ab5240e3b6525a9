"""Configuration of one business system: environment variables with its own prefix.

``BIZ_UDI_ISSUER``, ``BIZ_CLASSIFICATION_DATABASE_URL``… (the prefix comes from the profile,
:attr:`SystemProfile.env_prefix`). Defaults are for `make run` on one machine: the portal on
http://127.0.0.1:8000, the system on its own port, its database in var/<client_id>.sqlite3 and
its client secret in var/client-secrets.json, which `idp seed-demo` writes.
"""
from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Literal

import certifi
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from mock_systems.common.profile import SystemProfile

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SECRETS_FILE = PROJECT_ROOT / "var" / "client-secrets.json"


class MissingClientSecret(RuntimeError):
    """Neither the environment nor the secrets file holds this system's client secret."""


class SystemSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    issuer: str = "http://127.0.0.1:8000"  # the portal, byte for byte as in its ID tokens
    # Left empty, these three take the profile's values (see settings_for).
    client_id: str = ""
    base_url: str = ""  # where the browser reaches this system, without a trailing slash
    database_url: str = ""
    client_secret: SecretStr | None = None  # else read from client_secrets_file
    client_secrets_file: Path = SECRETS_FILE

    # What the home page shows needs these; id_number would ask the user's consent every time.
    scope: str = "openid profile identity enterprise"
    http_timeout_seconds: float = 10.0
    # A PEM file of CA certificates to trust for the portal's https, besides the usual public
    # ones (certifi's): a portal behind a load balancer with a private or self-signed CA
    # (`make cluster`). Verification is never turned off.
    ca_bundle: Path | None = None
    jwks_cache_seconds: int = 60  # the portal serves its JWKS with max-age=60
    jwks_refetch_seconds: float = 10.0  # an unknown kid re-fetches at most this often
    clock_skew_seconds: int = 30

    login_ttl_seconds: int = 600  # a login at the portal must come back within this
    session_idle_seconds: int = 30 * 60
    session_absolute_seconds: int = 8 * 3600

    argon2_memory_kib: int = 19456  # OWASP's minimum, as the portal
    argon2_time_cost: int = 2
    # "test": every captcha's answer is captcha_test_answer (still single use); for tests only.
    captcha_provider: Literal["image", "test"] = "image"
    captcha_test_answer: str = "TEST"
    seed_demo_accounts: bool = True

    # The outbox of calls to the portal (binding_outbox.py): how often the background loop looks
    # for due calls, the back-off between attempts, and how long a claimed call stays claimed.
    outbox_poll_seconds: float = 5.0
    outbox_backoff_seconds: float = 2.0  # doubled at each failed attempt, up to the maximum
    outbox_backoff_max_seconds: float = 300.0
    outbox_lease_seconds: float = 60.0

    # Logs and metrics as the portal's (docs/operations.md): level, "text" or "json" (one JSON
    # object per line), and the SHA-256 (hex) of the bearer token /metrics asks for (empty: open).
    log_level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    log_format: Literal["json", "text"] = "text"
    metrics_token_digest: str = ""

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    def tls_verification(self) -> ssl.SSLContext:
        """What the HTTP client verifies the portal's certificate against."""
        context = ssl.create_default_context(cafile=certifi.where())
        if self.ca_bundle is not None:
            context.load_verify_locations(cafile=self.ca_bundle)  # a missing file stops the start
        return context

    def endpoint(self, path: str) -> str:
        return self.base_url + path

    def secret(self) -> str:
        """The client secret: from the environment, else from the secrets file (read each time,
        so a secret rotated by `idp clients rotate-secret` and written there needs no restart)."""
        if self.client_secret is not None:
            return self.client_secret.get_secret_value()
        try:
            secrets = json.loads(self.client_secrets_file.read_text())
        except (OSError, ValueError) as exc:
            raise MissingClientSecret(f"no client secret: set the environment variable or run `idp seed-demo` "
                                      f"({self.client_secrets_file}: {exc.__class__.__name__})") from exc
        if not isinstance(secrets, dict) or not isinstance(secrets.get(self.client_id), str):
            raise MissingClientSecret(f"{self.client_secrets_file} holds no secret for {self.client_id}")
        return secrets[self.client_id]


def settings_for(profile: SystemProfile, **values) -> SystemSettings:
    """The settings of one system: ``values``, then its environment variables, then defaults."""
    # pydantic-settings' init-time prefix; the dataclass-style signature mypy sees omits it.
    settings = SystemSettings(_env_prefix=profile.env_prefix, **values)  # type: ignore[call-arg]
    defaults = {
        "client_id": profile.client_id,
        "base_url": f"http://127.0.0.1:{profile.port}",
        "database_url": f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / (profile.client_id + '.sqlite3')}",
    }
    missing = {name: value for name, value in defaults.items() if not getattr(settings, name)}
    settings = settings.model_copy(update=missing)
    return settings.model_copy(update={"base_url": settings.base_url.rstrip("/")})
