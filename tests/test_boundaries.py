"""Guards the package boundaries of STYLE.md by reading every import with `ast`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package -> top-level modules it must never import
FORBIDDEN: dict[str, set[str]] = {
    "mobile_app": {"sync_server", "flask", "flask_smorest", "sqlalchemy", "alembic", "gunicorn"},
    "sync_server": {"mobile_app", "kivy"},
    "shared_schema": {
        "mobile_app",
        "sync_server",
        "kivy",
        "flask",
        "flask_smorest",
        "sqlalchemy",
        "alembic",
        "requests",
        "urllib",
        "http",
        "socket",
        "sqlite3",
        "time",
        "os",
        "pathlib",
        "io",
        "shutil",
        "tempfile",
        "random",
        "uuid",
    },
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Top-level module names imported by a source file, with line numbers."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value.split(".")[0]))
    return found


def violations(package: str) -> list[str]:
    out = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for lineno, module in imported_modules(path):
            if module in FORBIDDEN[package]:
                out.append(f"{path.relative_to(ROOT)}:{lineno} imports {module}")
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_its_boundary(package: str) -> None:
    assert (ROOT / package / "__init__.py").exists()
    assert violations(package) == []


def test_the_guard_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import os\nfrom sync_server.models import X\nimportlib.import_module('kivy.app')\n"
    )
    assert [m for _, m in imported_modules(bad)] == ["os", "sync_server", "kivy"]
