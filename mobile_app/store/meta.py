"""The `meta` table's one writer: install-wide values (the client id, the HLC)."""

from __future__ import annotations

from mobile_app.store.database import Connection, Database


def get_meta(conn: Connection, key: str) -> str | None:
    """A meta value, or None."""
    row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_meta(conn: Connection, key: str, value: str) -> None:
    """Store a meta value inside the caller's transaction."""
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


def set_meta_once(conn: Connection, key: str, value: str) -> str:
    """Store `value` unless the key already holds one; return the value in force."""
    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value))
    current = get_meta(conn, key)
    assert current is not None  # just written or already there
    return current


def read_meta(db: Database, key: str) -> str | None:
    """A meta value read outside a transaction (e.g. the HLC for the sync report)."""
    value = db.scalar("SELECT value FROM meta WHERE key=?", (key,))
    return None if value is None else str(value)
