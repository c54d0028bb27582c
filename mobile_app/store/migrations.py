"""Numbered schema migrations for the phone's SQLite file (a registry, sqlite-utils style).

Each migration is a function taking the connection, registered with `@migration(n, name)`.
`apply_migrations` runs, inside the caller's transaction, those not yet recorded in the
`migrations` table, in number order. Migrations are never edited once released: add a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    """One schema step: its number, a name for the log, and the function that applies it."""

    number: int
    name: str
    apply: Callable[[sqlite3.Connection], None]


MIGRATIONS: list[Migration] = []


def migration(number: int, name: str) -> Callable[[Callable], Callable]:
    """Register a migration function under a unique, increasing number."""

    def register(fn: Callable[[sqlite3.Connection], None]) -> Callable:
        if any(m.number == number for m in MIGRATIONS):
            raise ValueError(f"duplicate migration number {number}")
        MIGRATIONS.append(Migration(number, name, fn))
        MIGRATIONS.sort(key=lambda m: m.number)
        return fn

    return register


def apply_migrations(conn: sqlite3.Connection, registry: list[Migration]) -> list[int]:
    """Apply the pending migrations of `registry` in order; return the numbers applied."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS migrations ("
        " number INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
    )
    done = {row[0] for row in conn.execute("SELECT number FROM migrations")}
    applied = []
    for m in sorted(registry, key=lambda m: m.number):
        if m.number in done:
            continue
        m.apply(conn)
        conn.execute("INSERT INTO migrations (number, name) VALUES (?, ?)", (m.number, m.name))
        applied.append(m.number)
    return applied


@migration(1, "initial schema")
def _initial(conn: sqlite3.Connection) -> None:
    statements = [
        # meta: install-wide values (client_id, hlc, next mutation id ...)
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
        # records: current local state + the server state it is based on
        """CREATE TABLE records (
            entity TEXT NOT NULL CHECK (entity IN ('household','member','visit')),
            id TEXT NOT NULL,
            household_id TEXT,
            data TEXT,
            base_data TEXT,
            base_version INTEGER,
            base_deleted INTEGER NOT NULL DEFAULT 0,
            deleted INTEGER NOT NULL DEFAULT 0,
            dirty INTEGER NOT NULL DEFAULT 0,
            open_conflicts TEXT NOT NULL DEFAULT '[]',
            updated_at TEXT,
            grid_id TEXT,
            household_no TEXT,
            head_name TEXT,
            id_number TEXT,
            visit_date TEXT,
            review_status TEXT,
            risk_count INTEGER NOT NULL DEFAULT 0,
            last_visit_date TEXT,
            next_visit_due TEXT,
            last_review_status TEXT,
            has_conflict INTEGER NOT NULL DEFAULT 0,
            unsynced INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (entity, id)
        )""",
        "CREATE INDEX records_household ON records (entity, household_id, deleted)",
        "CREATE INDEX records_priority ON records (entity, deleted, next_visit_due, risk_count)",
        "CREATE INDEX records_grid ON records (entity, grid_id)",
        "CREATE INDEX records_head_name ON records (head_name)",
        "CREATE INDEX records_household_no ON records (household_no)",
        "CREATE INDEX records_id_number ON records (id_number)",
        # outbox: pending mutations in order; mutation_id assigned (and persisted) at push time
        """CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            entity TEXT NOT NULL,
            record_id TEXT NOT NULL,
            op TEXT NOT NULL CHECK (op IN ('upsert','delete')),
            base_version INTEGER,
            data TEXT NOT NULL,
            hlc TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            mutation_id INTEGER UNIQUE
        )""",
        "CREATE INDEX outbox_record ON outbox (entity, record_id)",
        # drafts: autosaved visit forms, not in the outbox until saved
        """CREATE TABLE drafts (
            id TEXT PRIMARY KEY,
            entity TEXT NOT NULL,
            household_id TEXT,
            data TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX drafts_household ON drafts (household_id)",
        # rejected: mutations the server refused, for the worker to fix
        """CREATE TABLE rejected (
            mutation_id INTEGER PRIMARY KEY,
            entity TEXT NOT NULL,
            record_id TEXT NOT NULL,
            op TEXT NOT NULL,
            data TEXT NOT NULL,
            errors TEXT NOT NULL,
            created_at TEXT NOT NULL,
            resolved INTEGER NOT NULL DEFAULT 0
        )""",
        # conflicts and supervisor returns the worker should see
        """CREATE TABLE conflicts (
            key TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            entity TEXT NOT NULL,
            record_id TEXT NOT NULL,
            household_id TEXT,
            field TEXT,
            detail TEXT NOT NULL,
            created_at TEXT NOT NULL,
            seen INTEGER NOT NULL DEFAULT 0,
            closed INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX conflicts_record ON conflicts (entity, record_id)",
        # parked: out-of-scope edits kept for the worker, exportable
        """CREATE TABLE parked (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            entity TEXT NOT NULL,
            record_id TEXT NOT NULL,
            op TEXT NOT NULL,
            base_version INTEGER,
            data TEXT NOT NULL,
            record_data TEXT,
            hlc TEXT NOT NULL,
            reason TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        # config cache and the local session (single rows keyed by name)
        "CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL, fetched_at TEXT)",
        "CREATE TABLE session (key TEXT PRIMARY KEY, value TEXT)",
        # sync state: cursor, acknowledgements, last run
        "CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT)",
    ]
    for sql in statements:
        conn.execute(sql)


@migration(2, "files: evidence files of visits (photos, signatures) and their upload state")
def _files(conn: sqlite3.Connection) -> None:
    # One row per file, named by the SHA-256 of its bytes (PROTOCOL.md "Attachments"); the
    # sealed bytes live in the app's private files directory (mobile_app/evidence/vault.py).
    # local: 'full' (file and thumbnail on the phone), 'thumb' (evicted after the server got
    # it: thumbnail only), 'missing' (the file is gone from the phone; it can be retaken).
    # remote: 'pending' (not on the server yet: never evicted) or 'uploaded'.
    conn.execute(
        """CREATE TABLE files (
            sha256 TEXT PRIMARY KEY,
            visit_id TEXT,
            kind TEXT NOT NULL,
            mime TEXT NOT NULL,
            size INTEGER NOT NULL,
            width INTEGER,
            height INTEGER,
            taken_at TEXT,
            local TEXT NOT NULL DEFAULT 'full' CHECK (local IN ('full','thumb','missing')),
            remote TEXT NOT NULL DEFAULT 'pending' CHECK (remote IN ('pending','uploaded')),
            upload_offset INTEGER NOT NULL DEFAULT 0,
            upload_error TEXT,
            created_at TEXT NOT NULL,
            last_used_at TEXT NOT NULL,
            uploaded_at TEXT
        )"""
    )
    conn.execute("CREATE INDEX files_remote ON files (remote, created_at)")
    conn.execute("CREATE INDEX files_visit ON files (visit_id)")
