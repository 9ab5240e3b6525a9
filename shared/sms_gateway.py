"""The SMS gateway's request, as Chinese SMS services expect it: a signature (签名), a template
code and its parameters, authenticated by an access key and an HMAC of the request. The portal
and the business systems send their SMS this way (each with its own key and templates).

China's SMS services accept no free text: the operator registers a signature and one template
per kind of message with the carrier, and each request names them and fills the template's
parameters. The request is JSON posted to the gateway's URL::

    {"PhoneNumbers": "13800000000", "SignName": "政务服务门户",
     "TemplateCode": "SMS_100001", "TemplateParam": "{\\"code\\":\\"123456\\",…}"}

with the headers ``X-Sms-Access-Key-Id``, ``X-Sms-Timestamp`` (Unix seconds), ``X-Sms-Nonce``
(random, single use) and ``X-Sms-Signature``: base64 of HMAC-SHA256, keyed with the access key
secret, over ``POST\\n<path>\\n<timestamp>\\n<nonce>\\n<hex SHA-256 of the body>``. A gateway
in front of a particular cloud's API translates this (docs/operations.md, "Sending SMS and
e-mail").
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class GatewayAccount:
    """Where and as whom a sender sends: the gateway's URL, the registered signature, the key."""

    url: str
    sign_name: str
    access_key_id: str
    access_key_secret: str


def string_to_sign(path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return "\n".join(("POST", path, timestamp, nonce, hashlib.sha256(body).hexdigest())).encode()


def signature(secret: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), string_to_sign(path, timestamp, nonce, body), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def sms_request(account: GatewayAccount, mobile: str, template_code: str,
                params: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one signed send request."""
    body = json.dumps({
        "PhoneNumbers": mobile, "SignName": account.sign_name, "TemplateCode": template_code,
        "TemplateParam": json.dumps(params, ensure_ascii=False, sort_keys=True),
    }, ensure_ascii=False).encode()
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    path = urlsplit(account.url).path or "/"
    return body, {
        "Content-Type": "application/json; charset=utf-8",
        "X-Sms-Access-Key-Id": account.access_key_id,
        "X-Sms-Timestamp": timestamp,
        "X-Sms-Nonce": nonce,
        "X-Sms-Signature": signature(account.access_key_secret, path, timestamp, nonce, body),
    }
