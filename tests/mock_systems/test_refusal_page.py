"""A business system renders a refusal nobody caught (shared.refusals.Refusal) as its message
page: the catalogue's words, the refusal's status."""
from __future__ import annotations

from shared.messages import text


async def test_a_system_renders_an_uncaught_refusal_as_its_message_page(udi):
    async with udi.browser() as browser:
        response = await browser.get("/binding/start?binding=not%20an%20id")
    assert response.status_code == 400 and text("system.binding.invalid") in response.text
