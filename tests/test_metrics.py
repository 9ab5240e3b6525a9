"""/metrics of the portal (idp/web/operations.py, idp/metrics.py, shared/metrics.py): who may
read it, the counters of security events, the backlogs read at scrape time, and label values
that never carry what a client sent."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError
from starlette.routing import Mount

from idp import clock
from idp.bindings.models import Binding, BindingCall
from idp.limits.rates import DEFAULTS as RATE_LIMITS
from idp.oidc.logout.backchannel import deliver_due, enqueue_logout
from idp.settings import Settings
from idp.staff.roles import ADMIN
from shared.metrics import METHODS, UNMATCHED, clear_http_metrics
from tests.support.login import attempt, open_login
from tests.support.portal import running_portal
from tests.support.production import production_overrides
from tests.support.staff import add_staff, post_password, staff_sign_in
from tests.support.token_flows import get_code, redeem, tokens_for
from tests.support.tokens import client_credentials, refresh

WRONG = "Wrong@2026pass"
OFFLINE = "openid profile offline_access"


async def scrape(put, **headers) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics: (name, sorted labels) -> value."""
    async with put.http() as http:
        response = await http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


class Delta:
    """A counter's change between two scrapes (the registry lives as long as the process)."""

    def __init__(self, before, after):
        self.before, self.after = before, after

    def __call__(self, name: str, **labels) -> float:
        return value(self.after, name, **labels) - value(self.before, name, **labels)


async def test_logins_are_counted_by_result(put, browser):
    before = await scrape(put)
    page = await open_login(browser)
    for _ in range(5):  # the fifth wrong password locks the account
        page = await attempt(browser, page, "zhangsan", WRONG)
    await attempt(browser, await open_login(browser), "zhangsan")  # refused: locked
    await attempt(browser, await open_login(browser), "nobody", WRONG)
    await put.add_account("lisi")
    await attempt(browser, await open_login(browser), "lisi")
    delta = Delta(before, await scrape(put))
    assert delta("idp_logins_total", result="failed") == 6
    assert delta("idp_logins_total", result="locked") == 1
    assert delta("idp_logins_total", result="succeeded") == 1
    assert delta("idp_account_lockouts_total") == 1


async def test_staff_sign_ins_are_counted_by_result(put):
    secret = await add_staff(put, "ops_admin", ADMIN)
    before = await scrape(put)
    async with put.http() as http:
        await post_password(http, "ops_admin", WRONG)
        await staff_sign_in(http, "ops_admin", secret=secret)
    delta = Delta(before, await scrape(put))
    assert delta("idp_staff_logins_total", result="failed") == 1
    assert delta("idp_staff_logins_total", result="succeeded") == 1


async def test_tokens_are_counted_by_grant_and_replays_by_kind(put, browser):
    before = await scrape(put)
    tokens = await tokens_for(put, browser, put.rp, scope=OFFLINE)
    assert (await refresh(put, put.rp, tokens["refresh_token"])).status_code == 200
    assert (await refresh(put, put.rp, tokens["refresh_token"])).status_code == 400  # replayed
    await client_credentials(put, put.rp)
    code, verifier = await get_code(browser, put.rp)
    assert (await redeem(put, put.rp, code, verifier)).status_code == 200
    assert (await redeem(put, put.rp, code, verifier)).status_code == 400  # replayed
    delta = Delta(before, await scrape(put))
    assert delta("idp_tokens_issued_total", grant_type="authorization_code") == 2
    assert delta("idp_tokens_issued_total", grant_type="refresh_token") == 1
    assert delta("idp_tokens_issued_total", grant_type="client_credentials") == 1
    assert delta("idp_token_replays_total", kind="authorization_code") == 1
    assert delta("idp_token_replays_total", kind="refresh_token") == 1


async def test_outbox_backlogs_are_read_at_scrape_time_and_failures_counted(put):
    now, binding_id = clock.now(), secrets.token_urlsafe(16)
    async with put.portal.sessionmaker.begin() as db:
        assert await enqueue_logout(db, put.portal, ["rp"], put.account.subject, "sid-1") == 1
        db.add(Binding(id=binding_id, account_id=put.account.id, client_id="rp", slot="rp", mode="create",
                       state="pending", created_at=now, expires_at=now))
        await db.flush()
        # Not due for an hour: only the backlog is under test here.
        db.add(BindingCall(binding_id=binding_id, action="status", created_at=now,
                           next_attempt_at=now + dt.timedelta(hours=1), attempts=0))
    before = await scrape(put)
    assert value(before, "idp_backchannel_logout_backlog") == 1
    assert value(before, "idp_binding_calls_backlog") == 1
    put.backchannel.down.add("rp.rp.example.test")
    await deliver_due(put.portal)
    after = await scrape(put)
    assert Delta(before, after)("idp_backchannel_logout_failures_total", stage="attempt") == 1
    assert value(after, "idp_backchannel_logout_backlog") == 1  # retried later, still owed


async def test_the_connection_pools_are_reported(put):
    samples = await scrape(put)
    for pool in ("writer", "reader"):
        assert value(samples, "db_pool_size", pool=pool) >= 1
        assert ("db_pool_connections_in_use", (("pool", pool),)) in samples


async def test_requests_are_counted_by_route_template_and_status(put):
    before = await scrape(put)
    async with put.http() as http:
        await http.get("/.well-known/openid-configuration")
        await http.get("/static/no-such-file.css")
        await http.get("/no/such/page/" + secrets.token_hex(8))
        await http.get("/no/such/page/" + secrets.token_hex(8))
    after = await scrape(put)
    delta = Delta(before, after)
    assert delta("http_requests_total", method="GET", route="/.well-known/openid-configuration", status="200") == 1
    assert delta("http_requests_total", method="GET", route="/static/{path}", status="404") == 1
    assert delta("http_requests_total", method="GET", route=UNMATCHED, status="404") == 2
    assert delta("http_request_duration_seconds_count", method="GET", route=UNMATCHED) == 2


async def test_label_values_are_a_fixed_set_whatever_clients_send(put, browser):
    clear_http_metrics()
    usernames = [f"user_{secrets.token_hex(6)}" for _ in range(8)]
    paths = [f"/{secrets.token_hex(6)}/{secrets.token_hex(4)}" for _ in range(8)]
    for name in usernames:
        await attempt(browser, await open_login(browser), name, WRONG)
    await browser.go("/login?window=personal&username=" + usernames[0])
    async with put.http() as http:
        for path in paths:
            await http.get(path)
            await http.request("PROPFIND", path)
        await http.get(f"/space/agents/{secrets.randbelow(10**6) + 1}")
    templates = set(route_templates(put.app.routes))
    allowed = {
        "route": templates | {UNMATCHED}, "method": METHODS | {"other"},
        "result": {"succeeded", "failed", "locked"}, "grant_type": {"authorization_code", "refresh_token",
                                                                  "client_credentials"},
        "kind": {"authorization_code", "refresh_token"}, "stage": {"attempt", "abandoned"},
        "pool": {"writer", "reader"}, "limit": set(RATE_LIMITS),
    }
    samples = await scrape(put)
    seen = set()
    for name, labels in samples:
        for label, label_value in labels:
            seen.add(label_value)
            if label == "status":
                assert label_value.isdigit() and len(label_value) == 3
            elif label == "le":
                float(label_value)
            elif label in allowed:
                assert label_value in allowed[label], (name, label, label_value)
            else:
                assert name.startswith(("python_", "process_")), (name, label)  # the client's own
    secrets_sent = usernames + [part for path in paths for part in path.split("/") if part]
    assert not [s for s in secrets_sent if any(s in v for v in seen)]


def route_templates(routes):
    """Every route's path template; FastAPI keeps an included router as one entry holding it."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from route_templates(route.original_router.routes)
        else:
            yield route.path + ("/{path}" if isinstance(route, Mount) else "")


async def test_metrics_are_open_outside_production(put):
    async with put.http() as http:
        assert (await http.get("/metrics")).status_code == 200


@pytest.fixture
def token():
    raw = secrets.token_urlsafe(24)
    return raw, hashlib.sha256(raw.encode()).hexdigest()


async def test_in_production_metrics_do_not_exist_without_a_token_digest(database_url, tmp_path):
    async with running_portal(database_url, **production_overrides(tmp_path)) as put:
        async with put.http() as http:
            response = await http.get("/metrics")
    assert response.status_code == 404


async def test_with_a_token_digest_metrics_need_the_bearer_token(database_url, tmp_path, token):
    raw, digest = token
    async with running_portal(database_url, **production_overrides(tmp_path, metrics_token_digest=digest)) as put:
        async with put.http() as http:
            missing = await http.get("/metrics")
            wrong = await http.get("/metrics", headers={"Authorization": "Bearer " + raw[:-1]})
            right = await http.get("/metrics", headers={"Authorization": "Bearer " + raw})
    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="metrics"'
    assert "http_requests_total" not in wrong.text
    assert right.status_code == 200 and "idp_logins_total" in right.text


def test_the_token_digest_setting_refuses_anything_but_a_sha256():
    with pytest.raises(ValidationError, match="SHA-256 of the token"):
        Settings(metrics_token_digest="the-raw-token")
    assert Settings(metrics_token_digest="AB" * 32).metrics_token_digest == "ab" * 32
