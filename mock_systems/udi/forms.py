"""机构信息完善: reading and checking the organisation and contact details a user submits.

The credit code, the mobile number and the e-mail address are checked as the portal checks them
(shared.identity, its messages); every error is reported at once, by field, and nothing is
stored unless every field passes.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from shared.identity import CreditCode, InvalidIdentifier, validate_credit_code, validate_email, validate_mobile
from shared.messages import text

# name → (label, required, maximum length)
FIELDS = {
    "organisation_name": ("机构名称", True, 100),
    "credit_code": ("统一社会信用代码", True, 18),
    "address": ("机构地址", True, 200),
    "contact_name": ("联系人", True, 50),
    "contact_phone": ("联系电话", True, 11),
    "contact_email": ("电子邮箱", False, 254),
}
VALIDATORS: dict[str, Callable[[str], CreditCode | str]] = {
    "credit_code": validate_credit_code, "contact_phone": validate_mobile, "contact_email": validate_email}
MAX_INPUT = 300  # what is read of any field at all


@dataclass(frozen=True)
class OrganisationDetails:
    organisation_name: str
    credit_code: str
    address: str
    contact_name: str
    contact_phone: str
    contact_email: str = ""

    @property
    def channel(self) -> str:
        """How the review result reaches the contact: e-mail when one was given, else SMS."""
        return "email" if self.contact_email else "sms"

    def values(self) -> dict[str, str]:
        return asdict(self)


def read_details(form) -> tuple[OrganisationDetails | None, dict[str, str], dict[str, str]]:
    """(the details, or None), the values as typed (to show again) and the errors by field."""
    typed = {name: str(form.get(name, ""))[:MAX_INPUT].strip() for name in FIELDS}
    values, errors = {}, {}
    for name, (label, required, maximum) in FIELDS.items():
        value = typed[name]
        if not value:
            if required:
                errors[name] = text("udi.field_required", field=label)
            values[name] = ""
            continue
        if not value.isprintable():  # control characters (a NUL cannot even be stored on PostgreSQL)
            errors[name] = text("udi.field_invalid", field=label)
            continue
        if name in VALIDATORS:
            try:
                checked = VALIDATORS[name](value)
            except InvalidIdentifier as exc:
                errors[name] = text(exc.message_id)
                continue
            value = checked.value if isinstance(checked, CreditCode) else checked
        if len(value) > maximum:
            errors[name] = text("udi.field_too_long", field=label, maximum=maximum)
            continue
        values[name] = value
    if errors:
        return None, typed, errors
    return OrganisationDetails(**values), typed, {}
