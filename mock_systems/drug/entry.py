"""The drug system's own first steps when the portal sends a user in (seed 002 section 2.2):
(3) the confirmation 是否登录【药品业务应用系统】 with 确定 and 取消, then (4) the CA prompt,
where 跳过，普通用户登录 goes on to the ordinary login through the portal.

Both are pages of /auth/login itself (SystemExtension.before_portal_login), told apart by
``step``: prompts a user answers, not checks — a step skipped by hand changes nothing else.
They are the enterprises' steps: a regulator sent in by the supervision portal goes straight on.
"""
from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from starlette.responses import Response

from mock_systems.common.context import SystemContext
from mock_systems.drug.pages import render
from mock_systems.drug.supervision import is_supervision
from shared.binding import PORTAL_BINDINGS_PAGE

CONFIRM, CA, LOGIN = "", "ca", "login"  # the values of ``step``, in order


def _next(params, step: str) -> str:
    kept = {key: str(params[key]) for key in ("iss", "target_link_uri") if key in params}
    return "/auth/login?" + urlencode({**kept, "step": step})


async def entry_prompts(request: Request, system: SystemContext, params) -> Response | None:
    step = str(params.get("step") or "")
    if step == LOGIN or is_supervision(system):  # 跳过，普通用户登录; regulators have no CA prompt
        return None
    issuer = system.settings.issuer
    if step == CA:
        return render(system, "entry_ca.html", skip=_next(params, LOGIN))
    return render(system, "entry_confirm.html", confirm=_next(params, CA), cancel=issuer + PORTAL_BINDINGS_PAGE,
                  consult=issuer + "/problem?" + urlencode({"ssywxt": system.settings.client_id}))
