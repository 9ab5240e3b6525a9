"""Who checks identities: the verifier each setting names, a built-in or "package.module:Class".

- ``enterprise_verifier`` (工商认证) and ``identity_verifier`` (实名认证, 二级): built-in
  ``register_file``, the synthetic registers of :mod:`idp.verification.registers`.
- ``upgrade_verifier`` (三级): built-in ``ctid_stand_in`` (:mod:`idp.verification.ctid`), which
  answers through a development-only page and therefore does not exist in production mode.

Layer: domain (the stand-in's pages are idp/dev/ctid.py).
"""
from __future__ import annotations

import functools
import importlib

from idp.settings import Settings

BUILT_IN = {
    "register_file:enterprise": "idp.verification.registers:RegisterFileEnterpriseVerifier",
    "register_file:identity": "idp.verification.registers:RegisterFileIdentityVerifier",
    "ctid_stand_in:upgrade": "idp.verification.ctid:CtidStandIn",
}


@functools.cache
def _instance(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)()


def _resolve(name: str, role: str):
    return _instance(BUILT_IN.get(f"{name}:{role}", name))


def enterprise_verifier(settings: Settings):
    return _resolve(settings.enterprise_verifier, "enterprise")


def identity_verifier(settings: Settings):
    return _resolve(settings.identity_verifier, "identity")


def upgrade_verifier(settings: Settings):
    """The 三级 check, or None when none is available (the stand-in in production mode)."""
    if settings.upgrade_verifier == "ctid_stand_in" and settings.is_production:
        return None
    return _resolve(settings.upgrade_verifier, "upgrade")
