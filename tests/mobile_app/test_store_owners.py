"""Guard: every phone table has exactly one module that writes it (STYLE.md, "one writer per
table"). The SQL in every string of `mobile_app` is scanned for INSERT / REPLACE / UPDATE /
DELETE against each table; a write outside the table's owner module, or against a table
name built at run time, fails here. docs/mobile-store.md lists the owners.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from mobile_app.store import Database

ROOT = Path(__file__).resolve().parents[2]
STORE = "mobile_app/store/"
OWNERS = {
    "records": STORE + "records.py",
    "outbox": STORE + "outbox.py",
    "drafts": STORE + "drafts.py",
    "rejected": STORE + "rejected.py",
    "conflicts": STORE + "notices.py",
    "parked": STORE + "parked.py",
    "config": STORE + "settings.py",
    "session": STORE + "settings.py",
    "sync_state": STORE + "sync_state.py",
    "meta": STORE + "meta.py",
    "files": STORE + "files.py",
    "migrations": STORE + "migrations.py",
}
WRITE = re.compile(
    r"\b(?:INSERT(?:\s+OR\s+[A-Z]+)?\s+INTO|REPLACE\s+INTO|(?<!DO )UPDATE|DELETE\s+FROM)"
    r"\s+\"?(\{\}|[A-Za-z_][A-Za-z0-9_]*)"
)
DYNAMIC = "{}"


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string literal, an f-string's placeholders as `{}` (adjacent literals are joined
    by the parser already)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else DYNAMIC
                for v in node.values
            )
            found.append((node.lineno, text))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
    return found


def writes_in(source: str) -> list[tuple[int, str]]:
    """(line, table) of every table write in a module's source (`{}`: a run-time name)."""
    hits = []
    for line, text in _strings(ast.parse(source)):
        for match in WRITE.finditer(text):
            table = match.group(1)
            if table == DYNAMIC or table in OWNERS:
                hits.append((line, table))
    return hits


def violations(relpath: str, source: str) -> list[str]:
    """What in one module breaks the one-writer rule."""
    found = []
    for line, table in writes_in(source):
        if table == DYNAMIC:
            found.append(f"{relpath}:{line}: writes a table whose name is built at run time")
        elif OWNERS[table] != relpath:
            found.append(f"{relpath}:{line}: writes `{table}`, owned by {OWNERS[table]}")
    return found


MODULES = sorted((ROOT / "mobile_app").rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_owner_writes_a_table(path: Path) -> None:
    relpath = path.relative_to(ROOT).as_posix()
    assert violations(relpath, path.read_text(encoding="utf-8")) == []


def test_every_table_has_an_owner(tmp_path: Path) -> None:
    with Database(tmp_path / "s.sqlite3") as db:
        tables = {
            r[0]
            for r in db.query("SELECT name FROM sqlite_master WHERE type='table'")
            if not r[0].startswith("sqlite_")
        }
    assert tables == set(OWNERS)
    for owner in set(OWNERS.values()):
        assert (ROOT / owner).is_file(), owner


def test_every_owner_writes_its_table() -> None:
    """The map is not stale: each owner module really holds the writes of its tables."""
    for table, owner in OWNERS.items():
        tables = {t for _, t in writes_in((ROOT / owner).read_text(encoding="utf-8"))}
        assert table in tables, f"{owner} does not write {table}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('conn.execute("INSERT INTO parked (a) VALUES (?)", x)', ["parked"]),
        ('conn.execute("INSERT OR REPLACE INTO rejected (a) VALUES (1)")', ["rejected"]),
        ('conn.execute("UPDATE records SET dirty=1")', ["records"]),
        ('conn.execute("DELETE FROM outbox WHERE seq=?", (1,))', ["outbox"]),
        ('conn.execute(f"DELETE FROM {table}")', ["{}"]),
        ('conn.execute("SELECT 1 FROM" " drafts")', []),
        (
            'q = ("INSERT INTO drafts (id) VALUES (?)"\n'
            '     " ON CONFLICT (id) DO UPDATE SET x=1")',
            ["drafts"],
        ),
        ('"""Update the records when the server answers."""', []),
        ('conn.execute("UPDATE \\"session\\" SET value=1")', ["session"]),
    ],
)
def test_the_scanner_finds_writes(source: str, expected: list[str]) -> None:
    assert [t for _, t in writes_in(source)] == expected


def test_a_second_writer_is_reported() -> None:
    source = 'conn.execute("INSERT INTO parked (entity) VALUES (?)", ("visit",))\n'
    assert violations("mobile_app/store/reconcile/pull.py", source) == [
        "mobile_app/store/reconcile/pull.py:1: writes `parked`, owned by mobile_app/store/parked.py"
    ]
    assert violations("mobile_app/store/parked.py", source) == []
