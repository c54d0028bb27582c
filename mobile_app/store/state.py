"""Sync bookkeeping the worker and the runner read: state, rejections, conflicts, parked edits."""

from __future__ import annotations

import builtins
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from mobile_app.store import jsonio
from mobile_app.store.clock import iso
from mobile_app.store.models import ConflictNotice, ParkedEdit, RejectedMutation, SyncState


def get_value(conn: sqlite3.Connection, key: str, default: Any = None) -> Any:
    """A sync_state value (JSON-decoded)."""
    row = conn.execute("SELECT value FROM sync_state WHERE key=?", (key,)).fetchone()
    return default if row is None else jsonio.loads(row[0])


def set_value(conn: sqlite3.Connection, key: str, value: Any) -> None:
    """Store a sync_state value inside the caller's transaction."""
    conn.execute(
        "INSERT INTO sync_state (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value=excluded.value",
        (key, jsonio.dumps(value)),
    )


class SyncStateRepository:
    """Cursor, acknowledged mutation id, last sync time and error, pending counts."""

    def __init__(self, db: Any) -> None:
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
            pending_count=int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0]),
            rejected_count=int(
                conn.execute("SELECT count(*) FROM rejected WHERE resolved=0").fetchone()[0]
            ),
            parked_count=int(conn.execute("SELECT count(*) FROM parked").fetchone()[0]),
        )

    def record_success(self, now: datetime) -> None:
        """Note a completed sync (clears the last error)."""
        with self.db.transaction() as conn:
            set_value(conn, "last_sync_at", iso(now))
            set_value(conn, "last_error", None)

    def record_error(self, message: str) -> None:
        """Note why the last sync stopped (shown to the worker)."""
        with self.db.transaction() as conn:
            set_value(conn, "last_error", message)


def _rejected(row: sqlite3.Row) -> RejectedMutation:
    return RejectedMutation(
        mutation_id=row["mutation_id"],
        entity=row["entity"],
        record_id=row["record_id"],
        op=row["op"],
        data=jsonio.loads(row["data"]),
        errors=jsonio.loads(row["errors"]),
        created_at=row["created_at"],
    )


class RejectedRepository:
    """Mutations the server rejected with field errors; the worker fixes the record and saves."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def list(self, *, include_resolved: bool = False) -> list[RejectedMutation]:
        """Rejected mutations, oldest first."""
        where = "" if include_resolved else " WHERE resolved=0"
        rows = self.db.query(f"SELECT * FROM rejected{where} ORDER BY mutation_id")
        return [_rejected(r) for r in rows]

    def for_record(self, entity: str, record_id: str) -> builtins.list[RejectedMutation]:
        """Open rejections of one record (to show errors next to its fields)."""
        rows = self.db.query(
            "SELECT * FROM rejected WHERE entity=? AND record_id=? AND resolved=0"
            " ORDER BY mutation_id",
            (entity, record_id),
        )
        return [_rejected(r) for r in rows]

    def dismiss(self, mutation_id: int) -> None:
        """Hide a rejection (the worker fixed and saved the record, or accepts the loss)."""
        with self.db.transaction() as conn:
            conn.execute("UPDATE rejected SET resolved=1 WHERE mutation_id=?", (mutation_id,))

    def discard(self, mutation_id: int, *, now: datetime) -> None:
        """Give up a rejected edit: its fields go back to the server's values (a rejected
        create removes the local record), and the rejection is closed."""
        from mobile_app.store.outbox import sync_record_outbox
        from mobile_app.store.records import refresh_dirty, refresh_household
        from shared_schema.sync import apply_changes, flatten, unflatten, value_at

        with self.db.transaction() as conn:
            rej = conn.execute(
                "SELECT * FROM rejected WHERE mutation_id=?", (mutation_id,)
            ).fetchone()
            if rej is None:
                raise LookupError(f"no rejected mutation {mutation_id}")
            conn.execute("UPDATE rejected SET resolved=1 WHERE mutation_id=?", (mutation_id,))
            rec = conn.execute(
                "SELECT * FROM records WHERE entity=? AND id=?", (rej["entity"], rej["record_id"])
            ).fetchone()
            if rec is None:
                return
            if rec["base_version"] is None:
                conn.execute(
                    "DELETE FROM outbox WHERE entity=? AND record_id=? AND mutation_id IS NULL",
                    (rej["entity"], rej["record_id"]),
                )
                conn.execute(
                    "DELETE FROM records WHERE entity=? AND id=?",
                    (rej["entity"], rej["record_id"]),
                )
            else:
                base = jsonio.loads(rec["base_data"]) or {}
                sent = flatten(jsonio.loads(rej["data"]) or {})
                restore = unflatten({path: value_at(base, path) for path in sent})
                data = apply_changes(jsonio.loads(rec["data"]) or {}, restore)
                conn.execute(
                    "UPDATE records SET data=?, updated_at=? WHERE entity=? AND id=?",
                    (jsonio.dumps(data), iso(now), rej["entity"], rej["record_id"]),
                )
                sync_record_outbox(conn, rej["entity"], rej["record_id"], hlc=None, now=iso(now))
                refresh_dirty(conn, rej["entity"], rej["record_id"])
            refresh_household(conn, rec["household_id"])


def _notice(row: sqlite3.Row) -> ConflictNotice:
    return ConflictNotice(
        key=row["key"],
        kind=row["kind"],
        entity=row["entity"],
        record_id=row["record_id"],
        household_id=row["household_id"],
        field=row["field"],
        detail=jsonio.loads(row["detail"]),
        created_at=row["created_at"],
        seen=bool(row["seen"]),
        closed=bool(row["closed"]),
    )


def add_notice(
    conn: sqlite3.Connection,
    *,
    key: str,
    kind: str,
    entity: str,
    record_id: str,
    household_id: str | None,
    field: str | None,
    detail: dict[str, Any],
    now: str,
) -> None:
    """Insert or refresh a notice (same key: updated, marked unseen again if it changed)."""
    conn.execute(
        "INSERT INTO conflicts (key, kind, entity, record_id, household_id, field, detail,"
        " created_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (key) DO UPDATE SET"
        " detail=excluded.detail, closed=0, field=coalesce(excluded.field, conflicts.field),"
        " household_id=coalesce(excluded.household_id, conflicts.household_id),"
        " seen=CASE WHEN conflicts.detail = excluded.detail THEN conflicts.seen ELSE 0 END",
        (key, kind, entity, record_id, household_id, field, jsonio.dumps(detail), now),
    )


class ConflictRepository:
    """Conflicts and supervisor returns the worker should see, with what happened."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def list(
        self, *, open_only: bool = True, household_id: str | None = None
    ) -> list[ConflictNotice]:
        """Notices, newest first."""
        clauses, params = [], []
        if open_only:
            clauses.append("closed=0")
        if household_id is not None:
            clauses.append("household_id=?")
            params.append(household_id)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.db.query(
            f"SELECT * FROM conflicts{where} ORDER BY created_at DESC, key", params
        )
        return [_notice(r) for r in rows]

    def unseen_count(self) -> int:
        """How many open notices the worker has not looked at."""
        return int(self.db.query_one("SELECT count(*) FROM conflicts WHERE closed=0 AND seen=0")[0])

    def mark_seen(self, key: str) -> None:
        """The worker opened the notice."""
        with self.db.transaction() as conn:
            conn.execute("UPDATE conflicts SET seen=1 WHERE key=?", (key,))


def _parked(row: sqlite3.Row) -> ParkedEdit:
    return ParkedEdit(
        seq=row["seq"],
        entity=row["entity"],
        record_id=row["record_id"],
        op=row["op"],
        base_version=row["base_version"],
        data=jsonio.loads(row["data"]),
        record_data=jsonio.loads(row["record_data"]),
        hlc=row["hlc"],
        reason=row["reason"],
        created_at=row["created_at"],
    )


class ParkedRepository:
    """Edits the server refused as outside the worker's scope; kept and exportable."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def list(self) -> list[ParkedEdit]:
        """Parked edits, oldest first."""
        return [_parked(r) for r in self.db.query("SELECT * FROM parked ORDER BY seq")]

    def export(self, path: str | Path) -> int:
        """Write every parked edit to a JSON file (for a supervisor); return how many."""
        edits = self.list()
        payload = [
            {
                "entity": e.entity,
                "id": e.record_id,
                "op": e.op,
                "base_version": e.base_version,
                "data": e.data,
                "record": e.record_data,
                "hlc": e.hlc,
                "reason": e.reason,
                "created_at": e.created_at,
            }
            for e in edits
        ]
        Path(path).write_text(jsonio.dumps(payload), encoding="utf-8")
        return len(edits)
