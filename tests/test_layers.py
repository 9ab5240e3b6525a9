"""The import contract of docs/architecture.md ("Layers") holds for idp/, mock_systems/ and shared/,
and the checker reports each kind of breach with its file and line."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.import_contract import Contract, violations

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# The package map (docs/architecture.md, "Layers"). A module that defines an APIRouter is web
# layer wherever it sits; everything else takes the layer of its longest listed prefix.
PACKAGE_MAP = {
    "idp.personal_data": "domain",
    # domain: state and its transitions; no FastAPI, no templates
    "idp": "domain",  # the package's __init__ only: every module below is listed
    "idp.settings": "domain", "idp.clock": "domain", "idp.db": "domain", "idp.security": "domain",
    "idp.errors": "domain", "idp.portal": "domain",
    "idp.accounts": "domain", "idp.principals": "domain", "idp.codes": "domain",
    "idp.sessions": "domain", "idp.clients": "domain", "idp.keys": "domain", "idp.audit": "domain",
    "idp.notify": "domain", "idp.inbox": "domain", "idp.limits": "domain", "idp.captcha": "domain",
    "idp.verification": "domain", "idp.bindings": "domain", "idp.consultations": "domain",
    "idp.help": "domain", "idp.staff": "domain", "idp.metrics": "domain", "idp.public_services": "domain",
    "idp.account_closure": "domain",
    "idp.upstream_links": "domain",
    # protocol and flows
    "idp.oidc": "protocol", "idp.flows": "protocol", "idp.agents": "protocol", "idp.space": "protocol",
    "idp.operations": "protocol", "idp.casework": "protocol",
    # web: routers (wherever they sit), pages and their helpers
    "idp.web": "web", "idp.dev": "web", "idp.flows.web": "web",
    # composition: the app factory and the process entry points, which wire every layer
    "idp.app": "composition", "idp.cli": "composition", "idp.cli_operations": "composition",
    "idp.cli_personal_data": "composition",
    "idp.cli_officials": "composition",
    "idp.background": "composition",
    "idp.maintenance": "composition", "idp.schema": "composition", "idp.demo": "composition",
    "idp.testing": "composition",
}

CONTRACT = Contract(
    roots=("idp", "mock_systems", "shared"),
    layers=("domain", "protocol", "web", "composition"),
    package_map=PACKAGE_MAP,
    router_layer="web",
    # the portal's app factory; a business system's routers are wired by the common app factory
    # and by the system's own package (its extension)
    app_factories=frozenset({"idp.app", "mock_systems.common.app",
                              "mock_systems.common.providers",  # a second trusted provider's endpoints
                              "mock_systems.drug", "mock_systems.udi",
                              "mock_systems.pharmacist"}),
    forbidden={
        "mock_systems": ("idp",), "shared": ("idp", "mock_systems"),
        # Package-level, whatever a module's router makes it: the provider never reaches into the
        # pages (endpoints that answer with pages live in idp/web), and the domain packages reach
        # neither the provider, the flows nor the pages.
        "idp.oidc": ("idp.web",),
        **{package: ("idp.web", "idp.oidc", "idp.flows")
           for package, layer in PACKAGE_MAP.items() if layer == "domain" and package != "idp"},
    },
)


def test_the_tree_keeps_the_import_contract():
    found = violations(PROJECT_ROOT, CONTRACT)
    assert not found, "\n".join(found)


def test_each_package_of_the_portal_states_its_layer():
    silent = [str(path.relative_to(PROJECT_ROOT)) for path in sorted((PROJECT_ROOT / "idp").rglob("__init__.py"))
              if "Layer" not in (ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or "")]
    assert not silent, silent


FIXTURE = {
    "app/__init__.py": "",
    "app/factory.py": "from app.web import pages\n",
    "app/domain/__init__.py": "",
    "app/domain/model.py": "from app.flows.steps import run\n",  # upward
    "app/domain/a.py": "def f():\n    from app.domain.b import g\n",  # a ↔ b, one side in a function
    "app/domain/b.py": "from app.domain.a import f\n",
    "app/flows/__init__.py": "",
    "app/flows/steps.py": "from app.web.helpers import _secret\nrun = 1\n",  # upward, private
    "app/flows/forms.py": "from app.web.pages import router\n",  # upward, router
    "app/web/__init__.py": "",
    "app/web/helpers.py": "_secret = 1\n",
    "app/web/pages.py": "from fastapi import APIRouter\nrouter = APIRouter()\n",
    "app/web/other.py": "from app.web.helpers import _secret\n",  # same package: allowed
    "app/stray.py": "",  # no layer
    "lib/__init__.py": "",
    "lib/util.py": "import app.domain.model\n",  # forbidden package
}


@pytest.fixture
def fixture_tree(tmp_path: Path) -> Path:
    for name, text in FIXTURE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_each_kind_of_breach_is_reported_with_file_and_line(fixture_tree: Path):
    contract = Contract(
        roots=("app", "lib"), layers=("domain", "flows", "web", "composition"),
        package_map={"app": "domain", "app.domain": "domain", "app.flows": "flows", "app.web": "web",
                     "app.factory": "composition"},  # app.stray has none
        router_layer="web", app_factories=frozenset({"app.factory"}), forbidden={"lib": ("app",)},
    )
    found = "\n".join(violations(fixture_tree, contract))
    assert "app/domain/model.py:1: app.domain.model (domain) imports app.flows.steps (flows), a higher layer" in found
    assert "app/flows/steps.py:1: app.flows.steps (flows) imports app.web.helpers (web), a higher layer" in found
    assert "app/flows/steps.py:1: app.flows.steps imports the private name _secret from app.web.helpers" in found
    assert "app/flows/forms.py:1: app.flows.forms imports the router module app.web.pages" in found
    assert "import cycle among app.domain.a, app.domain.b: app/domain/a.py:2" in found
    assert "app/domain/b.py:1 (app.domain.b → app.domain.a)" in found
    assert "app/stray.py:1: app.stray has no layer in the package map" in found
    assert "lib/util.py:1: lib.util imports app.domain.model, which it must never import" in found
    assert "app/web/other.py" not in found  # a private name within its own package
    assert "app/factory.py" not in found  # the app factory wires the router
    assert len(found.splitlines()) == 8
