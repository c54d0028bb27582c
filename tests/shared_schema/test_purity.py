"""Guard: shared_schema never reads the clock or opens files (calls scanned with `ast`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "shared_schema"
FORBIDDEN_METHODS = frozenset({"now", "today", "utcnow", "utctoday", "monotonic"})
FORBIDDEN_NAMES = frozenset({"open"})
FORBIDDEN_QUALIFIED = frozenset({("time", "time"), ("time", "time_ns"), ("io", "open")})


def forbidden_calls(source: str, filename: str = "<src>") -> list[str]:
    """`line: call` for every clock read or file open in a module's source."""
    found = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in FORBIDDEN_NAMES:
            found.append(f"{node.lineno}: {func.id}(")
        elif isinstance(func, ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else None
            if func.attr in FORBIDDEN_METHODS or func.attr == "open":
                found.append(f"{node.lineno}: .{func.attr}(")
            elif (owner, func.attr) in FORBIDDEN_QUALIFIED:
                found.append(f"{node.lineno}: {owner}.{func.attr}(")
    return found


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_reads_no_clock_and_no_file(path: Path) -> None:
    assert forbidden_calls(path.read_text(encoding="utf-8"), str(path)) == []


@pytest.mark.parametrize(
    "snippet",
    [
        "import datetime\ndatetime.datetime.now()",
        "from datetime import date\ndate.today()",
        "import datetime\ndatetime.datetime.utcnow()",
        "import time\ntime.time()",
        "open('x')",
        "from pathlib import Path\nPath('x').open()",
    ],
)
def test_the_guard_catches_each_forbidden_call(snippet: str) -> None:
    assert forbidden_calls(snippet) != []


def test_the_guard_lets_pure_code_pass() -> None:
    assert forbidden_calls("from datetime import date\ndate(2024, 1, 1).isoformat()") == []


def test_the_guard_scans_the_whole_package() -> None:
    names = {p.name for p in sources()}
    assert {"idnumber.py", "enums.py", "member.py", "records.py"} <= names
