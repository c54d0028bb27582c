"""Folding server answers into the store, each answer in ONE transaction.

- `prepare_batch`: number the next outbox entries (persisted before the request is sent).
- `record_push_results`: store each mutation's result AND drop its outbox entry together.
- `apply_pull_page`: apply a pulled page AND advance the cursor together, rebasing dirty
  records with `shared_schema.sync.rebase_local` so pulled state never overwrites a pending
  edit.
- `park_and_renumber` / `renumber_from`: the 403 and 409 recoveries of docs/protocol-notes.md.

A crash between any two of these leaves a store the next sync completes (tests/mobile_app/
test_crash*.py kill a child process at each step).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from mobile_app.store import jsonio
from mobile_app.store.crashpoints import reach
from mobile_app.store.models import OutboxEntry
from mobile_app.store.outbox import entry_from_row, sync_record_outbox
from mobile_app.store.records import refresh_dirty, refresh_household, write_row
from mobile_app.store.state import add_notice, get_value, set_value
from shared_schema.sync import apply_changes, rebase_local

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
            "SELECT deleted, base_deleted FROM records WHERE entity=? AND id=?",
            (entry.entity, entry.record_id),
        ).fetchone()
        pending = conn.execute(
            "SELECT 1 FROM outbox WHERE entity=? AND record_id=?", (entry.entity, entry.record_id)
        ).fetchone()
        if gone["deleted"] and gone["base_deleted"] and pending is None:
            conn.execute(
                "DELETE FROM records WHERE entity=? AND id=?", (entry.entity, entry.record_id)
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
            _park(conn, entry, reason=json.dumps(reason, ensure_ascii=False), now=now)
        _renumber(conn, batch[0].mutation_id or 1)
    return len(bad)


def _park(conn: sqlite3.Connection, entry: OutboxEntry, *, reason: str, now: str) -> None:
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


def apply_pull_page(db: Any, page: dict[str, Any], *, now: str) -> dict[str, int]:
    """Apply one pulled page and advance the cursor in one transaction; return counts."""
    counts = {"changed": 0, "removed": 0, "deleted": 0}
    touched: set[str] = set()
    with db.transaction() as conn:
        for change in page.get("changes") or []:
            if change.get("removed"):
                touched.add(_remove(conn, change["entity"], change["id"], now) or "")
                counts["removed"] += 1
            else:
                touched.add(_apply_change(conn, change, now) or "")
                counts["deleted" if change.get("deleted") else "changed"] += 1
            reach("pull.change")
        for hid in touched:
            refresh_household(conn, hid)
        reach("pull.before_cursor")
        set_value(conn, "cursor", int(page["cursor"]))
    return counts


def _remove(conn: sqlite3.Connection, entity: str, record_id: str, now: str) -> str | None:
    """The record left the worker's scope: park its pending edits, then drop it."""
    rec = conn.execute(
        "SELECT household_id FROM records WHERE entity=? AND id=?", (entity, record_id)
    ).fetchone()
    for row in conn.execute(
        "SELECT * FROM outbox WHERE entity=? AND record_id=? ORDER BY seq", (entity, record_id)
    ).fetchall():
        _park(conn, entry_from_row(row), reason='"removed from your grids"', now=now)
    for draft in conn.execute("SELECT * FROM drafts WHERE id=?", (record_id,)).fetchall():
        conn.execute(
            "INSERT INTO parked (entity, record_id, op, base_version, data, record_data, hlc,"
            " reason, created_at) VALUES ('visit', ?, 'draft', NULL, ?, NULL, '', ?, ?)",
            (record_id, draft["data"], '"removed from your grids"', now),
        )
    conn.execute("DELETE FROM drafts WHERE id=?", (record_id,))
    if entity == "household":
        for draft in conn.execute(
            "SELECT * FROM drafts WHERE household_id=?", (record_id,)
        ).fetchall():
            conn.execute(
                "INSERT INTO parked (entity, record_id, op, base_version, data, record_data, hlc,"
                " reason, created_at) VALUES ('visit', ?, 'draft', NULL, ?, NULL, '', ?, ?)",
                (draft["id"], draft["data"], '"removed from your grids"', now),
            )
            conn.execute("DELETE FROM drafts WHERE id=?", (draft["id"],))
    conn.execute("DELETE FROM records WHERE entity=? AND id=?", (entity, record_id))
    conn.execute(
        "UPDATE conflicts SET closed=1 WHERE entity=? AND record_id=?", (entity, record_id)
    )
    return rec["household_id"] if rec else None


def _apply_change(conn: sqlite3.Connection, change: dict[str, Any], now: str) -> str | None:
    entity, record_id = change["entity"], change["id"]
    version = int(change["version"])
    server_deleted = bool(change.get("deleted"))
    server_data = change.get("data") or {}
    rec = conn.execute(
        "SELECT * FROM records WHERE entity=? AND id=?", (entity, record_id)
    ).fetchone()
    pending = conn.execute(
        "SELECT 1 FROM outbox WHERE entity=? AND record_id=? LIMIT 1", (entity, record_id)
    ).fetchone()
    previous = jsonio.loads(rec["base_data"]) if rec is not None else None
    if server_deleted and (rec is None or (not rec["dirty"] and pending is None)):
        # A clean record deleted on the server simply goes (an unknown one is not stored).
        if rec is not None:
            conn.execute("DELETE FROM records WHERE entity=? AND id=?", (entity, record_id))
            conn.execute(
                "UPDATE conflicts SET closed=1 WHERE entity=? AND record_id=?", (entity, record_id)
            )
        return rec["household_id"] if rec is not None else None
    if rec is None or (not rec["dirty"] and pending is None):
        write_row(
            conn,
            entity,
            record_id,
            data=server_data,
            deleted=server_deleted,
            now=now,
            base=(server_data, version, server_deleted),
        )
    elif rec["deleted"]:
        # A pending local delete keeps its old base so the server can see a delete-vs-edit
        # conflict; only the knowledge that the server deleted it too is recorded.
        if server_deleted:
            write_row(
                conn,
                entity,
                record_id,
                data=jsonio.loads(rec["data"]),
                deleted=True,
                now=now,
                base=(server_data, version, True),
            )
    elif server_deleted:
        # Deleted on the server while edited here: keep the local edit (the push will make
        # the server keep it as a conflict) and tell the worker.
        write_row(
            conn,
            entity,
            record_id,
            data=jsonio.loads(rec["data"]),
            deleted=False,
            now=now,
            base=(jsonio.loads(rec["base_data"]), rec["base_version"], False),
        )
        add_notice(
            conn,
            key=f"deleted:{entity}:{record_id}:{version}",
            kind="deleted_on_server",
            entity=entity,
            record_id=record_id,
            household_id=rec["household_id"],
            field=None,
            detail={"version": version},
            now=now,
        )
    else:
        local = jsonio.loads(rec["data"]) or {}
        base = jsonio.loads(rec["base_data"]) if rec["base_version"] is not None else None
        new_local, _pending = rebase_local(base, server_data, local)
        write_row(
            conn,
            entity,
            record_id,
            data=new_local,
            deleted=False,
            now=now,
            base=(server_data, version, False),
        )
        # Re-base the unsent entry onto the pulled version (its data becomes `_pending`).
        sync_record_outbox(conn, entity, record_id, hlc=None, now=now)
    open_fields = list(change.get("open_conflicts") or [])
    conn.execute(
        "UPDATE records SET open_conflicts=? WHERE entity=? AND id=?",
        (jsonio.dumps(open_fields), entity, record_id),
    )
    row = conn.execute(
        "SELECT household_id FROM records WHERE entity=? AND id=?", (entity, record_id)
    ).fetchone()
    household_id = row["household_id"] if row else server_data.get("household_id")
    _conflict_notices(conn, entity, record_id, household_id, open_fields, server_data, now)
    if entity == "visit":
        _review_notice(conn, record_id, household_id, previous, server_data, version, now)
    refresh_dirty(conn, entity, record_id)
    return household_id


def _conflict_notices(
    conn: sqlite3.Connection,
    entity: str,
    record_id: str,
    household_id: str | None,
    fields: list[str],
    server_data: dict[str, Any],
    now: str,
) -> None:
    """One notice per open conflict field; close those the server no longer reports."""
    prefix = f"open:{entity}:{record_id}:"
    for field in fields:
        add_notice(
            conn,
            key=prefix + field,
            kind="conflict",
            entity=entity,
            record_id=record_id,
            household_id=household_id,
            field=field,
            detail={"field": field},
            now=now,
        )
    placeholders = ",".join("?" * len(fields))
    conn.execute(
        "UPDATE conflicts SET closed=1 WHERE key LIKE ? ESCAPE '\\' AND closed=0"
        + (f" AND field NOT IN ({placeholders})" if fields else ""),
        (prefix.replace("_", "\\_").replace("%", "\\%") + "%", *fields),
    )
    if not fields:
        # The server reports no open conflict on this record: push-time notices are settled.
        conn.execute(
            "UPDATE conflicts SET closed=1 WHERE kind='conflict' AND entity=? AND record_id=?"
            " AND key LIKE 'conflict:%'",
            (entity, record_id),
        )


def _review_notice(
    conn: sqlite3.Connection,
    visit_id: str,
    household_id: str | None,
    previous: dict[str, Any] | None,
    data: dict[str, Any],
    version: int,
    now: str,
) -> None:
    """A supervisor's return or rejection reaches the worker as a notice with the comment."""
    status = data.get("review_status")
    before = (previous or {}).get("review_status")
    key = f"review:{visit_id}"
    if status in ("returned", "rejected"):
        if status != before or data.get("review_comment") != (previous or {}).get("review_comment"):
            add_notice(
                conn,
                key=key,
                kind="returned" if status == "returned" else "rejected_review",
                entity="visit",
                record_id=visit_id,
                household_id=household_id,
                field="review_status",
                detail={
                    "status": status,
                    "comment": data.get("review_comment"),
                    "visit_date": data.get("visit_date"),
                    "version": version,
                },
                now=now,
            )
    else:
        conn.execute("UPDATE conflicts SET closed=1 WHERE key=?", (key,))


def apply_open_conflicts(
    db: Any, conflicts: list[dict[str, Any]], *, now: str, client_id: str | None = None
) -> int:
    """Replace conflict notices with the server's open list (`GET /conflicts?status=open`).

    Each open conflict on a record this phone holds — or holding an edit made on this phone,
    even of a record deleted since — becomes the notice `conflict:<id>` with the base,
    server and client values; the coarser notices it supersedes close, and so do conflict
    notices the server no longer lists. Returns how many are open here.
    """
    with db.transaction() as conn:
        open_keys = []
        for c in conflicts:
            rec = conn.execute(
                "SELECT household_id FROM records WHERE entity=? AND id=?",
                (c.get("entity"), c.get("record_id")),
            ).fetchone()
            if rec is None and (client_id is None or c.get("client_id") != client_id):
                continue
            key = f"conflict:{c['id']}"
            open_keys.append(key)
            add_notice(
                conn,
                key=key,
                kind="conflict",
                entity=c["entity"],
                record_id=c["record_id"],
                household_id=rec["household_id"] if rec is not None else None,
                field=c.get("field"),
                detail=dict(c),
                now=now,
            )
            conn.execute(
                "UPDATE conflicts SET closed=1 WHERE key=?",
                (f"open:{c['entity']}:{c['record_id']}:{c.get('field')}",),
            )
        placeholders = ",".join("?" * len(open_keys)) or "''"
        conn.execute(
            f"UPDATE conflicts SET closed=1 WHERE key LIKE 'conflict:%' AND closed=0"
            f" AND key NOT IN ({placeholders})",
            open_keys,
        )
        households = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT household_id FROM conflicts WHERE household_id IS NOT NULL"
            )
        ]
        for hid in households:
            refresh_household(conn, hid)
    return len(open_keys)
