"""Headers on every response of the portal (shared/security_headers.py): anti-framing always, and HSTS
(RFC 6797) in production mode only, so a browser never again tries the portal over plain http."""
import pytest

from tests.support.portal import running_portal
from tests.support.production import production_overrides

HSTS = "max-age=31536000; includeSubDomains"
# A page, a JSON endpoint, a static file, a redirect, an error page and an unknown path.
PATHS = ["/login", "/.well-known/openid-configuration", "/static/portal.css", "/", "/authorize", "/nowhere"]


@pytest.mark.parametrize("path", PATHS)
async def test_production_mode_sends_hsts_on_every_response(put, tmp_path, path):
    async with running_portal(put.settings.database_url, **production_overrides(tmp_path)) as prod:
        async with prod.http() as http:
            response = await http.get(path)
    assert response.headers.get("strict-transport-security") == HSTS, (path, response.status_code)
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("environment", ["development", "test"])
async def test_no_hsts_outside_production_even_with_an_https_issuer(put, environment):
    """A developer's browser would remember it for a year for the host (127.0.0.1 included)."""
    async with running_portal(put.settings.database_url, environment=environment) as portal:
        async with portal.http() as http:
            for path in PATHS:
                response = await http.get(path)
                assert "strict-transport-security" not in response.headers, path
                assert response.headers["x-frame-options"] == "DENY"
