"""The portal's account at the SMS gateway and its templates (the signed request itself is
shared/sms_gateway.py, which the business systems use too)."""
from __future__ import annotations

from idp.settings import Settings
from shared.sms_gateway import GatewayAccount, sms_request


def template_for(settings: Settings, kind: str) -> str:
    """The template code registered for a kind of message (``code`` or ``notice``)."""
    return {"code": settings.sms_template_code, "notice": settings.sms_template_notice}[kind]


def portal_sms_request(settings: Settings, mobile: str, kind: str,
                       params: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one signed send request of the portal's."""
    account = GatewayAccount(settings.sms_gateway_url, settings.sms_sign_name, settings.sms_access_key_id,
                             settings.sms_access_key_secret.get_secret_value())
    return sms_request(account, mobile, template_for(settings, kind), params)
