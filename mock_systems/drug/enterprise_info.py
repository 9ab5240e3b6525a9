"""补充企业信息: the enterprise's details, supplied once on its first entry to 信息采集; until
then no business of 信息采集 is possible (seed 002 section 2.2 (6))."""
from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from mock_systems.drug.models import EnterpriseInfo
from shared.refusals import Refusal

# (form field, label, longest) in the form's order
FIELDS = (("address", "注册地址", 200), ("contact_name", "联系人", 100), ("contact_phone", "联系电话", 32))
PHONE = re.compile(r"^[0-9][0-9-]{6,31}$")


async def enterprise_info(db: AsyncSession, enterprise_code: str) -> EnterpriseInfo | None:
    return await db.get(EnterpriseInfo, enterprise_code)


def checked_fields(form) -> dict[str, str]:
    """The form's values, stripped; a Refusal naming the first field that is missing or wrong."""
    values = {}
    for name, label, limit in FIELDS:
        value = str(form.get(name) or "").strip()
        if not value:
            raise Refusal("drug.dossier.required", label=label)
        if len(value) > limit:
            raise Refusal("drug.dossier.too_long", label=label, limit=limit)
        values[name] = value
    if not PHONE.match(values["contact_phone"]):
        raise Refusal("drug.enterprise.bad_phone")
    return values


async def supplement_enterprise_info(system: SystemContext, *, enterprise_code: str, enterprise_name: str,
                                     filled_by_name: str, values: dict[str, str]) -> bool:
    """补充企业信息 once per enterprise: False when it was supplied already (by someone else first)."""
    try:
        async with system.sessionmaker.begin() as db:
            db.add(EnterpriseInfo(enterprise_code=enterprise_code, enterprise_name=enterprise_name[:200],
                                  filled_by_name=filled_by_name[:100], filled_at=utcnow(), **values))
    except IntegrityError:
        return False
    return True
