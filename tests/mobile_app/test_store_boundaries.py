"""Guard: the store and the sync client run without a window — no Kivy, no server code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"kivy", "kivymd", "sync_server", "flask", "flask_smorest", "sqlalchemy"}
FILES = (
    sorted((ROOT / "mobile_app" / "store").rglob("*.py"))
    + sorted((ROOT / "mobile_app" / "sync").rglob("*.py"))
    # evidence files (photos, their encryption, location) are sent by the sync: no UI there
    + sorted((ROOT / "mobile_app" / "evidence").rglob("*.py"))
)


OWN = ("mobile_app.store", "mobile_app.sync", "mobile_app.evidence")


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_ui_or_server_imports(path):
    """Only the stdlib, requests, shared_schema and our own non-UI packages."""
    imports = _imports(ast.parse(path.read_text(encoding="utf-8")))
    bad = [
        (line, name)
        for line, name in imports
        if name.split(".")[0] in FORBIDDEN
        or (name.startswith("mobile_app.") and not name.startswith(OWN))
    ]
    assert not bad, f"{path}: {bad}"


def test_every_module_has_a_docstring():
    missing = [str(p) for p in FILES if ast.get_docstring(ast.parse(p.read_text())) is None]
    assert not missing
