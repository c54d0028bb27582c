"""The `conflicts` table's one writer: notices for the worker (conflicts, returns, deletes).

A notice has a stable key (`open:<entity>:<id>:<field>`, `conflict:<id>`, `review:<visit>`,
`deleted:<entity>:<id>:<version>`); adding one with a key already present refreshes it, and a
notice closes when the server no longer reports what it is about.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mobile_app.store import jsonio
from mobile_app.store.database import Connection, Database, Row
from mobile_app.store.models import ConflictNotice


def notice_from_row(row: Row) -> ConflictNotice:
    """A conflicts row as its dataclass."""
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
    conn: Connection,
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


def close_notice(conn: Connection, key: str) -> None:
    """Close one notice by key (nothing when there is none)."""
    conn.execute("UPDATE conflicts SET closed=1 WHERE key=?", (key,))


def close_record_notices(conn: Connection, entity: str, record_id: str) -> None:
    """Close every notice about a record (it is gone from this phone)."""
    conn.execute(
        "UPDATE conflicts SET closed=1 WHERE entity=? AND record_id=?", (entity, record_id)
    )


def close_open_field_notices(
    conn: Connection, entity: str, record_id: str, keep: Iterable[str]
) -> None:
    """Close the record's `open:` notices except those of the fields in `keep`; with no field
    kept, the push-time `conflict:` notices of the record are settled as well."""
    fields = list(keep)
    prefix = f"open:{entity}:{record_id}:"
    placeholders = ",".join("?" * len(fields))
    conn.execute(
        "UPDATE conflicts SET closed=1 WHERE key LIKE ? ESCAPE '\\' AND closed=0"
        + (f" AND field NOT IN ({placeholders})" if fields else ""),
        (prefix.replace("_", "\\_").replace("%", "\\%") + "%", *fields),
    )
    if not fields:
        conn.execute(
            "UPDATE conflicts SET closed=1 WHERE kind='conflict' AND entity=? AND record_id=?"
            " AND key LIKE 'conflict:%'",
            (entity, record_id),
        )


def close_conflict_notices_except(conn: Connection, keys: Iterable[str]) -> None:
    """Close every open `conflict:<id>` notice whose key is not in `keys`."""
    kept = list(keys)
    placeholders = ",".join("?" * len(kept)) or "''"
    conn.execute(
        f"UPDATE conflicts SET closed=1 WHERE key LIKE 'conflict:%' AND closed=0"
        f" AND key NOT IN ({placeholders})",
        kept,
    )


def mark_seen(conn: Connection, key: str) -> None:
    """The worker opened the notice."""
    conn.execute("UPDATE conflicts SET seen=1 WHERE key=?", (key,))


def clear_notices(conn: Connection) -> None:
    """Drop every notice (another user's data at a user switch)."""
    conn.execute("DELETE FROM conflicts")


def households_with_notices(conn: Connection) -> list[str]:
    """Households any notice (open or closed) refers to."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT household_id FROM conflicts WHERE household_id IS NOT NULL"
        )
    ]


class ConflictRepository:
    """Conflicts and supervisor returns the worker should see, with what happened."""

    def __init__(self, db: Database) -> None:
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
        return [notice_from_row(r) for r in rows]

    def unseen_count(self) -> int:
        """How many open notices the worker has not looked at."""
        return int(self.db.scalar("SELECT count(*) FROM conflicts WHERE closed=0 AND seen=0"))

    def unseen_by_kind(self) -> dict[str, int]:
        """Open notices not looked at yet, counted per kind ("conflict", "returned", ...)."""
        rows = self.db.query(
            "SELECT kind, count(*) FROM conflicts WHERE closed=0 AND seen=0 GROUP BY kind"
        )
        return {row[0]: int(row[1]) for row in rows}

    def mark_seen(self, key: str) -> None:
        """The worker opened the notice."""
        with self.db.transaction() as conn:
            mark_seen(conn, key)
