"""How the protocol endpoints answer at the HTTP level, whichever way the portal routes them
(shared/exact_routes.py answers them before FastAPI's router): a method they do not take is 405
with Allow, HEAD is answered where GET is, a trailing slash redirects, and every answer carries
the headers of every response (security headers, request id) and is counted by its template."""
import secrets

from prometheus_client import REGISTRY

from shared.request_id import HEADER


def counted(route: str, method: str, status: str) -> float:
    labels = {"method": method, "route": route, "status": status}
    return REGISTRY.get_sample_value("http_requests_total", labels) or 0.0


async def test_a_method_an_endpoint_does_not_take_is_405_with_allow(put):
    async with put.http() as http:
        for method, path, allowed in [("GET", "/token", {"POST"}), ("GET", "/introspect", {"POST"}),
                                      ("PUT", "/userinfo", {"GET", "HEAD", "POST"}),
                                      ("POST", "/jwks", {"GET", "HEAD"}),
                                      ("PUT", "/authorize/resume", {"GET", "HEAD"})]:
            response = await http.request(method, path)
            assert response.status_code == 405, (method, path)
            assert set(response.headers["allow"].split(", ")) == allowed
            assert response.headers["x-frame-options"] == "DENY"


async def test_head_is_answered_where_get_is_without_a_body(put):
    async with put.http() as http:
        for path in ("/jwks", "/.well-known/openid-configuration"):
            response = await http.head(path)
            assert response.status_code == 200 and response.content == b"", path
            assert response.headers["content-type"] == "application/json"
        login = await http.head("/login?window=personal")
        assert login.status_code == 200 and login.content == b""
        assert login.headers["content-type"].startswith("text/html")


async def test_a_trailing_slash_redirects_to_the_endpoint(put):
    async with put.http() as http:
        response = await http.post("/token/", data={"grant_type": "client_credentials"})
    assert response.status_code == 307
    assert response.headers["location"].endswith("/token")


async def test_answers_carry_the_request_id_and_security_headers_and_are_counted(put):
    request_id = "trace-" + secrets.token_hex(4)
    before = counted("/token", "POST", "401")
    async with put.http() as http:
        response = await http.post("/token", data={"grant_type": "client_credentials"}, headers={HEADER: request_id})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert response.headers[HEADER] == request_id
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert counted("/token", "POST", "401") == before + 1
