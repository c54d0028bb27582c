"""The `rejected` table's one writer: mutations the server refused, with their field errors.

The worker fixes the record and saves (a new mutation), or gives the edit up (`discard`).
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from mobile_app.store import jsonio
from mobile_app.store.clock import iso
from mobile_app.store.database import Connection, Database, Row
from mobile_app.store.models import OutboxEntry, RejectedMutation


def rejected_from_row(row: Row) -> RejectedMutation:
    """A rejected row as its dataclass."""
    return RejectedMutation(
        mutation_id=row["mutation_id"],
        entity=row["entity"],
        record_id=row["record_id"],
        op=row["op"],
        data=jsonio.loads(row["data"]),
        errors=jsonio.loads(row["errors"]),
        created_at=row["created_at"],
    )


def add_rejected(conn: Connection, entry: OutboxEntry, errors: Any, *, now: str) -> None:
    """Keep a refused mutation with the server's field errors."""
    conn.execute(
        "INSERT OR REPLACE INTO rejected (mutation_id, entity, record_id, op, data, errors,"
        " created_at) VALUES (?,?,?,?,?,?,?)",
        (
            entry.mutation_id,
            entry.entity,
            entry.record_id,
            entry.op,
            jsonio.dumps(entry.data),
            jsonio.dumps(errors or {}),
            now,
        ),
    )


def resolve_rejected(conn: Connection, mutation_id: int) -> None:
    """Close one rejection."""
    conn.execute("UPDATE rejected SET resolved=1 WHERE mutation_id=?", (mutation_id,))


def resolve_record_rejections(conn: Connection, entity: str, record_id: str) -> None:
    """Close every rejection of a record (it is gone: nothing left to fix)."""
    conn.execute(
        "UPDATE rejected SET resolved=1 WHERE entity=? AND record_id=?", (entity, record_id)
    )


def clear_rejected(conn: Connection) -> None:
    """Drop every rejection (another user's data at a user switch)."""
    conn.execute("DELETE FROM rejected")


class RejectedRepository:
    """Mutations the server rejected with field errors; the worker fixes the record and saves."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def list(self, *, include_resolved: bool = False) -> list[RejectedMutation]:
        """Rejected mutations, oldest first."""
        where = "" if include_resolved else " WHERE resolved=0"
        rows = self.db.query(f"SELECT * FROM rejected{where} ORDER BY mutation_id")
        return [rejected_from_row(r) for r in rows]

    def for_record(self, entity: str, record_id: str) -> builtins.list[RejectedMutation]:
        """Open rejections of one record (to show errors next to its fields)."""
        rows = self.db.query(
            "SELECT * FROM rejected WHERE entity=? AND record_id=? AND resolved=0"
            " ORDER BY mutation_id",
            (entity, record_id),
        )
        return [rejected_from_row(r) for r in rows]

    def dismiss(self, mutation_id: int) -> None:
        """Hide a rejection (the worker fixed and saved the record, or accepts the loss)."""
        with self.db.transaction() as conn:
            resolve_rejected(conn, mutation_id)

    def discard(self, mutation_id: int, *, now: datetime) -> None:
        """Give up a rejected edit: its fields go back to the server's values (a rejected
        create removes the local record), and the rejection is closed."""
        from mobile_app.store.outbox import drop_unsent, sync_record_outbox
        from mobile_app.store.records import (
            delete_record,
            load_record,
            refresh_dirty,
            refresh_household,
            set_data,
        )
        from shared_schema.sync import apply_changes, flatten, unflatten, value_at

        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM rejected WHERE mutation_id=?", (mutation_id,)
            ).fetchone()
            if row is None:
                raise LookupError(f"no rejected mutation {mutation_id}")
            rej = rejected_from_row(row)
            resolve_rejected(conn, mutation_id)
            rec = load_record(conn, rej.entity, rej.record_id)
            if rec is None:
                return
            if rec.base_version is None:
                drop_unsent(conn, rej.entity, rej.record_id)
                delete_record(conn, rej.entity, rej.record_id)
            else:
                base = rec.base_data or {}
                sent = flatten(rej.data or {})
                restore = unflatten({path: value_at(base, path) for path in sent})
                data = apply_changes(rec.data or {}, restore)
                set_data(conn, rej.entity, rej.record_id, data, now=iso(now))
                sync_record_outbox(conn, rej.entity, rej.record_id, hlc=None, now=iso(now))
                refresh_dirty(conn, rej.entity, rej.record_id)
            refresh_household(conn, rec.household_id)
