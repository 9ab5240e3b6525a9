"""The licensed-pharmacist system's own pages: its templates (here) over the common ones
(base.html), with the security headers every page of the system carries."""
from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

import mock_systems.common
from mock_systems.common.context import SystemContext
from mock_systems.common.pages import render_from
from shared.messages import text

TEMPLATES = Environment(loader=ChoiceLoader([
    FileSystemLoader(Path(__file__).parent / "templates"),
    FileSystemLoader(Path(mock_systems.common.__file__).parent / "templates"),
]), autoescape=select_autoescape(["html"]))


def render(system: SystemContext, name: str, status_code: int = 200, **context) -> HTMLResponse:
    return render_from(TEMPLATES, system, name, status_code, **context)


def refused(system: SystemContext, message_id: str, status_code: int = 403, *, guidance: bool = False) -> HTMLResponse:
    """Why the system refuses a binding or a login, with the guide's steps when ``guidance``
    (seed 004, 七、执业药师绑定问题) and the way to the portal's upgrade or 忘记密码 as fits."""
    return render(system, "refused.html", status_code, message=text(message_id), reason=message_id,
                  guidance=guidance)
