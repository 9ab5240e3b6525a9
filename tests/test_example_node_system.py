"""The Node sample business system (examples/node-system: openid-client 6 and jose) beside a
portal process, driven through the integration harness as a team would: 授权绑定 in both modes
through its pages (its silent login checks the subject), SSO into the bound local account, 解除绑定
(the portal's signed DELETE, verified by jose), the back-channel logout, and the created link it
refuses to drop.

It fails, never skips, without node: CI runs it (`make test` runs `make examples` first)."""
from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from idp.testing.client import PortalClient
from idp.testing.portal_process import free_port
from shared import processes

pytest_plugins = ["idp.testing.pytest_plugin"]

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "node-system"
CLIENT_ID = "node-system"


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """The sample's dependencies as its package-lock.json pins them (`make examples`: npm ci, cached)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("the Node sample needs node (>= 20.19) and npm on PATH")
    subprocess.run(["make", "--no-print-directory", "examples"], cwd=SAMPLE.parents[1], check=True)
    return SAMPLE / "node_modules"


@pytest.fixture
def harness_options(harness_options):
    return dataclasses.replace(harness_options, client_id=CLIENT_ID, client_scopes=["openid", "profile"])


@pytest.fixture
async def portal_database_url(databases) -> str:
    return await databases.fresh()


@pytest.fixture
def system_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
async def node_system(node_modules, portal_process, registered_client, system_url, tmp_path):
    """`node server.js`, configured as examples/node-system/README.md says, until its home page answers."""
    port = int(system_url.rsplit(":", 1)[1])
    env = {"PATH": os.environ["PATH"], "ISSUER": portal_process.issuer, "CLIENT_ID": CLIENT_ID,
           "CLIENT_SECRET": registered_client.client_secret, "PORT": str(port)}
    system = await processes.start("node-system", ["node", "server.js"], port=port, env=env,
                                   log_path=tmp_path / "node-system.log", cwd=SAMPLE)
    yield system
    await processes.stop(system)


def local_account(page_text: str) -> str | None:
    match = re.search(r'<span id="local-account">([^<]+)</span>', page_text)
    return match.group(1) if match else None


async def shows_logged_out(portal_client: PortalClient, system_url: str, timeout: float = 10.0) -> bool:
    """The back-channel logout is delivered in the background: the sample's home page, until it
    no longer knows the browser."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if 'id="not-logged-in"' in (await portal_client.browse(system_url + "/")).text:
            return True
        await asyncio.sleep(0.2)
    return False


async def test_bind_an_existing_account_log_in_to_it_and_unbind(portal_client: PortalClient, seeded_accounts,
                                                                node_system, system_url):
    user = seeded_accounts.personal
    await portal_client.login(user.username, user.password, window=user.window)
    page = await portal_client.browse(await portal_client.start_binding(CLIENT_ID, "existing"))
    assert page.url.path == "/binding/start" and 'name="password"' in page.text, node_system.log_tail()
    wrong = await portal_client.submit(page, "/binding/start", username="node_demo", password="Wrong@2026pass")
    assert wrong.status_code == 400 and "用户绑定授权异常: 密码错误" in wrong.text
    back = await portal_client.submit(page, "/binding/start", username="node_demo", password="Local@2026pass")
    assert back.is_redirect and back.headers["location"].startswith(portal_client.base_url + "/space/bindings")
    await portal_client.wait_for_binding(CLIENT_ID, "unbind")

    home = await portal_client.browse(await portal_client.sso(CLIENT_ID))
    assert local_account(home.text) == "node_demo" and f'id="portal-sub">{user.subject}<' in home.text

    await portal_client.logout()  # the logout token (logout+jwt, verified by jose) ends the sample's session
    assert await shows_logged_out(portal_client, system_url), node_system.log_tail()

    await portal_client.login(user.username, user.password, window=user.window)
    await portal_client.unbind(CLIENT_ID)  # the portal's signed DELETE, verified against its JWKS
    assert (await portal_client.bindings())[CLIENT_ID] == "bind"
    assert 'id="not-linked"' in (await portal_client.browse(f"{system_url}/auth/login")).text


async def test_create_a_new_account_by_binding_which_the_user_cannot_unbind(portal_client: PortalClient,
                                                                            seeded_accounts, node_system):
    user = seeded_accounts.legal_person
    await portal_client.login(user.username, user.password, window=user.window)
    back = await portal_client.browse(await portal_client.start_binding(CLIENT_ID, "create"))
    assert str(back.url).startswith(portal_client.base_url + "/space/bindings"), node_system.log_tail()
    await portal_client.wait_for_binding(CLIENT_ID, "fixed")  # 不可解除
    home = await portal_client.browse(await portal_client.sso(CLIENT_ID))
    assert re.fullmatch(r"node_[0-9a-f]{8}", local_account(home.text) or ""), home.text[:500]


def test_the_node_recipe_in_the_docs_is_the_samples_code():
    """docs/integration.md §8's Node excerpts are lines of server.js, so they cannot drift from the
    code this module runs."""
    docs = (SAMPLE.parents[1] / "docs" / "integration.md").read_text(encoding="utf-8")
    section = docs[docs.index("### Node (openid-client 6, jose)"):docs.index("## Who may bind your system")]
    excerpts = [line.strip() for block in re.findall(r"```js\n(.*?)```", section, re.S)
                for line in block.splitlines() if line.strip()]
    code = {line.strip() for line in (SAMPLE / "server.js").read_text(encoding="utf-8").splitlines()}
    assert len(excerpts) > 10 and [line for line in excerpts if line not in code] == []
