"""The identity-number, contact and password rules over the field notes' test vectors."""
import json
from pathlib import Path

import pytest

from shared.identity import (
    InvalidIdentifier,
    convert_15_to_18,
    validate_citizen_id,
    validate_credit_code,
    validate_email,
    validate_mobile,
)
from shared.messages import MESSAGES
from shared.passwords import validate_password

# A copy of the field notes' synthetic vectors (GB 32100, GB 11643), kept with the tests.
VECTORS = json.loads((Path(__file__).parent / "data" / "china-identity-vectors.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", VECTORS["uscc"]["valid"], ids=lambda c: c["value"])
def test_valid_credit_codes_pass_without_warning(case):
    assert validate_credit_code(case["value"]).value == case["value"]
    assert validate_credit_code(case["value"]).warnings == ()


@pytest.mark.parametrize("case", VECTORS["uscc"]["invalid"], ids=lambda c: c["value"])
def test_invalid_credit_codes_are_rejected(case):
    with pytest.raises(InvalidIdentifier) as err:
        validate_credit_code(case["value"])
    assert err.value.message_id in MESSAGES


def test_credit_code_failing_only_the_org_code_check_passes_with_a_warning():
    case = VECTORS["uscc"]["valid_with_warning"][0]
    result = validate_credit_code(case["value"])
    assert result.warnings == ("credit_code.org_code_check",)


def test_credit_code_is_normalised_before_checking():
    case = VECTORS["uscc"]["valid_after_normalisation"][0]
    assert validate_credit_code(case["input"]).value == case["normalised"]


@pytest.mark.parametrize("case", VECTORS["citizen_id"]["valid"], ids=lambda c: c["value"])
def test_valid_citizen_ids_pass(case):
    assert validate_citizen_id(case["value"]) == case["value"]


@pytest.mark.parametrize("case", VECTORS["citizen_id"]["invalid"], ids=lambda c: c["value"])
def test_invalid_citizen_ids_are_rejected(case):
    with pytest.raises(InvalidIdentifier):
        validate_citizen_id(case["value"])


def test_lower_case_x_is_stored_upper_case():
    case = VECTORS["citizen_id"]["valid_after_normalisation"][0]
    assert validate_citizen_id(case["input"]) == case["normalised"]


@pytest.mark.parametrize("case", VECTORS["citizen_id_15_digit"]["valid"], ids=lambda c: c["value15"])
def test_fifteen_digit_ids_convert_to_eighteen(case):
    assert convert_15_to_18(case["value15"]) == case["value18"]
    assert validate_citizen_id(case["value15"]) == case["value18"]


@pytest.mark.parametrize("case", VECTORS["citizen_id_15_digit"]["invalid"], ids=lambda c: c["value15"])
def test_fifteen_digit_id_with_impossible_date_is_rejected(case):
    with pytest.raises(InvalidIdentifier) as err:
        convert_15_to_18(case["value15"])
    assert err.value.message_id == "id_number.birth_date"


@pytest.mark.parametrize("raw", ["13800138000", "+8613800138000", "0086 138-0013-8000", "８６13800138000"])
def test_mobile_numbers_normalise(raw):
    assert validate_mobile(raw) == "13800138000"


@pytest.mark.parametrize("raw", ["12800138000", "1380013800", "138001380001", "abc"])
def test_bad_mobile_numbers_are_rejected(raw):
    with pytest.raises(InvalidIdentifier):
        validate_mobile(raw)


def test_email_domain_is_lower_cased_and_digit_local_parts_allowed():
    assert validate_email("12345678@QQ.com") == "12345678@qq.com"
    with pytest.raises(InvalidIdentifier):
        validate_email("no-at-sign.example.com")


@pytest.mark.parametrize("password", ["Kqvxwz12", "kqv123!@#", "ABC!@#12xy", "Aa1!Aa1!Aa1!Aa1!"])
def test_passwords_meeting_the_rule(password):
    assert validate_password(password) == password


@pytest.mark.parametrize("password", ["Ab1!", "abcdefgh1", "ABCDEFGH!", "Aa1!Aa1!Aa1!Aa1!x", "Abc 12345",
                                      "Abc\x0012345", "Abc\t12345", "Abc密码12345"])
def test_passwords_breaking_the_rule(password):
    with pytest.raises(InvalidIdentifier) as err:
        validate_password(password)
    assert err.value.message_id == "password.rule"
