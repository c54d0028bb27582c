"""The `drafts` table's one writer: autosaved visit forms, never in the outbox until saved."""

from __future__ import annotations

from typing import Any

from mobile_app.store import jsonio
from mobile_app.store.database import Connection, Database, Row
from mobile_app.store.models import Draft


def draft_from_row(row: Row) -> Draft:
    """A drafts row as its dataclass."""
    return Draft(
        id=row["id"],
        entity=row["entity"],
        household_id=row["household_id"],
        data=jsonio.loads(row["data"]),
        updated_at=row["updated_at"],
    )


def write_draft(
    conn: Connection, draft_id: str, household_id: str, data: dict[str, Any], *, now: str
) -> Draft:
    """Insert or replace one visit draft."""
    conn.execute(
        "INSERT INTO drafts (id, entity, household_id, data, updated_at)"
        " VALUES (?, 'visit', ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
        " data=excluded.data, updated_at=excluded.updated_at",
        (draft_id, household_id, jsonio.dumps(data), now),
    )
    return Draft(draft_id, "visit", household_id, dict(data), now)


def delete_draft(conn: Connection, draft_id: str) -> None:
    """Drop a draft (its visit was saved, or the worker abandons it)."""
    conn.execute("DELETE FROM drafts WHERE id=?", (draft_id,))


def drafts_of(conn: Connection, entity: str, record_id: str) -> list[Draft]:
    """The drafts that go with a record: its own, and for a household its visits'."""
    rows = conn.execute("SELECT * FROM drafts WHERE id=?", (record_id,)).fetchall()
    if entity == "household":
        rows += conn.execute(
            "SELECT * FROM drafts WHERE household_id=? AND id!=?", (record_id, record_id)
        ).fetchall()
    return [draft_from_row(r) for r in rows]


def count_drafts(db: Database) -> int:
    """How many drafts are waiting."""
    return int(db.scalar("SELECT count(*) FROM drafts"))
