"""Server-rendered pages (Jinja2, Chinese UI) with the security headers every page carries."""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from mock_systems.common.context import SystemContext
from shared.refusals import Refusal
from shared.security_headers import PAGE_HEADERS

LOADER = FileSystemLoader(Path(__file__).parent / "templates")  # the systems' own templates fall back to it
TEMPLATES = Environment(loader=LOADER,
                        autoescape=select_autoescape(["html"]))

def render_from(templates: Environment, system: SystemContext, name: str, status_code: int = 200,
                **context) -> HTMLResponse:
    """A page of ``templates`` (a system's own over the common ones) with the page headers."""
    context.setdefault("home_links", system.home_links)
    html = templates.get_template(name).render(system_name=system.name, portal_url=system.settings.issuer, **context)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


def render(system: SystemContext, name: str, status_code: int = 200, **context) -> HTMLResponse:
    return render_from(TEMPLATES, system, name, status_code, **context)


def message_page(system: SystemContext, message: str, status_code: int = 400, detail: str = "") -> HTMLResponse:
    """A page that only says something: a refusal, or why a login went nowhere."""
    return render(system, "message.html", status_code, message=message, detail=detail)


def refusal_page(system: SystemContext, refusal: Refusal) -> HTMLResponse:
    """How a system shows a refusal nobody caught on its way up (the app's exception handler)."""
    return message_page(system, refusal.text(), refusal.status_code, refusal.detail)
