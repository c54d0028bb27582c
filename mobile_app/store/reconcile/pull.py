"""Pulled pages: apply each with its cursor, rebasing pending edits; notices for the worker."""

from __future__ import annotations

import sqlite3
from typing import Any

from mobile_app.store import jsonio
from mobile_app.store.crashpoints import reach
from mobile_app.store.outbox import entry_from_row, sync_record_outbox
from mobile_app.store.reconcile.push import park_entry
from mobile_app.store.records import refresh_dirty, refresh_household, write_row
from mobile_app.store.state import add_notice, set_value
from shared_schema.sync import rebase_local


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
        park_entry(conn, entry_from_row(row), reason='"removed from your grids"', now=now)
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
            if rec is not None:
                household_id = rec["household_id"]
            elif c["entity"] == "household":
                household_id = c["record_id"]
            else:  # a member/visit of a household deleted since (issue 6)
                household_id = (c.get("client_data") or {}).get("household_id")
            add_notice(
                conn,
                key=key,
                kind="conflict",
                entity=c["entity"],
                record_id=c["record_id"],
                household_id=household_id,
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
