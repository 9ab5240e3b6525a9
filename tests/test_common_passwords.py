"""The check of new passwords against the shipped list of common breached passwords and the
account's own data (shared.common_passwords, shared.passwords; ASVS 5.0 V6.2.4)."""
import gzip
from importlib import resources

import pytest

from shared.common_passwords import common_passwords, is_common
from shared.identity import InvalidIdentifier
from shared.passwords import uses_personal_data, validate_password

ZHANGSAN = ("zhangsan", "张三", "13800138000", "110000198506120133", None, None)
# Each meets the 3-of-4 rule; each was accepted before the list was checked.
COMMON = ["Password@123", "P@ssw0rd", "Admin@123", "1qaz@WSX", "Qwerty@123", "Iloveyou!", "ABC123abc!",
          "Abcdef12", "1QAZ2wsx#"]


def test_the_shipped_list_is_large_lower_cased_and_starts_with_the_most_common():
    listed = common_passwords()
    assert len(listed) > 50_000
    assert {"123456", "password", "qwerty", "1qaz2wsx", "p@ssw0rd", "woaini1314"} <= listed
    assert all(entry == entry.lower() for entry in listed)
    raw = resources.files("shared").joinpath("data/common-passwords.txt.gz").read_bytes()
    assert gzip.decompress(raw).decode().split()[:2] == ["123456", "password"]
    assert common_passwords() is listed  # loaded once


@pytest.mark.parametrize("password", COMMON)
def test_common_passwords_and_their_dressed_up_forms_are_refused(password):
    assert is_common(password)
    with pytest.raises(InvalidIdentifier) as err:
        validate_password(password, ZHANGSAN)
    assert err.value.message_id == "password.common"


@pytest.mark.parametrize("password", ["Xk9#mQ2vB!", "Tq7$Lm2025!", "Neu#Passwort2026", "Test@2026pass",
                                      "ABC!@#12xy", "Aa1!Aa1!Aa1!Kz7"])
def test_uncommon_passwords_pass(password):
    assert not is_common(password)
    assert validate_password(password, ZHANGSAN) == password


@pytest.mark.parametrize("password", [
    "Zhangsan@A1",        # the username
    "ZHANGSAN#2026x",     # in any case
    "Zs@13800138000",     # the mobile
    "Ab#138000x",         # its last six digits
    "Id#120133a",         # the ID number's last six
    "Bd#19850612",        # the birth date in the ID number
    "Xq#110000198506120133"[:16],
])
def test_passwords_made_of_the_accounts_own_data_are_refused(password):
    with pytest.raises(InvalidIdentifier) as err:
        validate_password(password, ZHANGSAN)
    assert err.value.message_id == "password.personal"


def test_personal_data_checks_whole_values_and_skips_missing_ones():
    assert uses_personal_data("Zs#2026john", (None, "John Smith", ""))  # a part of a Latin name
    assert not uses_personal_data("Zs#2026li", (None, "Li Na"))  # too short to mean anything
    assert not uses_personal_data("Kq7#vLm2xR", ZHANGSAN)
    assert not uses_personal_data("Kq7#123456x", ZHANGSAN)  # six digits that are in none of them


def test_the_rule_is_checked_first():
    with pytest.raises(InvalidIdentifier) as err:
        validate_password("password", ZHANGSAN)
    assert err.value.message_id == "password.rule"
