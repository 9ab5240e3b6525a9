"""Reading the 机构信息完善 form (mock_systems/udi/forms.py): the portal's checks and messages
for the credit code, the mobile and the e-mail; every error at once; normalised values."""
from __future__ import annotations

import pytest

from mock_systems.udi.forms import read_details
from shared.messages import text
from tests.mock_systems.udi.conftest import CREDIT_CODE, DETAILS


def test_good_details_are_normalised_and_choose_the_channel():
    details, _, errors = read_details({**DETAILS, "credit_code": " 91110105pdy0001752 ",
                                       "contact_phone": "+86 138-0000-0000"})
    assert errors == {} and details.credit_code == CREDIT_CODE and details.contact_phone == "13800000000"
    assert details.channel == "sms"
    with_email, _, _ = read_details({**DETAILS, "contact_email": "Li@Example.COM"})
    assert with_email.contact_email == "Li@example.com" and with_email.channel == "email"


@pytest.mark.parametrize("field, value, message", [
    ("organisation_name", "  ", text("udi.field_required", field="机构名称")),
    ("address", "", text("udi.field_required", field="机构地址")),
    ("contact_name", "", text("udi.field_required", field="联系人")),
    ("contact_phone", "", text("udi.field_required", field="联系电话")),
    ("credit_code", "9111010", text("credit_code.format")),
    ("credit_code", "91110105PDY0001753", text("credit_code.check")),
    ("contact_phone", "01088886666", text("mobile.format")),
    ("contact_email", "lisi@", text("email.format")),
    ("organisation_name", "示例" * 51, text("udi.field_too_long", field="机构名称", maximum=100)),
    ("address", "北京\x00市", text("udi.field_invalid", field="机构地址")),
])
def test_each_bad_field_is_named(field, value, message):
    details, typed, errors = read_details({**DETAILS, field: value})
    assert details is None and errors == {field: message}
    assert typed[field] == value.strip()


def test_all_errors_come_at_once():
    _, _, errors = read_details({})
    assert set(errors) == {"organisation_name", "credit_code", "address", "contact_name", "contact_phone"}
