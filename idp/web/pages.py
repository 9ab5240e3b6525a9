"""Server-rendered pages (Jinja2, Chinese UI) and the security headers every page carries."""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from shared.messages import text
from shared.refusals import Refusal

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)

# RFC 9700 §4.16 (clickjacking) and §4.2.4 (referrer leakage); no third-party resources.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}


def render(name: str, status_code: int = 200, **context) -> HTMLResponse:
    html = TEMPLATES.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def error_page(message_id: str, status_code: int = 400, detail: str = "", **values) -> HTMLResponse:
    """A page that only says why not: the catalogue's message, and an ASCII detail for operators."""
    return render("error.html", status_code=status_code, message=text(message_id, **values), detail=detail)


def refusal_page(refusal: Refusal) -> HTMLResponse:
    """How the portal shows a refusal nobody caught on its way up (the app's exception handler)."""
    return error_page(refusal.message_id, refusal.status_code, refusal.detail, **refusal.values)
