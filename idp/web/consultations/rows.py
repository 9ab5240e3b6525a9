"""How a question and its answer are shown to the asker (the lookup, 我的互动 → 在线办事反馈)."""
from __future__ import annotations

from typing import Any

from idp import clock
from idp.consultations.models import Consultation
from idp.consultations.questions import CATEGORIES


def shown(row: Consultation) -> dict[str, Any]:
    """Times in Beijing time; ``status`` is shown by the template (consultations/_parts.html)."""
    return {"reference": row.reference, "title": row.title, "description": row.description, "status": row.status,
            "category": CATEGORIES.get(row.category, row.category), "answer": row.answer,
            "submitted": clock.beijing_text(row.submitted_at),
            "answered": clock.beijing_text(row.answered_at) if row.answered_at else None}
