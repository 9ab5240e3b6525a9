"""The envelope of one encrypted value (docs/security.md, "Envelope"): SM4-GCM and AES-256-GCM
round-trip, each value names its key, and an altered value, a value moved to another column or
one under a key the ring lacks does not decrypt."""
from __future__ import annotations

import pytest

from idp.personal_data.cipher import (
    AES_256_GCM,
    HMAC_SM3,
    SM4_GCM,
    DataKey,
    UndecryptableValue,
    blind_index,
    new_secret,
    version_of,
)
from idp.personal_data.columns import Sealed, SealedComparisonRefused
from idp.personal_data.ring import PersonalDataRing

NUMBER = "11010519491231002X"


def ring(*algorithms: str) -> PersonalDataRing:
    keys = {version: DataKey(version, algorithm, new_secret(algorithm))
            for version, algorithm in enumerate(algorithms, start=1)}
    return PersonalDataRing(keys, max(keys), DataKey(99, HMAC_SM3, new_secret(HMAC_SM3)))


@pytest.mark.parametrize("algorithm", [SM4_GCM, AES_256_GCM])
def test_a_value_round_trips_and_names_its_key(algorithm):
    keys = ring(algorithm)
    sealed = keys.seal(NUMBER, "accounts.id_number")
    assert NUMBER not in sealed and version_of(sealed) == 1
    assert keys.open(sealed, "accounts.id_number") == NUMBER
    assert keys.seal(NUMBER, "accounts.id_number") != sealed  # a fresh nonce each time


def test_values_under_an_sm4_key_and_an_aes_key_both_open():
    old = ring(SM4_GCM)
    sealed_old = old.seal(NUMBER, "accounts.id_number")
    both = PersonalDataRing({1: old.cipher_keys[1], 2: DataKey(2, AES_256_GCM, new_secret(AES_256_GCM))}, 2,
                            old.index_key)
    sealed_new = both.seal(NUMBER, "accounts.id_number")
    assert version_of(sealed_new) == 2
    assert both.open(sealed_old, "accounts.id_number") == both.open(sealed_new, "accounts.id_number") == NUMBER


@pytest.mark.parametrize("spoil", [
    lambda s: s[:-2] + ("AA" if not s.endswith("AA") else "BB"),  # the tag altered
    lambda s: s[:10],  # truncated
    lambda s: "7" + s[s.index("$"):],  # a version the ring does not hold
    lambda s: "not an envelope",
])
def test_an_altered_value_does_not_open(spoil):
    keys = ring(SM4_GCM)
    with pytest.raises(UndecryptableValue):
        keys.open(spoil(keys.seal(NUMBER, "accounts.id_number")), "accounts.id_number")


def test_a_value_copied_into_another_column_does_not_open():
    keys = ring(SM4_GCM)
    with pytest.raises(UndecryptableValue):
        keys.open(keys.seal("13800138000", "accounts.mobile"), "consultations.mobile")


def test_the_blind_index_is_keyed_and_deterministic():
    key, other = (DataKey(1, HMAC_SM3, new_secret(HMAC_SM3)) for _ in range(2))
    assert blind_index(key, NUMBER) == blind_index(key, NUMBER) != blind_index(other, NUMBER)
    assert len(blind_index(key, NUMBER)) == 64


def test_comparing_an_encrypted_column_with_a_value_is_refused():
    from idp.accounts.models import Account

    with pytest.raises(SealedComparisonRefused):
        Account.mobile == "13800138000"  # noqa: B015 (the comparison itself raises)
    assert isinstance(Account.__table__.c.mobile.type, Sealed)
    assert str(Account.mobile.is_(None))  # NULL checks stay allowed
