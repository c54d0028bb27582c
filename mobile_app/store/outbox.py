"""The outbox: pending mutations in edit order, coalesced per record until they are sent.

Decisions (docs/mobile-store.md):
- An entry holds the fields changed since the record's base (`changes_between`), the
  base_version, op, hlc and created_at; it is written in the same transaction as the edit.
- Coalescing: while an entry has no mutation id yet (not sent), later edits of the same record
  rewrite it in place (it keeps its position, so a household still precedes its members).
  Once an entry has a mutation id it is frozen (a retry must resend exactly the same bytes);
  further edits go to a new entry that is re-based when the sent one is acknowledged.
- Mutation ids are assigned, in outbox order, just before the first send and persisted in
  that transaction (docs/protocol-notes.md), so a retried push resends the same ids.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from mobile_app.store import jsonio
from mobile_app.store.models import OutboxEntry
from shared_schema.sync.changes import changes_between


def entry_from_row(row: sqlite3.Row) -> OutboxEntry:
    """Turn an outbox row into its dataclass."""
    return OutboxEntry(
        seq=row["seq"],
        entity=row["entity"],
        record_id=row["record_id"],
        op=row["op"],
        base_version=row["base_version"],
        data=jsonio.loads(row["data"]),
        hlc=row["hlc"],
        created_at=row["created_at"],
        mutation_id=row["mutation_id"],
    )


def pending_changes(row: sqlite3.Row) -> dict[str, Any]:
    """What a record row would send now: the whole record if never on the server, else a diff."""
    data = jsonio.loads(row["data"]) or {}
    if row["base_version"] is None:
        return changes_between(None, data)
    return changes_between(jsonio.loads(row["base_data"]) or {}, data)


def sync_record_outbox(
    conn: sqlite3.Connection, entity: str, record_id: str, *, hlc: str | None, now: str
) -> None:
    """Make the unsent outbox entry of one record match its row (insert, rewrite or drop).

    `hlc` is the stamp of a new local edit; None only re-bases an existing unsent entry after
    a server answer (it keeps its stamp, and no entry is created).
    """
    row = conn.execute(
        "SELECT * FROM records WHERE entity=? AND id=?", (entity, record_id)
    ).fetchone()
    unsent = conn.execute(
        "SELECT * FROM outbox WHERE entity=? AND record_id=? AND mutation_id IS NULL",
        (entity, record_id),
    ).fetchone()
    if row is None:
        if unsent is not None:
            conn.execute("DELETE FROM outbox WHERE seq=?", (unsent["seq"],))
        return
    data: dict[str, Any]
    op: str | None
    if row["deleted"]:
        if row["base_deleted"] or (row["base_version"] is None and not _in_flight(conn, row)):
            op, data = None, {}  # nothing for the server to do
        else:
            op, data = "delete", {}
    else:
        data = pending_changes(row)
        op = "upsert" if data else None
    if op is None:
        if unsent is not None:
            conn.execute("DELETE FROM outbox WHERE seq=?", (unsent["seq"],))
        return
    if unsent is None:
        if hlc is None:
            return  # a re-base never invents a mutation (a rejected edit waits for the worker)
        conn.execute(
            "INSERT INTO outbox (entity, record_id, op, base_version, data, hlc, created_at,"
            " updated_at) VALUES (?,?,?,?,?,?,?,?)",
            (entity, record_id, op, row["base_version"], jsonio.dumps(data), hlc, now, now),
        )
    else:
        conn.execute(
            "UPDATE outbox SET op=?, base_version=?, data=?, hlc=coalesce(?, hlc), updated_at=?"
            " WHERE seq=?",
            (op, row["base_version"], jsonio.dumps(data), hlc, now, unsent["seq"]),
        )


def _in_flight(conn: sqlite3.Connection, row: sqlite3.Row) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM outbox WHERE entity=? AND record_id=? AND mutation_id IS NOT NULL",
            (row["entity"], row["id"]),
        ).fetchone()
        is not None
    )


class OutboxRepository:
    """Reads the outbox and assigns mutation ids; writes happen through RecordRepository."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def pending(self, limit: int | None = None) -> list[OutboxEntry]:
        """Entries in send order (already numbered ones first, they were sent before)."""
        sql = "SELECT * FROM outbox ORDER BY mutation_id IS NULL, mutation_id, seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [entry_from_row(r) for r in self.db.query(sql)]

    def count(self) -> int:
        """How many mutations wait to be sent."""
        return int(self.db.query_one("SELECT count(*) FROM outbox")[0])

    def for_record(self, entity: str, record_id: str) -> list[OutboxEntry]:
        """The pending entries of one record."""
        rows = self.db.query(
            "SELECT * FROM outbox WHERE entity=? AND record_id=? ORDER BY seq", (entity, record_id)
        )
        return [entry_from_row(r) for r in rows]
