"""The `sync_state` table's one writer: pull cursor, mutation ids, last run and error."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from mobile_app.store import jsonio
from mobile_app.store.clock import iso
from mobile_app.store.database import Connection, Database
from mobile_app.store.models import SyncState


def get_value(conn: Connection, key: str, default: Any = None) -> Any:
    """A sync_state value (JSON-decoded)."""
    row = conn.execute("SELECT value FROM sync_state WHERE key=?", (key,)).fetchone()
    return default if row is None else jsonio.loads(row[0])


def set_value(conn: Connection, key: str, value: Any) -> None:
    """Store a sync_state value inside the caller's transaction."""
    conn.execute(
        "INSERT INTO sync_state (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value=excluded.value",
        (key, jsonio.dumps(value)),
    )


def forget_values(conn: Connection, keys: Iterable[str]) -> None:
    """Drop sync_state values (another user's cursor and error at a user switch)."""
    for key in keys:
        conn.execute("DELETE FROM sync_state WHERE key=?", (key,))


def next_mutation_id(conn: Connection) -> int:
    """The id the next numbered outbox entry gets (never at or below an acknowledged one)."""
    return max(
        int(get_value(conn, "next_mutation_id", 1)),
        int(get_value(conn, "last_mutation_id", 0)) + 1,
    )


class SyncStateRepository:
    """Cursor, acknowledged mutation id, last sync time and error, pending counts."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self) -> SyncState:
        """The current state (counts computed from their tables)."""
        conn = self.db.conn
        return SyncState(
            cursor=int(get_value(conn, "cursor", 0)),
            last_mutation_id=int(get_value(conn, "last_mutation_id", 0)),
            next_mutation_id=int(get_value(conn, "next_mutation_id", 1)),
            last_sync_at=get_value(conn, "last_sync_at"),
            last_error=get_value(conn, "last_error"),
            pending_count=int(self.db.scalar("SELECT count(*) FROM outbox")),
            rejected_count=int(self.db.scalar("SELECT count(*) FROM rejected WHERE resolved=0")),
            parked_count=int(self.db.scalar("SELECT count(*) FROM parked")),
        )

    def record_success(self, now: datetime) -> None:
        """Note a completed sync (clears the last error)."""
        with self.db.transaction() as conn:
            set_value(conn, "last_sync_at", iso(now))
            set_value(conn, "last_error", None)

    def record_files(self, *, held_for_wifi: int) -> None:
        """Note how many photos the last files phase held back for Wi-Fi (home says so)."""
        with self.db.transaction() as conn:
            set_value(conn, "files_held_for_wifi", int(held_for_wifi))

    def files_held_for_wifi(self) -> int:
        """Photos the last files phase held back on a metered network (0: none)."""
        return int(get_value(self.db.conn, "files_held_for_wifi", 0) or 0)

    def record_error(self, message: str) -> None:
        """Note why the last sync stopped (shown to the worker)."""
        with self.db.transaction() as conn:
            set_value(conn, "last_error", message)
