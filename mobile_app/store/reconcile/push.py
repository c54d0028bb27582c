"""Push answers: number a batch before sending, fold each result in with its outbox entry.

Also the recoveries of docs/protocol-notes.md: 409 (renumber from the server's last id + 1)
and 403 (park the out-of-scope mutations, renumber the rest from the batch's first id).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from mobile_app.store import jsonio
from mobile_app.store.crashpoints import reach
from mobile_app.store.models import OutboxEntry
from mobile_app.store.outbox import entry_from_row, sync_record_outbox
from mobile_app.store.records import refresh_dirty, refresh_household
from mobile_app.store.state import add_notice, get_value, set_value
from shared_schema.sync import apply_changes

ENVELOPE_BYTES = 200  # {"client_id": ..., "schema_version": 1, "mutations": []}


def wire_size(entry: OutboxEntry, mutation_id: int) -> int:
    """Bytes one mutation takes in the uncompressed push body."""
    wire = entry.to_wire() | {"mutation_id": mutation_id}
    return len(json.dumps(wire, ensure_ascii=False, separators=(",", ":")).encode("utf-8")) + 1


def prepare_batch(db: Any, *, max_mutations: int, max_bytes: int) -> list[OutboxEntry]:
    """The next batch to push: previously numbered entries first (resent unchanged), else
    number the next entries in outbox order within the limits and persist the ids.
    """
    with db.transaction() as conn:
        numbered = conn.execute(
            "SELECT * FROM outbox WHERE mutation_id IS NOT NULL ORDER BY mutation_id LIMIT ?",
            (max_mutations,),
        ).fetchall()
        if numbered:
            return [entry_from_row(r) for r in numbered]
        next_id = max(
            int(get_value(conn, "next_mutation_id", 1)),
            int(get_value(conn, "last_mutation_id", 0)) + 1,
        )
        rows = conn.execute(
            "SELECT * FROM outbox WHERE mutation_id IS NULL ORDER BY seq LIMIT ?",
            (max_mutations,),
        ).fetchall()
        batch: list[OutboxEntry] = []
        size = ENVELOPE_BYTES
        for row in rows:
            entry = entry_from_row(row)
            cost = wire_size(entry, next_id)
            if batch and size + cost > max_bytes:
                break
            size += cost
            conn.execute("UPDATE outbox SET mutation_id=? WHERE seq=?", (next_id, entry.seq))
            batch.append(_with_id(entry, next_id))
            next_id += 1
        set_value(conn, "next_mutation_id", next_id)
    return batch


def _with_id(entry: OutboxEntry, mutation_id: int) -> OutboxEntry:
    return OutboxEntry(**{**entry.__dict__, "mutation_id": mutation_id})


def record_push_results(
    db: Any, results: list[dict[str, Any]], last_mutation_id: int | None, *, now: str
) -> dict[str, int]:
    """Apply a push answer: per result advance the base or keep the rejection, drop the entry.

    Returns counts by status. Results for ids not in the outbox (already handled) are ignored.
    """
    counts: dict[str, int] = {}
    touched: set[str] = set()
    with db.transaction() as conn:
        for result in results:
            mid = result.get("mutation_id")
            row = conn.execute("SELECT * FROM outbox WHERE mutation_id=?", (mid,)).fetchone()
            if row is None:
                continue
            entry = entry_from_row(row)
            status = str(result.get("status"))
            counts[status] = counts.get(status, 0) + 1
            household_id = _acknowledge(conn, entry, result, now)
            touched.add(household_id or "")
            reach("push.result")
        if last_mutation_id is not None:
            current = int(get_value(conn, "last_mutation_id", 0))
            set_value(conn, "last_mutation_id", max(current, int(last_mutation_id)))
        for hid in touched:
            refresh_household(conn, hid)
    return counts


def _acknowledge(
    conn: sqlite3.Connection, entry: OutboxEntry, result: dict[str, Any], now: str
) -> str | None:
    """One mutation's result: update the record's base, keep rejections, drop the entry."""
    rec = conn.execute(
        "SELECT * FROM records WHERE entity=? AND id=?", (entry.entity, entry.record_id)
    ).fetchone()
    conn.execute("DELETE FROM outbox WHERE seq=?", (entry.seq,))
    status = result.get("status")
    version = result.get("version")
    household_id = rec["household_id"] if rec is not None else None
    if status == "rejected":
        conn.execute(
            "INSERT OR REPLACE INTO rejected (mutation_id, entity, record_id, op, data, errors,"
            " created_at) VALUES (?,?,?,?,?,?,?)",
            (
                entry.mutation_id,
                entry.entity,
                entry.record_id,
                entry.op,
                jsonio.dumps(entry.data),
                jsonio.dumps(result.get("errors") or {}),
                now,
            ),
        )
    elif rec is not None:
        base = jsonio.loads(rec["base_data"])
        new_version = version if version is not None else rec["base_version"]
        if rec["base_version"] is not None and new_version is not None:
            # A pull may already have moved the base past this answer's version.
            new_version = max(new_version, rec["base_version"])
        if entry.op == "delete":
            if status == "conflict":
                # The server kept the record (edited since our base): bring it back with the
                # worker's own edits, which go out again as an upsert on the same base.
                conn.execute(
                    "UPDATE records SET deleted=0, data=coalesce(data, base_data)"
                    " WHERE entity=? AND id=?",
                    (entry.entity, entry.record_id),
                )
                sync_record_outbox(conn, entry.entity, entry.record_id, hlc=entry.hlc, now=now)
            else:
                conn.execute(
                    "UPDATE records SET base_deleted=1, base_version=? WHERE entity=? AND id=?",
                    (new_version, entry.entity, entry.record_id),
                )
        else:
            # Applied, merged or conflict: the server holds our sent values as far as we know
            # (conflicting fields stay provisionally the server's; the next pull brings them
            # and, because they are now in our base, they replace our value locally).
            new_base = apply_changes(base or {}, entry.data)
            conn.execute(
                "UPDATE records SET base_data=?, base_version=?, base_deleted=0"
                " WHERE entity=? AND id=?",
                (jsonio.dumps(new_base), new_version, entry.entity, entry.record_id),
            )
        for conflict_id in result.get("conflicts") or []:
            add_notice(
                conn,
                key=f"conflict:{conflict_id}",
                kind="conflict",
                entity=entry.entity,
                record_id=entry.record_id,
                household_id=household_id,
                field=None,
                detail={
                    "conflict_id": conflict_id,
                    "mutation_id": entry.mutation_id,
                    "op": entry.op,
                    "sent": entry.data,
                },
                now=now,
            )
    if rec is not None:
        # Later edits of the same record were waiting for this base: re-base them now.
        sync_record_outbox(conn, entry.entity, entry.record_id, hlc=None, now=now)
        gone = conn.execute(
            "SELECT deleted, base_deleted, base_version FROM records WHERE entity=? AND id=?",
            (entry.entity, entry.record_id),
        ).fetchone()
        pending = conn.execute(
            "SELECT 1 FROM outbox WHERE entity=? AND record_id=?", (entry.entity, entry.record_id)
        ).fetchone()
        never_on_server = gone["base_version"] is None
        if gone["deleted"] and (gone["base_deleted"] or never_on_server) and pending is None:
            # Nothing left to tell the server: an acknowledged delete, or a record whose
            # create was rejected and which the worker has deleted since.
            conn.execute(
                "DELETE FROM records WHERE entity=? AND id=?", (entry.entity, entry.record_id)
            )
            conn.execute(
                "UPDATE rejected SET resolved=1 WHERE entity=? AND record_id=?",
                (entry.entity, entry.record_id),
            )
        else:
            refresh_dirty(conn, entry.entity, entry.record_id)
    return household_id


def renumber_from(db: Any, first_id: int) -> None:
    """Give every numbered outbox entry consecutive ids from `first_id` (409 gap recovery)."""
    with db.transaction() as conn:
        _renumber(conn, first_id)


def _renumber(conn: sqlite3.Connection, first_id: int) -> None:
    rows = conn.execute(
        "SELECT seq FROM outbox WHERE mutation_id IS NOT NULL ORDER BY mutation_id"
    ).fetchall()
    # Two passes so the UNIQUE constraint never sees a transient duplicate.
    for row in rows:
        conn.execute("UPDATE outbox SET mutation_id=-mutation_id WHERE seq=?", (row["seq"],))
    next_id = first_id
    for row in rows:
        conn.execute("UPDATE outbox SET mutation_id=? WHERE seq=?", (next_id, row["seq"]))
        next_id += 1
    set_value(conn, "next_mutation_id", next_id)


def park_and_renumber(
    db: Any, batch: list[OutboxEntry], errors: dict[str, Any], *, now: str
) -> int:
    """403 recovery: park the batch's out-of-scope mutations, renumber the rest from the
    batch's first id (the server recorded nothing). Returns how many were parked."""
    bad = set()
    for key in errors or {}:
        parts = str(key).split(".")
        if len(parts) >= 2 and parts[0] == "mutations" and parts[1].isdigit():
            bad.add(int(parts[1]))
    if not bad:
        return 0
    with db.transaction() as conn:
        for index in sorted(bad):
            if index >= len(batch):
                continue
            entry = batch[index]
            reason = errors.get(f"mutations.{index}")
            park_entry(conn, entry, reason=json.dumps(reason, ensure_ascii=False), now=now)
        _renumber(conn, batch[0].mutation_id or 1)
    return len(bad)


def park_entry(conn: sqlite3.Connection, entry: OutboxEntry, *, reason: str, now: str) -> None:
    rec = conn.execute(
        "SELECT data, household_id FROM records WHERE entity=? AND id=?",
        (entry.entity, entry.record_id),
    ).fetchone()
    conn.execute(
        "INSERT INTO parked (entity, record_id, op, base_version, data, record_data, hlc, reason,"
        " created_at) VALUES (?,?,?,?,?,?,?,?,?)",
        (
            entry.entity,
            entry.record_id,
            entry.op,
            entry.base_version,
            jsonio.dumps(entry.data),
            rec["data"] if rec else None,
            entry.hlc,
            reason,
            now,
        ),
    )
    conn.execute("DELETE FROM outbox WHERE seq=?", (entry.seq,))
    if rec is not None:
        # The edit is kept in `parked`; the record falls back to what the server has.
        conn.execute(
            "UPDATE records SET data=base_data, deleted=base_deleted WHERE entity=? AND id=?",
            (entry.entity, entry.record_id),
        )
        still = conn.execute(
            "SELECT base_version, data FROM records WHERE entity=? AND id=?",
            (entry.entity, entry.record_id),
        ).fetchone()
        if still["base_version"] is None:
            conn.execute(
                "DELETE FROM records WHERE entity=? AND id=?", (entry.entity, entry.record_id)
            )
        else:
            refresh_dirty(conn, entry.entity, entry.record_id)
        refresh_household(conn, rec["household_id"])
