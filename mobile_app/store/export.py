"""Export the unsynced outbox to one checksummed JSON file, for a phone that will never sync.

A phone that is broken, lost its SIM or stays out of coverage hands its edits to the office
as a file; the server applies it with `python -m sync_server import-outbox --file F
--as-user NAME` through the same push service (docs/operations.md).

File: `{"format": "tianye-outbox", "format_version": 1, "sha256": <hex>, "payload": {...}}`;
`sha256` covers the payload's canonical JSON (sorted keys, no spaces, UTF-8), so a truncated
or altered file is refused. The payload holds `client_id`, `schema_version`, the session's
`username`/`user_id`/`device_name`/`server_url`, `exported_at`, `last_acknowledged_id`, the
`mutations` exactly as a push would send them, and the `parked` and `rejected` edits (for the
supervisor: the server already refused those, they are not re-applied).

Decisions:
- Exporting numbers every unnumbered outbox entry first, in one transaction, exactly as
  `prepare_batch` does before a push: the file and the phone then hold the same ids, the
  entries are frozen (later edits go to new entries), and if the phone does sync after all,
  the server answers those ids from its log instead of applying them twice.
- The file is readable by its owner only (0600); it is written to a temporary name, fsynced
  and renamed: a crash leaves no half file under the final name. The store itself is not
  changed beyond the numbering.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mobile_app.store.clock import iso
from mobile_app.store.database import Connection
from mobile_app.store.outbox import (
    max_mutation_id,
    numbered_entries,
    set_mutation_id,
    unnumbered_entries,
)
from mobile_app.store.parked import PULLED
from mobile_app.store.sync_state import get_value, next_mutation_id, set_value
from shared_schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from mobile_app.store import Store

FORMAT = "tianye-outbox"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class OutboxExport:
    """What `export_outbox` wrote: the file, its counts and its checksum."""

    path: Path
    mutations: int
    first_mutation_id: int | None
    last_mutation_id: int | None
    parked: int
    rejected: int
    sha256: str


def canonical_bytes(payload: Any) -> bytes:
    """The bytes the checksum covers (the server computes the same)."""
    text = json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )
    return text.encode("utf-8")


def _number_all(conn: Connection) -> list[dict[str, Any]]:
    """Give every unnumbered entry the next id (outbox order); return all, in id order."""
    next_id = max(next_mutation_id(conn), max_mutation_id(conn) + 1)
    for entry in unnumbered_entries(conn):
        set_mutation_id(conn, entry.seq, next_id)
        next_id += 1
    set_value(conn, "next_mutation_id", next_id)
    return [e.to_wire() for e in numbered_entries(conn)]


def _parked(conn: Connection) -> list[dict[str, Any]]:
    # Pulled records this phone could not store are the server's, not edits: not exported.
    rows = conn.execute("SELECT * FROM parked WHERE op != ? ORDER BY seq", (PULLED,)).fetchall()
    return [
        {
            "entity": r["entity"],
            "id": r["record_id"],
            "op": r["op"],
            "base_version": r["base_version"],
            "data": json.loads(r["data"]) if r["data"] else {},
            "record": json.loads(r["record_data"]) if r["record_data"] else None,
            "hlc": r["hlc"],
            "reason": r["reason"],
            "created_at": r["created_at"],
        }
        for r in rows
    ]


def _rejected(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT * FROM rejected WHERE resolved=0 ORDER BY mutation_id").fetchall()
    return [
        {
            "mutation_id": r["mutation_id"],
            "entity": r["entity"],
            "id": r["record_id"],
            "op": r["op"],
            "data": json.loads(r["data"]) if r["data"] else {},
            "errors": json.loads(r["errors"]) if r["errors"] else {},
            "created_at": r["created_at"],
        }
        for r in rows
    ]


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        partial.unlink(missing_ok=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # personal data
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def export_outbox(store: Store, path: str | Path, *, now: datetime) -> OutboxExport:
    """Write the store's pending, parked and rejected edits to `path` (see the module doc)."""
    session = store.session.get()
    with store.db.transaction() as conn:
        mutations = _number_all(conn)
        parked = _parked(conn)
        rejected = _rejected(conn)
        acknowledged = int(get_value(conn, "last_mutation_id", 0))
    user = session.user or {}
    payload = {
        "client_id": session.client_id,
        "schema_version": SCHEMA_VERSION,
        "username": user.get("username"),
        "user_id": user.get("id"),
        "device_name": session.device_name,
        "server_url": session.server_url,
        "exported_at": iso(now),
        "last_acknowledged_id": acknowledged,
        "mutations": mutations,
        "parked": parked,
        "rejected": rejected,
    }
    digest = hashlib.sha256(canonical_bytes(payload)).hexdigest()
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sha256": digest,
        "payload": payload,
    }
    text = json.dumps(document, ensure_ascii=False, indent=1, allow_nan=False) + "\n"
    target = Path(path)
    _write_atomically(target, text.encode("utf-8"))
    ids = [m["mutation_id"] for m in mutations]
    return OutboxExport(
        path=target,
        mutations=len(mutations),
        first_mutation_id=ids[0] if ids else None,
        last_mutation_id=ids[-1] if ids else None,
        parked=len(parked),
        rejected=len(rejected),
        sha256=digest,
    )
