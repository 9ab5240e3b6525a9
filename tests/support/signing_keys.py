"""RSA signing keys made once per run for the in-process portals.

Every in-process portal starts on a new database and makes its signing keys (OIDC Core §10.1);
a 2048-bit RSA key takes 50–500 ms of CPU, more than the rest of the portal's start, and a run
starts a portal for most of its tests. The key pool makes the first ``POOL_SIZE`` RSA keys as
the portal would and then hands them out again in turn: the keys of one database (first start
and any rotation, up to ``POOL_SIZE`` of them) are still distinct key pairs, each under a kid of
its own; only portals on different databases share key material. EC keys are made as usual (they
take microseconds). Portals started as processes (tests/support/live.py) make their own keys.
"""
from __future__ import annotations

import contextlib

import pytest

from idp.keys import store

POOL_SIZE = 8


class KeyPool:
    """Stands in for the store's key generation: the real one for all but RSA, which is reused."""

    def __init__(self, generate):
        self.generate = generate
        self.rsa: list = []
        self.handed_out = 0

    def __call__(self, alg: str):
        if alg != "RS256":
            return self.generate(alg)
        if len(self.rsa) < POOL_SIZE:
            self.rsa.append(self.generate(alg))
            return self.rsa[-1]
        self.handed_out += 1
        return self.rsa[self.handed_out % POOL_SIZE]


@contextlib.contextmanager
def pooled_rsa_keys():
    with pytest.MonkeyPatch.context() as patch:
        pool = KeyPool(store._generate)  # the one place where the store makes a key pair
        patch.setattr(store, "_generate", pool)
        yield pool
