"""docs/behaviours.md names the module behind each behaviour and the test that proves it: every
file and every test it names must exist, so that moving a module or renaming a test cannot leave
the page pointing nowhere."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "behaviours.md"
# `path/to/file.ext` or `tests/…/test_x.py::test_name`, in backticks
REFERENCE = re.compile(r"`((?:idp|mock_systems|shared|tests|docs)/[\w./-]+)(?:::(\w+))?`")


def references(text: str) -> list[tuple[str, str | None]]:
    return [(path, test or None) for path, test in REFERENCE.findall(text)]


def functions_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def missing(text: str, root: Path) -> list[str]:
    problems = []
    for path, test in references(text):
        file = root / path
        if not file.exists():
            problems.append(f"{path}: no such file")
        elif test and test not in functions_of(file):
            problems.append(f"{path}::{test}: no such test")
    return problems


def test_every_file_and_test_named_in_behaviours_md_exists():
    text = DOC.read_text(encoding="utf-8")
    assert len(references(text)) > 50  # the pattern still finds the page's references
    assert missing(text, ROOT) == []


def test_a_moved_module_or_renamed_test_is_reported(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("async def test_kept():\n    pass\n")
    text = "`idp/gone.py` `tests/test_x.py::test_kept` `tests/test_x.py::test_renamed`"
    assert missing(text, tmp_path) == ["idp/gone.py: no such file", "tests/test_x.py::test_renamed: no such test"]
