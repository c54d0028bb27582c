"""The `outbox` table's one writer: pending mutations in edit order, coalesced per record
until they are sent.

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

from typing import Any

from mobile_app.store import jsonio
from mobile_app.store.database import Connection, Database, Row
from mobile_app.store.models import OutboxEntry
from shared_schema.sync.changes import changes_between


def entry_from_row(row: Row) -> OutboxEntry:
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


def pending_changes(row: Row) -> dict[str, Any]:
    """What a record row would send now: the whole record if never on the server, else a diff."""
    data = jsonio.loads(row["data"]) or {}
    if row["base_version"] is None:
        return changes_between(None, data)
    return changes_between(jsonio.loads(row["base_data"]) or {}, data)


def sync_record_outbox(
    conn: Connection, entity: str, record_id: str, *, hlc: str | None, now: str
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
            drop_entry(conn, unsent["seq"])
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
            drop_entry(conn, unsent["seq"])
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


def _in_flight(conn: Connection, row: Row) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM outbox WHERE entity=? AND record_id=? AND mutation_id IS NOT NULL",
            (row["entity"], row["id"]),
        ).fetchone()
        is not None
    )


def has_pending(conn: Connection, entity: str, record_id: str) -> bool:
    """Whether any outbox entry (sent or not) exists for a record."""
    row = conn.execute(
        "SELECT 1 FROM outbox WHERE entity=? AND record_id=? LIMIT 1", (entity, record_id)
    ).fetchone()
    return row is not None


def pending_keys(conn: Connection) -> set[tuple[str, str]]:
    """(entity, id) of every record with an outbox entry."""
    return {(r[0], r[1]) for r in conn.execute("SELECT DISTINCT entity, record_id FROM outbox")}


def entries_for(conn: Connection, entity: str, record_id: str) -> list[OutboxEntry]:
    """One record's entries in outbox order."""
    rows = conn.execute(
        "SELECT * FROM outbox WHERE entity=? AND record_id=? ORDER BY seq", (entity, record_id)
    ).fetchall()
    return [entry_from_row(r) for r in rows]


def entries_by_mutation_id(conn: Connection, ids: list[int]) -> dict[int, OutboxEntry]:
    """The numbered entries with these mutation ids."""
    found: dict[int, OutboxEntry] = {}
    for mid in ids:
        row = conn.execute("SELECT * FROM outbox WHERE mutation_id=?", (mid,)).fetchone()
        if row is not None:
            found[mid] = entry_from_row(row)
    return found


def numbered_entries(conn: Connection, limit: int | None = None) -> list[OutboxEntry]:
    """Entries that already have a mutation id, in id order (they were, or are being, sent)."""
    sql = "SELECT * FROM outbox WHERE mutation_id IS NOT NULL ORDER BY mutation_id"
    params: tuple[int, ...] = ()
    if limit is not None:
        sql += " LIMIT ?"
        params = (limit,)
    return [entry_from_row(r) for r in conn.execute(sql, params).fetchall()]


def unnumbered_entries(conn: Connection, limit: int | None = None) -> list[OutboxEntry]:
    """Entries not yet numbered, in outbox order."""
    sql = "SELECT * FROM outbox WHERE mutation_id IS NULL ORDER BY seq"
    params: tuple[int, ...] = ()
    if limit is not None:
        sql += " LIMIT ?"
        params = (limit,)
    return [entry_from_row(r) for r in conn.execute(sql, params).fetchall()]


def max_mutation_id(conn: Connection) -> int:
    """The highest mutation id in the outbox (0 when none is numbered)."""
    return int(conn.execute("SELECT max(mutation_id) FROM outbox").fetchone()[0] or 0)


def set_mutation_id(conn: Connection, seq: int, mutation_id: int | None) -> None:
    """Number (or un-number, with None) one entry."""
    conn.execute("UPDATE outbox SET mutation_id=? WHERE seq=?", (mutation_id, seq))


def renumber(conn: Connection, first_id: int) -> int:
    """Give the numbered entries consecutive ids from `first_id`; return the next free id."""
    seqs = [e.seq for e in numbered_entries(conn)]
    # Two passes so the UNIQUE constraint never sees a transient duplicate.
    for seq in seqs:
        conn.execute("UPDATE outbox SET mutation_id=-mutation_id WHERE seq=?", (seq,))
    next_id = first_id
    for seq in seqs:
        set_mutation_id(conn, seq, next_id)
        next_id += 1
    return next_id


def unnumber_after(conn: Connection, keep: int) -> int | None:
    """Un-number all but the first `keep` numbered entries; return the first id freed."""
    numbered = numbered_entries(conn)
    for entry in numbered[keep:]:
        set_mutation_id(conn, entry.seq, None)
    return numbered[keep].mutation_id if numbered[keep:] else None


def drop_entry(conn: Connection, seq: int) -> None:
    """Remove one entry (acknowledged, parked, or given up)."""
    conn.execute("DELETE FROM outbox WHERE seq=?", (seq,))


def drop_unsent(conn: Connection, entity: str, record_id: str) -> None:
    """Remove a record's entry that has not been sent yet."""
    conn.execute(
        "DELETE FROM outbox WHERE entity=? AND record_id=? AND mutation_id IS NULL",
        (entity, record_id),
    )


def count_entries(db: Database) -> int:
    """How many mutations wait to be sent."""
    return int(db.scalar("SELECT count(*) FROM outbox"))


class OutboxRepository:
    """Reads the outbox for the screens; the functions above write it (for RecordRepository
    and reconcile)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def pending(self, limit: int | None = None) -> list[OutboxEntry]:
        """Entries in send order (already numbered ones first, they were sent before)."""
        sql = "SELECT * FROM outbox ORDER BY mutation_id IS NULL, mutation_id, seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [entry_from_row(r) for r in self.db.query(sql)]

    def count(self) -> int:
        """How many mutations wait to be sent."""
        return count_entries(self.db)

    def for_record(self, entity: str, record_id: str) -> list[OutboxEntry]:
        """The pending entries of one record."""
        rows = self.db.query(
            "SELECT * FROM outbox WHERE entity=? AND record_id=? ORDER BY seq", (entity, record_id)
        )
        return [entry_from_row(r) for r in rows]
