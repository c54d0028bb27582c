"""The `parked` table's one writer: what the phone set aside instead of losing it.

Three kinds, told apart by `op`:
- `upsert`/`delete`: a pending edit the server refused as outside the worker's scope (403),
  or whose record left the worker's grids (`removed` in a pull);
- `draft`: an unsaved visit draft of a household that left the worker's grids;
- `pulled`: a record version the server sent that this phone cannot store or compute on
  (issue 15: a date in year 9999, a number like 1e400, a wrong type). `base_version` is the
  pulled version, `data` the record as received (non-finite numbers as text), `reason` the
  problems as `{"code": "unreadable", "errors": {path: [problem codes]}}`. It is dropped
  when a later version of the record arrives and is applied.
Parked edits are listed for the worker (the "Returned" screen) and exportable.
"""

from __future__ import annotations

import builtins
import math
from pathlib import Path
from typing import Any

from mobile_app.store import jsonio
from mobile_app.store.database import Connection, Database, Row
from mobile_app.store.models import Draft, OutboxEntry, ParkedEdit

PULLED = "pulled"
UNREADABLE = "unreadable"
REMOVED_REASON = "removed from your grids"


def parked_from_row(row: Row) -> ParkedEdit:
    """A parked row as its dataclass."""
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


def _insert(
    conn: Connection,
    *,
    entity: str,
    record_id: str,
    op: str,
    base_version: int | None,
    data: str,
    record_data: str | None,
    hlc: str,
    reason: str,
    now: str,
) -> None:
    conn.execute(
        "INSERT INTO parked (entity, record_id, op, base_version, data, record_data, hlc,"
        " reason, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
        (entity, record_id, op, base_version, data, record_data, hlc, reason, now),
    )


def park_outbox_entry(
    conn: Connection,
    entry: OutboxEntry,
    *,
    record_data: dict[str, Any] | None,
    reason: Any,
    now: str,
) -> None:
    """Keep a pending edit the server will not take (the caller drops its outbox entry)."""
    _insert(
        conn,
        entity=entry.entity,
        record_id=entry.record_id,
        op=entry.op,
        base_version=entry.base_version,
        data=jsonio.dumps(entry.data),
        record_data=jsonio.dumps(record_data) if record_data is not None else None,
        hlc=entry.hlc,
        reason=jsonio.dumps(reason),
        now=now,
    )


def park_draft(conn: Connection, draft: Draft, *, reason: Any, now: str) -> None:
    """Keep an unsaved visit draft whose household left the worker's grids."""
    _insert(
        conn,
        entity="visit",
        record_id=draft.id,
        op="draft",
        base_version=None,
        data=jsonio.dumps(draft.data),
        record_data=None,
        hlc="",
        reason=jsonio.dumps(reason),
        now=now,
    )


def readable(value: Any) -> Any:
    """`value` with every non-finite number as text, so the stored JSON is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): readable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [readable(v) for v in value]
    return value


def park_pulled(
    conn: Connection,
    *,
    entity: str,
    record_id: str,
    version: int | None,
    data: Any,
    errors: dict[str, list[str]],
    now: str,
) -> None:
    """Keep a pulled record version the phone cannot store; one row per record (the latest)."""
    drop_pulled(conn, entity, record_id)
    _insert(
        conn,
        entity=entity,
        record_id=record_id,
        op=PULLED,
        base_version=version,
        data=jsonio.dumps(readable(data)),
        record_data=None,
        hlc="",
        reason=jsonio.dumps({"code": UNREADABLE, "errors": errors}),
        now=now,
    )


def pulled_keys(conn: Connection) -> set[tuple[str, str]]:
    """(entity, id) of every record with a parked pulled version."""
    rows = conn.execute("SELECT entity, record_id FROM parked WHERE op=?", (PULLED,))
    return {(r[0], r[1]) for r in rows}


def drop_pulled(conn: Connection, entity: str, record_id: str) -> None:
    """Forget a parked pulled version (a later version of the record was applied)."""
    conn.execute(
        "DELETE FROM parked WHERE op=? AND entity=? AND record_id=?", (PULLED, entity, record_id)
    )


class ParkedRepository:
    """Edits the server refused as outside the worker's scope, and pulled records this phone
    could not store; kept and exportable."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def list(self, *, include_pulled: bool = True) -> list[ParkedEdit]:
        """Parked items, oldest first (`include_pulled=False`: the worker's own edits only)."""
        where = "" if include_pulled else f" WHERE op != '{PULLED}'"
        rows = self.db.query(f"SELECT * FROM parked{where} ORDER BY seq")
        return [parked_from_row(r) for r in rows]

    def unreadable(self) -> builtins.list[ParkedEdit]:
        """Pulled records this phone could not store, oldest first."""
        rows = self.db.query("SELECT * FROM parked WHERE op=? ORDER BY seq", (PULLED,))
        return [parked_from_row(r) for r in rows]

    def export(self, path: str | Path) -> int:
        """Write every parked item to a JSON file (for a supervisor); return how many."""
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
