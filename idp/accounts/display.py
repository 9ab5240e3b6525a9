"""How account data is shown on pages and in the audit log: identifiers masked (PIPL: ID numbers
and mobile numbers are personal information; an ID number is sensitive) and the real-name level
in the portal's wording ("实名等级：三级")."""
from __future__ import annotations

LEVELS = {0: "未实名", 1: "一级", 2: "二级", 3: "三级"}


def mask_id_number(value: str | None) -> str:
    """Keep the first and last four characters: 110000198506120133 → 1100**********0133."""
    if not value:
        return ""
    keep = 4 if len(value) > 8 else 1
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


def mask_mobile(value: str | None) -> str:
    """13800138000 → 138****8000."""
    if not value:
        return ""
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_email(value: str | None) -> str:
    """Shown where the address is only a destination: zhangsan@example.com → zh******@example.com."""
    if not value or "@" not in value:
        return value or ""
    local, _, domain = value.rpartition("@")
    return local[:2] + "*" * max(len(local) - 2, 1) + "@" + domain
