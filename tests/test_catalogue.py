"""The one message catalogue (shared/messages.py) and the one refusal type (shared/refusals.py):
every message id the code names exists, no id is defined twice, and no refusal carries literal
Chinese instead of an id — in the portal and the business systems alike."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from idp.errors import DomainError, PageError
from shared.messages import MESSAGES, text
from shared.refusals import Refusal

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("idp", "mock_systems", "shared")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Calls whose first argument is a message id (a refusal, or text and pages by id).
BY_ID = {"text", "Refusal", "PageError", "DomainError", "DossierRefused", "InvalidIdentifier", "error_page"}
# Calls that show their first argument to the user as it is.
SHOWN = {"message_page"}


def catalogue_text_imported(tree: ast.Module) -> bool:
    """Whether ``text`` in this module is the catalogue's (not SQLAlchemy's, not a form field's)."""
    return any(isinstance(node, ast.ImportFrom) and node.module == "shared.messages"
               and any(alias.name == "text" and alias.asname is None for alias in node.names)
               for node in ast.walk(tree))


def sources() -> list[tuple[Path, ast.Module]]:
    files = sorted(f for package in PACKAGES for f in (ROOT / package).rglob("*.py"))
    return [(f, ast.parse(f.read_text(encoding="utf-8"), filename=str(f))) for f in files]


def called(node: ast.Call) -> str | None:
    return node.func.id if isinstance(node.func, ast.Name) else \
        node.func.attr if isinstance(node.func, ast.Attribute) else None


def literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


SOURCES = sources()


def test_every_message_id_named_in_code_is_in_the_catalogue():
    missing = []
    for path, tree in SOURCES:
        by_id = BY_ID if catalogue_text_imported(tree) or path.name == "messages.py" else BY_ID - {"text"}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and called(node) in by_id and node.args:
                message_id = literal(node.args[0])
                if message_id is not None and message_id not in MESSAGES:
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {message_id}")
            # A form's problem: check.fail(field, message_id, ...).
            if isinstance(node, ast.Call) and called(node) == "fail" and len(node.args) >= 2:
                message_id = literal(node.args[1])
                if message_id is not None and message_id not in MESSAGES:
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {message_id}")
            # Ids kept in a constant or a table (EXPIRED, WRONG_STATE, DONE, NOTICES…).
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets):
                values = node.value.values if isinstance(node.value, ast.Dict) else [node.value]
                for value in values:
                    candidate = literal(value)
                    if candidate and re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", candidate) \
                            and candidate.split(".")[0] in {key.split(".")[0] for key in MESSAGES} \
                            and candidate not in MESSAGES and not candidate.endswith((".py", ".html")):
                        missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {candidate}")
    assert missing == []


def test_no_message_id_is_defined_twice():
    """Across the catalogue's modules (merged into one dict, where a second definition would
    silently win)."""
    keys = [literal(key) for path in sorted((ROOT / "shared").glob("messages*.py"))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.Dict)
            for key in node.keys if key is not None]
    assert len(keys) == len(MESSAGES)
    assert sorted({k for k in keys if keys.count(k) > 1}) == []


def test_no_refusal_or_error_page_carries_literal_chinese():
    literal_chinese = []
    for path, tree in SOURCES:
        for node in ast.walk(tree):
            call = node.exc if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) else \
                node if isinstance(node, ast.Call) and called(node) in BY_ID | SHOWN else None
            if call is None:
                continue
            first = call.args[0] if call.args else None
            if first is not None and CJK.search(literal(first) or ""):
                literal_chinese.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert literal_chinese == []


def test_a_refusal_carries_its_id_values_status_and_detail():
    refusal = Refusal("binding.already_bound", status_code=409, detail="slot taken", system="药品业务应用系统")
    assert (refusal.message_id, refusal.status_code, refusal.detail) == ("binding.already_bound", 409, "slot taken")
    assert refusal.text() == text("binding.already_bound", system="药品业务应用系统")
    assert Refusal("page.expired").status_code == 400
    assert isinstance(DomainError("page.expired"), Refusal) and isinstance(PageError("page.expired"), Refusal)


async def test_the_portal_renders_an_uncaught_refusal_as_its_error_page(put, browser):
    response = await browser.client.get("/login?interaction=gone")
    assert response.status_code == 400 and text("login.page_expired") in response.text
