"""The UDI system's own pages: its templates (here) over the common ones (base.html), with the
security headers every page of the system carries."""
from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

import mock_systems.common
from mock_systems.common.context import SystemContext
from mock_systems.common.pages import SECURITY_HEADERS

TEMPLATES = Environment(loader=ChoiceLoader([
    FileSystemLoader(Path(__file__).parent / "templates"),
    FileSystemLoader(Path(mock_systems.common.__file__).parent / "templates"),
]), autoescape=select_autoescape(["html"]))


def render(system: SystemContext, name: str, status_code: int = 200, **context) -> HTMLResponse:
    html = TEMPLATES.get_template(name).render(system_name=system.name, portal_url=system.settings.issuer,
                                               home_links=(), **context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
