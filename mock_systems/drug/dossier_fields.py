"""The fields of an 出口药品档案 (form name, label, required, length limit) and their
validation: every error at once, in Chinese, naming the field."""
from __future__ import annotations

from dataclasses import dataclass

from shared.messages import text


@dataclass(frozen=True)
class Field:
    name: str  # the form field and the ExportDossierVersion column
    label: str
    required: bool
    limit: int
    multiline: bool = False


FIELDS: tuple[Field, ...] = (
    Field("generic_name", "药品通用名称", True, 100),
    Field("english_name", "英文名称", False, 200),
    Field("dosage_form", "剂型", True, 50),
    Field("strength", "规格", True, 100),
    Field("approval_number", "药品批准文号/注册证号", True, 50),
    Field("holder", "上市许可持有人", False, 200),
    Field("manufacturer", "生产企业", True, 200),
    Field("manufacturing_address", "生产地址", False, 300),
    Field("destination", "出口国家或地区", True, 100),
    Field("package_spec", "包装规格", True, 100),
    Field("remarks", "备注", False, 500, multiline=True),
)
CHANGE_REASON = Field("change_reason", "变更原因", True, 500, multiline=True)


def _clean(value) -> str:
    # One line per field (except text areas); control characters never reach the database.
    return "".join(c for c in str(value or "") if c.isprintable() or c in "\n").strip()


def read_values(form, fields: tuple[Field, ...] = FIELDS) -> dict[str, str]:
    return {field.name: _clean(form.get(field.name, "")) for field in fields}


def validate(values: dict[str, str], fields: tuple[Field, ...] = FIELDS) -> list[str]:
    """The errors of these values, in form order (empty: valid)."""
    errors = []
    for field in fields:
        value = values.get(field.name, "")
        if field.required and not value:
            errors.append(text("drug.dossier.required", label=field.label))
        elif len(value) > field.limit:
            errors.append(text("drug.dossier.too_long", label=field.label, limit=field.limit))
    return errors


def content_of(version) -> dict[str, str]:
    """A version's field values, as the form holds them."""
    return {field.name: getattr(version, field.name) for field in FIELDS}
