"""A production configuration that passes every start-up check, for tests of production mode."""
from __future__ import annotations

import secrets
from pathlib import Path

from idp.settings import DEVELOPMENT_KEY_ENCRYPTION_KEY

# A business-system catalogue production accepts: https only (the development one is http).
HTTPS_CATALOGUE = """systems:
  - client_id: udi
    display_name: "医疗器械唯一标识管理信息系统"
    redirect_uris: ["https://udi.example.gov.cn/auth/callback"]
    grant_types: [authorization_code]
    scopes: [openid, profile]
"""


class AuthorityStub:
    """Stands for an operator's connector to the real registers (a module:Class setting)."""

    async def verify(self, claim) -> bool:
        return False


STUB = f"{__name__}:AuthorityStub"


def production_overrides(tmp_path: Path | None = None, **extra) -> dict:
    """Settings values for production mode; with ``tmp_path``, an https catalogue is written there."""
    values = dict(
        environment="production", key_encryption_key=secrets.token_urlsafe(32),
        # the test database's data keys were wrapped with the development key: it still unwraps them,
        # as after a rotation of the key-encryption key (docs/operations.md)
        previous_key_encryption_keys=DEVELOPMENT_KEY_ENCRYPTION_KEY, captcha_provider="image",
        pairwise_salt=secrets.token_urlsafe(32), message_sink="smtp", sms_gateway_url="https://sms.example.gov.cn/send",
        sms_sign_name="政务服务门户",
        sms_template_code="SMS_100001", sms_template_notice="SMS_100002", sms_access_key_id="portal",
        sms_access_key_secret=secrets.token_urlsafe(24), argon2_memory_kib=19456,
        argon2_time_cost=2, enterprise_verifier=STUB, identity_verifier=STUB,
    )
    if tmp_path is not None:
        catalogue = tmp_path / "systems.yaml"
        catalogue.write_text(HTTPS_CATALOGUE, encoding="utf-8")
        values["catalogue_path"] = catalogue
    values.update(extra)
    return values
