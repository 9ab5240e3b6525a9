"""The UDI system's own pages: its templates (here) over the common ones (base.html), with the
security headers every page of the system carries."""
from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

import mock_systems.common
from mock_systems.common.context import SystemContext
from mock_systems.common.pages import render_from

TEMPLATES = Environment(loader=ChoiceLoader([
    FileSystemLoader(Path(__file__).parent / "templates"),
    FileSystemLoader(Path(mock_systems.common.__file__).parent / "templates"),
]), autoescape=select_autoescape(["html"]))


def render(system: SystemContext, name: str, status_code: int = 200, **context) -> HTMLResponse:
    return render_from(TEMPLATES, system, name, status_code, home_links=(), **context)
