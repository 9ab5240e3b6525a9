"""The drug system's own pages: its templates first, then the common ones (base.html,
message.html), with the same context and security headers as every system page."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse

import mock_systems.common.pages as common_pages
from mock_systems.common.context import SystemContext

TEMPLATES = Environment(loader=ChoiceLoader([FileSystemLoader(Path(__file__).parent / "templates"),
                                             common_pages.LOADER]),
                        autoescape=select_autoescape(["html"]))
BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")
# Times are stored in UTC and shown in Beijing time, as the enterprises filling them in read them.
TEMPLATES.filters["beijing"] = lambda moment, pattern="%Y-%m-%d %H:%M": moment.astimezone(BEIJING).strftime(pattern)


def render(system: SystemContext, name: str, status_code: int = 200, **context) -> HTMLResponse:
    return common_pages.render_from(TEMPLATES, system, name, status_code, home_links=(), **context)


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)
