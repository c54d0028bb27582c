"""Guard: CI lints before it tests, and the lint covers all three packages (issue 12)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_make_lint_before_make_test_and_stops_on_failure() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.strip() for line in script.splitlines() if line.strip().startswith("make")]
    assert commands == ["make lint", "make test"]
    assert re.search(r"^set -[a-z]*e[a-z]*", script, re.MULTILINE), "a failing lint must stop"


def test_make_lint_is_ruff_format_check_and_mypy() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lint = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "ruff check ." in lint and "ruff format --check ." in lint and "mypy" in lint


def test_mypy_checks_every_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = set(config["tool"]["mypy"]["packages"])
    assert packages == {"shared_schema", "sync_server", "mobile_app"}
