"""Integer ids in the portal's paths (shared.path_ids): a number outside the id columns' range
(PostgreSQL's integer: 1..2**31-1) is no route, 404, where it used to reach the query and fail
there (HTTP 500: asyncpg refuses the parameter, sqlite3 overflows at 2**63)."""
from __future__ import annotations

import pytest

from shared.path_ids import ID_MAX, RowIdConvertor, parse_id
from tests.support.agents import add_enterprise, add_person, authorize_agent
from tests.support.portal import hidden_fields
from tests.support.space import signed_in

OUT_OF_RANGE = ["2147483648", "9223372036854775808", "0", "-1", "01", "9" * 30]
AGENT_ROUTES = [("GET", ""), ("POST", "/remove"), ("GET", "/bindings/rp"), ("POST", "/bindings/rp"),
                ("POST", "/bindings/rp/revoke")]


@pytest.mark.parametrize("method,suffix", AGENT_ROUTES)
async def test_agent_routes_answer_404_to_an_id_outside_the_column_range(put, method, suffix):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    agency = await authorize_agent(put, enterprise, await add_person(put, "lisi", "李四", 11))
    browser = await signed_in(put, enterprise)
    form = {"csrf_token": hidden_fields((await browser.go("/space/agents")).text)["csrf_token"], "mode": "existing"}
    for agency_id in OUT_OF_RANGE:
        response = await browser.client.request(method, f"/space/agents/{agency_id}{suffix}",
                                                data=form if method == "POST" else None)
        assert response.status_code == 404, (agency_id, response.status_code, response.text[:200])
    # The largest id in range reaches the query and is simply nobody's (404, or 409 on the list).
    response = await browser.client.request(method, f"/space/agents/{ID_MAX}{suffix}",
                                            data=form if method == "POST" else None)
    assert response.status_code in (404, 409) and "经办人" in response.text, response.status_code
    page = await browser.go(f"/space/agents/{agency.id}")  # a real one still opens
    assert page.status_code == 200 and "李四" in page.text
    await browser.aclose()


def test_the_convertor_matches_exactly_1_to_id_max():
    import re
    pattern = re.compile(RowIdConvertor.regex)
    for value in range(1, 2000):
        assert pattern.fullmatch(str(value))
    for value in (ID_MAX, ID_MAX - 1, 10**9, 1999999999, 2147480000):
        assert pattern.fullmatch(str(value)), value
    for value in ("0", "00", "012", str(ID_MAX + 1), str(10**10), "2147483650", "3000000000", "+1", "1 ", "١"):
        assert not pattern.fullmatch(value), value
    assert parse_id("42") == 42 and parse_id(str(ID_MAX)) == ID_MAX
    assert [parse_id(v) for v in ("0", str(ID_MAX + 1), "x", "", None, "²", "9" * 5000)] == [None] * 7
