"""Questions for the 咨询 tests: a valid form, and a question filed straight through the domain."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from idp.consultations.models import Consultation
from idp.consultations.questions import Question
from idp.consultations.transitions import submit_consultation
from tests.support.portal import PortalUnderTest

ASKER = {"name": "王小明", "mobile": "13912345678", "email": "wxm@example.com"}
FORM = {
    "system": "portal", "category": "unbinding", "account_type": "legal_person", "title": "申请解除绑定",
    "description": "北京示例医疗器械有限公司申请解除与医疗器械分类界定信息系统的绑定。", "id_type": "居民身份证",
    "id_number": "110101199003070011", **ASKER,
}


def question(**changes) -> Question:
    values = {key: FORM[key] for key in ("system", "category", "account_type", "title", "description", "name",
                                         "id_type", "id_number", "mobile", "email")}
    values.update(changes)
    return Question(**values)


async def file_question(put: PortalUnderTest, *, account_id: int | None = None, age: dt.timedelta | None = None,
                        **changes) -> Consultation:
    """A question filed now (or ``age`` ago: its submission and deadline moved back)."""
    async with put.portal.sessionmaker.begin() as db:
        row = await submit_consultation(db, question(**changes), account_id=account_id)
        if age is not None:
            await db.execute(update(Consultation).where(Consultation.id == row.id).values(
                submitted_at=row.submitted_at - age, due_at=row.due_at - age))
        return row


async def file_question_in(database_url: str, *, age: dt.timedelta | None = None, **changes) -> str:
    """A question filed straight into a live portal's database (``age`` ago); its reference."""
    from idp.testing.setup import admin_session

    async with admin_session(database_url) as db:
        row = await submit_consultation(db, question(**changes))
        if age is not None:
            await db.execute(update(Consultation).where(Consultation.id == row.id).values(
                submitted_at=row.submitted_at - age, due_at=row.due_at - age))
        return row.reference

