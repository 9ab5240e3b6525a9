"""The SMS gateway's request, as Chinese SMS services expect it: a signature (签名), a template
code and its parameters, authenticated by an access key and an HMAC of the request.

China's SMS services accept no free text: the operator registers a signature and one template
per kind of message with the carrier, and each request names them and fills the template's
parameters. The request is JSON posted to ``IDP_SMS_GATEWAY_URL``::

    {"PhoneNumbers": "13800000000", "SignName": "政务服务门户",
     "TemplateCode": "SMS_100001", "TemplateParam": "{\\"code\\":\\"123456\\",…}"}

with the headers ``X-Sms-Access-Key-Id``, ``X-Sms-Timestamp`` (Unix seconds), ``X-Sms-Nonce``
(random, single use) and ``X-Sms-Signature``: base64 of HMAC-SHA256, keyed with the access key
secret, over ``POST\\n<path>\\n<timestamp>\\n<nonce>\\n<hex SHA-256 of the body>``. A gateway
in front of a particular cloud's API translates this (documented in docs/operations.md,
"Sending SMS and e-mail").
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from urllib.parse import urlsplit

from idp.settings import Settings

SIGNED_HEADERS = ("X-Sms-Access-Key-Id", "X-Sms-Timestamp", "X-Sms-Nonce", "X-Sms-Signature")


def string_to_sign(path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return "\n".join(("POST", path, timestamp, nonce, hashlib.sha256(body).hexdigest())).encode()


def signature(secret: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), string_to_sign(path, timestamp, nonce, body), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def template_for(settings: Settings, kind: str) -> str:
    """The template code registered for a kind of message (``code`` or ``notice``)."""
    return {"code": settings.sms_template_code, "notice": settings.sms_template_notice}[kind]


def sms_request(settings: Settings, mobile: str, kind: str, params: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one signed send request."""
    body = json.dumps({
        "PhoneNumbers": mobile, "SignName": settings.sms_sign_name, "TemplateCode": template_for(settings, kind),
        "TemplateParam": json.dumps(params, ensure_ascii=False, sort_keys=True),
    }, ensure_ascii=False).encode()
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    path = urlsplit(settings.sms_gateway_url).path or "/"
    secret = settings.sms_access_key_secret.get_secret_value()
    return body, {
        "Content-Type": "application/json; charset=utf-8",
        "X-Sms-Access-Key-Id": settings.sms_access_key_id,
        "X-Sms-Timestamp": timestamp,
        "X-Sms-Nonce": nonce,
        "X-Sms-Signature": signature(secret, path, timestamp, nonce, body),
    }
