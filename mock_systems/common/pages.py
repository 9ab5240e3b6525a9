"""Server-rendered pages (Jinja2, Chinese UI) with the security headers every page carries."""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from mock_systems.common.context import SystemContext
from shared.refusals import Refusal

LOADER = FileSystemLoader(Path(__file__).parent / "templates")  # the systems' own templates fall back to it
TEMPLATES = Environment(loader=LOADER,
                        autoescape=select_autoescape(["html"]))

# As the portal's pages: no framing (RFC 9700 §4.16), no referrer leakage (§4.2.4); forms may
# lead to the portal (the logout page posts its form there), so form-action allows http(s).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def render(system: SystemContext, name: str, status_code: int = 200, **context) -> HTMLResponse:
    html = TEMPLATES.get_template(name).render(system_name=system.name, portal_url=system.settings.issuer,
                                               home_links=system.home_links, **context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def message_page(system: SystemContext, message: str, status_code: int = 400, detail: str = "") -> HTMLResponse:
    """A page that only says something: a refusal, or why a login went nowhere."""
    return render(system, "message.html", status_code, message=message, detail=detail)


def refusal_page(system: SystemContext, refusal: Refusal) -> HTMLResponse:
    """How a system shows a refusal nobody caught on its way up (the app's exception handler)."""
    return message_page(system, refusal.text(), refusal.status_code, refusal.detail)
