"""Global versions and record writes shared by push, resolve, review and reassignment.

`next_versions` is the counter-row `UPDATE ... RETURNING` of docs/protocol-notes.md: the row
lock it takes is held until the transaction commits, so transactions that write versions
commit in version order and a pulled cursor never skips a later-committed smaller version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sync_server.models import Record, RecordVersion, SyncCounter


def next_versions(session: Session, count: int = 1) -> int:
    """Reserve `count` consecutive versions; returns the first."""
    last = session.execute(
        update(SyncCounter)
        .where(SyncCounter.id == 1)
        .values(value=SyncCounter.value + count)
        .returning(SyncCounter.value)
    ).scalar_one()
    return int(last) - count + 1


def grid_of_household(session: Session, household_id: str | None) -> str | None:
    """The grid of a household record (None when unknown)."""
    if not household_id:
        return None
    rec = session.get(Record, ("household", household_id))
    return rec.grid_id if rec is not None else None


def write_record(
    session: Session,
    *,
    entity: str,
    record_id: str,
    data: dict[str, Any],
    deleted: bool,
    changed: list[str],
    author: str | None,
    now: datetime,
    client_id: str | None = None,
    mutation_id: int | None = None,
    hlc: str | None = None,
) -> Record:
    """Write a new version of a record (current state + history entry)."""
    version = next_versions(session)
    rec = session.get(Record, (entity, record_id))
    if entity == "household":
        grid_id, household_id = data.get("grid_id"), None
    else:
        household_id = data.get("household_id")
        grid_id = grid_of_household(session, household_id)
    if rec is None:
        rec = Record(entity=entity, id=record_id, created_at=now)
        session.add(rec)
    old_grid = rec.grid_id
    rec.grid_id = grid_id
    rec.household_id = household_id
    rec.version = version
    rec.deleted = deleted
    rec.data = data
    rec.updated_at = now
    session.add(
        RecordVersion(
            entity=entity,
            record_id=record_id,
            version=version,
            data=data,
            deleted=deleted,
            changed_fields=list(changed),
            author=author,
            client_id=client_id,
            mutation_id=mutation_id,
            hlc=hlc,
            created_at=now,
        )
    )
    session.flush()
    if entity == "household" and old_grid is not None and old_grid != grid_id:
        _move_children(session, record_id, grid_id, now)
    return rec


def _move_children(session: Session, household_id: str, grid_id: str | None, now: datetime) -> None:
    """A household moved grid: its members and visits follow (re-stamped, no new history)."""
    children = list(
        session.scalars(
            select(Record).where(Record.household_id == household_id).order_by(Record.id)
        )
    )
    if not children:
        return
    first = next_versions(session, len(children))
    for offset, child in enumerate(children):
        child.grid_id = grid_id
        child.version = first + offset
        child.updated_at = now
    session.flush()


def restamp(session: Session, rec: Record, now: datetime) -> None:
    """Give a record a fresh version without a history entry (its data did not change)."""
    rec.version = next_versions(session)
    rec.updated_at = now
    session.flush()
