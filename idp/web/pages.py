"""Server-rendered pages (Jinja2, Chinese UI) and the security headers every page carries."""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, Response

from shared.messages import text
from shared.refusals import Refusal
from shared.security_headers import PAGE_HEADERS

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    # Templates change only with a deployment (a restart): no stat of the file on every render.
    auto_reload=False,
)

def name_site(site_name: str) -> None:
    """The name every page's header and title shows (IDP_SITE_NAME; empty: the portal's own). One
    deployment per process, so the templates' global is set once, by the app factory."""
    TEMPLATES.globals["site_name"] = site_name


def render(name: str, status_code: int = 200, **context) -> HTMLResponse:
    html = TEMPLATES.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


def error_page(message_id: str, status_code: int = 400, detail: str = "", **values) -> HTMLResponse:
    """A page that only says why not: the catalogue's message, and an ASCII detail for operators."""
    return render("error.html", status_code=status_code, message=text(message_id, **values), detail=detail)


def refusal_page(refusal: Refusal) -> Response:
    """How the portal shows a refusal nobody caught on its way up (the app's exception handler)."""
    return with_retry_after(error_page(refusal.message_id, refusal.status_code, refusal.detail, **refusal.values),
                            refusal)


def with_retry_after(response: Response, refusal: Refusal) -> Response:
    """A rate limit's refusal (idp.limits.rates) as 429 with ``Retry-After`` (RFC 9110 §10.2.3),
    whatever status the page that shows it would have had; any other response as it is."""
    seconds = refusal.values.get("retry_after")
    if refusal.status_code == 429 and seconds is not None:
        response.status_code = 429
        response.headers["Retry-After"] = str(int(seconds))
    return response
