"""Configuration: environment variables with the ``IDP_`` prefix.

Development defaults let ``make run`` work on a fresh machine; production mode refuses to
start while any of them is still in force (see :meth:`Settings.check_production`).
"""
from __future__ import annotations

import ipaddress
import re
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# A fixed, public value: only ever acceptable outside production mode.
DEVELOPMENT_KEY_ENCRYPTION_KEY = "development-only-key-encryption-key-not-secret"
DEVELOPMENT_PAIRWISE_SALT = "development-only-pairwise-salt-not-secret"


class ProductionConfigError(RuntimeError):
    """Raised at start-up when production mode would run on development defaults."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IDP_", env_file=None, extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'idp.sqlite3'}"
    issuer: str = "http://127.0.0.1:8000"
    auto_migrate: bool = True
    # Each of an instance's two PostgreSQL pools (writers, readers) keeps up to database_pool_size
    # connections open and opens up to database_max_overflow more under load: one instance may
    # hold 2 × (size + overflow) connections (docs/operations.md, "Sizing"). On SQLite they size the
    # readers' pool only (its writers share one connection).
    database_pool_size: int = Field(default=20, ge=1)
    database_max_overflow: int = Field(default=10, ge=0)

    # Signing keys live in the database, their private halves encrypted with this key.
    key_storage: Literal["database"] = "database"
    key_encryption_key: SecretStr = SecretStr(DEVELOPMENT_KEY_ENCRYPTION_KEY)
    # Keys that encrypted before the current one, comma-separated: they still decrypt (never
    # encrypt) until `idp keys rewrap` has re-encrypted every stored secret with the current key
    # (docs/operations.md, "Key-encryption key rotation").
    previous_key_encryption_keys: SecretStr = SecretStr("")
    # A rotated-in key is published this long before it signs (RPs refresh their JWKS cache).
    # Keys pairwise subjects (idp.clients.pairwise, OIDC Core §8.1). Secret, and never changed:
    # a new salt gives every user a new sub at every pairwise system, whose links then break.
    pairwise_salt: SecretStr = SecretStr(DEVELOPMENT_PAIRWISE_SALT)
    key_publish_lead_seconds: int = 600
    key_cache_seconds: int = 60
    # The cipher of new data keys for ID numbers, mobiles and e-mail addresses (docs/security.md).
    personal_data_cipher: Literal["SM4-GCM", "AES-256-GCM"] = "SM4-GCM"
    # Rows per transaction of `idp keys reencrypt`.
    reencrypt_batch_size: int = 200
    client_cache_seconds: int = 30

    # What kind of deployment this is (docs/supervision.md). The defaults are the public portal:
    # people register themselves and log in through 法人登录 or 个人登录. A staff deployment (the
    # supervision portal, 综合监管门户) turns self-registration off (/register refused, no 注册
    # links), has one login window (officials, by username; accounts opened by its operators:
    # `idp officials create`) and requires TOTP of every account at every login.
    self_registration: bool = True
    login_windows: Literal["personal_and_legal", "single"] = "personal_and_legal"
    totp_required: bool = False

    catalogue_path: Path = PROJECT_ROOT / "idp" / "catalogue" / "systems.yaml"
    # 公共服务: the 事项 and the system that handles each (idp/public_services).
    services_path: Path = PROJECT_ROOT / "idp" / "catalogue" / "services.yaml"
    # `idp seed-demo` writes the local business systems' client secrets here (development only;
    # `make cluster` keeps its own beside its database).
    demo_secrets_file: Path = PROJECT_ROOT / "var" / "client-secrets.json"

    authorization_code_ttl_seconds: int = 60
    access_token_ttl_seconds: int = 600
    # JWT access tokens (RFC 9068) are signed with ES256 by default: ≈ 6× cheaper to sign than
    # RS256 on the token path; ID tokens stay RS256 unless a client registers otherwise (OIDC Core §3.1.3.7).
    access_token_signing_alg: Literal["ES256", "RS256"] = "ES256"
    id_token_ttl_seconds: int = 600
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    interaction_ttl_seconds: int = 900
    # Pushed authorization requests (RFC 9126): how long a request_uri stays usable (its
    # expires_in), and whether every client must push its requests (else only those registered so).
    par_ttl_seconds: int = 60
    require_pushed_authorization_requests: bool = False
    session_idle_seconds: int = 30 * 60
    session_absolute_seconds: int = 12 * 3600
    # The staff console's sessions (their own cookie): a short idle timeout, a working day at most.
    staff_session_idle_seconds: int = 15 * 60
    staff_session_absolute_seconds: int = 8 * 3600

    # argon2id; the defaults are OWASP's minimum (19 MiB, t=2, p=1).
    argon2_memory_kib: int = 19456
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1

    captcha_provider: Literal["image", "test"] = "image"
    # Identity checks (idp.verification): a built-in name or "package.module:Class".
    enterprise_verifier: str = "register_file"  # 工商认证 at legal-person registration
    identity_verifier: str = "register_file"  # 实名认证, real-name level 二级
    upgrade_verifier: str = "ctid_stand_in"  # 三级; the stand-in answers on /dev/ctid, so never in production
    message_sink: Literal["development", "smtp"] = "development"
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_sender: str = "noreply@zwfw.example.gov.cn"
    sms_gateway_url: str = ""
    # The SMS gateway's account (docs/operations.md "Sending SMS and e-mail"): the signature
    # (签名) the operator registered, a template code per message kind, and the access key that
    # signs each request.
    sms_sign_name: str = ""
    sms_template_code: str = ""  # a one-time code; parameters code, purpose, minutes
    sms_template_notice: str = ""  # a notice (account change, consultation answer); parameter content
    sms_access_key_id: str = ""
    sms_access_key_secret: SecretStr = SecretStr("")
    # The message outbox: a failed send is retried after message_retry_seconds, doubling, at
    # most message_max_attempts times and never after the message's code expired.
    message_retry_seconds: float = 5.0
    message_max_attempts: int = 6

    # Lockout: after lockout_threshold wrong passwords within lockout_window_seconds the account
    # locks for lockout_seconds.
    lockout_threshold: int = 5
    lockout_window_seconds: int = 15 * 60
    lockout_seconds: int = 30 * 60
    one_time_code_ttl_seconds: int = 600
    one_time_code_max_attempts: int = 5
    # At most code_sends_per_window codes to one destination, and for one account, within
    # code_send_window_seconds (every code: unlock, recovery, contact changes, upgrade).
    code_sends_per_window: int = 5
    code_send_window_seconds: int = 600
    # 忘记密码 by identity data: wrong answers from one source address within the window
    # before that address is refused until the window ends (wrong answers also count
    # against the account's lockout, like wrong passwords).
    recovery_identity_failures_per_address: int = 10
    recovery_identity_address_window_seconds: int = 3600
    # 咨询: questions filed from one source address per window, and lookups without login from
    # one source address per window (the lookup is keyed by name, mobile and e-mail: a guesser
    # gets few tries).
    consultations_per_address: int = 10
    consultation_window_seconds: int = 3600
    consultation_lookups_per_address: int = 10
    consultation_lookup_window_seconds: int = 3600

    # Rate limits (idp.limits.rates; docs/operations.md, "Rate limits"): budgets by limit name,
    # "login_per_address=60/600,login_per_account=20/600" (hits per seconds) over the defaults.
    rate_limits: str = ""
    # Empty: the counters are in the database. A redis:// URL: in that Redis (one for all instances).
    rate_limit_redis_url: SecretStr = SecretStr("")
    # The reverse proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For is believed:
    # the client address is the last hop before them. Empty: the header is ignored (it is the
    # client's to forge) and the address is the TCP peer's.
    trusted_proxies: str = ""

    backchannel_logout_timeout_seconds: float = 5.0
    backchannel_retry_seconds: float = 30.0
    backchannel_max_attempts: int = 8
    background_worker: bool = True
    # SHA-256 (hex) of the bearer token of the staff API (/admin/api/…); empty: the API is off.
    admin_api_token_digest: str = ""

    # The audit log is kept this long, then purged by the background loop (export it first to
    # archive it: ``idp audit export``). Production refuses less than 180 days, and the database
    # refuses to delete a younger row whatever this says.
    audit_retention_days: int = 180

    # SHA-256 (hex) of the bearer token /metrics asks for; empty: /metrics is open outside
    # production and does not exist in production (docs/operations.md, "Metrics").
    metrics_token_digest: str = ""

    # The site's name in every page's header and title: empty is the portal's own (国家药品监督管理局
    # 政务服务门户); a second deployment (e.g. the 国家政务服务平台 stand-in of `make run`) names itself.
    site_name: str = ""
    # Put before every cookie's name (idp_session, idp_browser, staff_session): deployments on one
    # host (cookies are per host, not per port) keep apart, e.g. `make run`'s supervision portal.
    cookie_prefix: str = ""
    # Demo data (`idp seed-demo`): the accounts (a YAML list; empty: idp/demo.py's); where the local
    # systems' client secrets are written is demo_secrets_file above.
    demo_accounts_path: Path | None = None

    # 国家政务服务平台账号登录 (idp/flows/upstream; docs/accounts.md): the upstream OpenID provider,
    # named by configuration only. Empty discovery URL: the login windows do not offer it.
    upstream_discovery_url: str = ""
    upstream_client_id: str = ""
    upstream_client_secret: SecretStr = SecretStr("")
    upstream_scopes: str = "openid profile email phone identity enterprise id_number"
    upstream_display_name: str = "国家政务服务平台"
    # Which upstream claim gives each of our fields (a dotted path into UserInfo, e.g.
    # "enterprise.name"); a field whose claim is missing is asked of the user or left empty.
    upstream_claims: dict[str, str] = {
        "name": "name", "id_type": "id_type", "id_number": "id_number", "mobile": "phone_number",
        "mobile_verified": "phone_number_verified", "email": "email", "email_verified": "email_verified",
        "realname_level": "realname_level", "id_valid_from": "id_valid_from",
        "id_valid_to": "id_valid_to", "enterprise_name": "enterprise.name",
        "credit_code": "enterprise.unified_social_credit_code",
    }
    # The upstream's real-name levels (the mapped claim's values) to ours; anything else is 0.
    upstream_levels: dict[str, int] = {"3": 3, "2": 2}
    upstream_timeout_seconds: float = 10.0

    # Logs (shared/logs.py): the root level, and one JSON object per line or readable text;
    # None: json in production, text elsewhere.
    log_level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    log_format: Literal["json", "text"] | None = None

    @field_validator("metrics_token_digest")
    @classmethod
    def _a_digest(cls, value: str) -> str:
        # The token itself put here by mistake would sit in the environment, and match nothing.
        if value and not re.fullmatch(r"[0-9a-fA-F]{64}", value):
            raise ValueError("IDP_METRICS_TOKEN_DIGEST is the SHA-256 of the token (64 hex digits), not the token")
        return value.lower()

    @field_validator("cookie_prefix")
    @classmethod
    def _a_cookie_name(cls, value: str) -> str:
        if value and not re.fullmatch(r"[a-z][a-z0-9_]{0,23}", value):
            raise ValueError("IDP_COOKIE_PREFIX: lower-case letters, digits and _ (at most 24), starting with a letter")
        return value

    @field_validator("rate_limits")
    @classmethod
    def _budgets(cls, value: str) -> str:
        parse_rate_limits(value)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value)
        return value

    @cached_property
    def rate_limit_overrides(self) -> dict[str, tuple[int, int]]:
        return parse_rate_limits(self.rate_limits)

    @cached_property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return parse_networks(self.trusted_proxies)

    @property
    def key_encryption_keys(self) -> list[str]:
        """The current key first (it encrypts), then the previous ones (they only decrypt)."""
        previous = [k.strip() for k in self.previous_key_encryption_keys.get_secret_value().split(",") if k.strip()]
        return [self.key_encryption_key.get_secret_value(), *previous]

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower_case(cls, value):
        return value.lower() if isinstance(value, str) else value

    @property
    def effective_log_format(self) -> Literal["json", "text"]:
        return self.log_format or ("json" if self.is_production else "text")

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def issuer_is_https(self) -> bool:
        return urlsplit(self.issuer).scheme == "https"

    @property
    def max_signed_token_ttl(self) -> int:
        """How long anything we sign stays verifiable: the unpublish delay of a retired key."""
        return max(self.access_token_ttl_seconds, self.id_token_ttl_seconds, 300)

    def check_production(self) -> None:
        """Refuse to run production on development defaults."""
        if not self.is_production:
            return
        problems = []
        if self.key_encryption_key.get_secret_value() == DEVELOPMENT_KEY_ENCRYPTION_KEY:
            problems.append("IDP_KEY_ENCRYPTION_KEY is the development key")
        if len(self.key_encryption_key.get_secret_value()) < 32:
            problems.append("IDP_KEY_ENCRYPTION_KEY must be at least 32 characters")
        if any(len(key) < 32 for key in self.key_encryption_keys[1:]):
            problems.append("each of IDP_PREVIOUS_KEY_ENCRYPTION_KEYS must be at least 32 characters")
        if not self.issuer_is_https:
            problems.append("IDP_ISSUER must be an https URL")
        if self.pairwise_salt.get_secret_value() == DEVELOPMENT_PAIRWISE_SALT:
            problems.append("IDP_PAIRWISE_SALT is the development salt")
        elif len(self.pairwise_salt.get_secret_value()) < 32:
            problems.append("IDP_PAIRWISE_SALT must be at least 32 characters")
        if self.captcha_provider == "test":
            problems.append("IDP_CAPTCHA_PROVIDER=test is for tests only")
        if self.message_sink == "development":
            problems.append("IDP_MESSAGE_SINK=development stores messages instead of sending them")
        if self.argon2_memory_kib < 19456 or self.argon2_time_cost < 2:
            problems.append("argon2id parameters are weaker than OWASP's minimum")
        for name in ("enterprise_verifier", "identity_verifier"):
            if getattr(self, name) == "register_file":
                problems.append(f"IDP_{name.upper()}=register_file checks against synthetic records")
        if self.upstream_discovery_url and urlsplit(self.upstream_discovery_url).scheme != "https":
            problems.append("IDP_UPSTREAM_DISCOVERY_URL must be an https URL")
        if self.audit_retention_days < 180:
            problems.append("IDP_AUDIT_RETENTION_DAYS must be at least 180 (the audit log is kept six months)")
        if self.message_sink == "smtp":
            for name in ("sms_gateway_url", "sms_sign_name", "sms_template_code", "sms_template_notice",
                         "sms_access_key_id"):
                if not getattr(self, name):
                    problems.append(f"IDP_{name.upper()} is required to send SMS")
            if not self.sms_access_key_secret.get_secret_value():
                problems.append("IDP_SMS_ACCESS_KEY_SECRET is required to send SMS")
        if problems:
            raise ProductionConfigError("production mode refuses to start: " + "; ".join(problems))

    @property
    def upstream_enabled(self) -> bool:
        """Offered when configured, and never where every login must pass TOTP (a staff deployment):
        a login through the upstream would not."""
        return bool(self.upstream_discovery_url and self.upstream_client_id) and not self.totp_required

    def endpoint(self, path: str) -> str:
        return self.issuer.rstrip("/") + path


def parse_rate_limits(value: str) -> dict[str, tuple[int, int]]:
    """ "name=hits/seconds,…" → {name: (hits, seconds)}; a malformed entry stops the start."""
    budgets = {}
    for entry in (e.strip() for e in value.split(",")):
        if not entry:
            continue
        match = re.fullmatch(r"([a-z_]+)\s*=\s*(\d+)\s*/\s*(\d+)", entry)
        if match is None or int(match[2]) < 1 or int(match[3]) < 1:
            raise ValueError(f"IDP_RATE_LIMITS: {entry!r} is not name=hits/seconds (both at least 1)")
        budgets[match[1]] = (int(match[2]), int(match[3]))
    return budgets


def parse_networks(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """ "10.0.0.1, 192.168.0.0/16" → networks; a malformed entry stops the start."""
    try:
        return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in value.split(",") if e.strip())
    except ValueError as exc:
        raise ValueError(f"IDP_TRUSTED_PROXIES: {exc}") from None
