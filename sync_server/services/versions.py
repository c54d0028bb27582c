"""Global versions and record writes shared by push, resolve, review and reassignment.

`next_versions` is the counter-row `UPDATE ... RETURNING` of docs/protocol-notes.md: the row
lock it takes is held until the transaction commits, so transactions that write versions
commit in version order and a pulled cursor never skips a later-committed smaller version.

A push allocates its versions itself: `lock_versions` takes the same row lock (held until
commit, before the push reads any record) and returns the counter, the pure decide step hands
out the following versions, and `set_last_version` moves the counter once; nobody else can
move it meanwhile, so the versions are consecutive, gap-free and in commit order, exactly as
one `UPDATE` per record would give. `write_batch` writes the push's records and history rows in
bulk; this module is the one writer of `records`, `record_versions` and `removals`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from shared_schema.sync.decide import HistoryRow, StoredRecord
from sync_server.models import Grid, Record, RecordVersion, Removal, SyncCounter, User
from sync_server.services.principal import SUPERVISOR


def _bump(session: Session, count: int) -> int:
    """The counter-row UPDATE: adds `count`, returns the new value (the last reserved)."""
    last = session.execute(
        update(SyncCounter)
        .where(SyncCounter.id == 1)
        .values(value=SyncCounter.value + count)
        .returning(SyncCounter.value)
    ).scalar_one()
    return int(last)


_RECORDS: Table = Record.__table__  # type: ignore[assignment]
_HISTORY: Table = RecordVersion.__table__  # type: ignore[assignment]
_UPDATE_RECORD = (
    update(_RECORDS)
    .where(_RECORDS.c.entity == bindparam("key_entity"), _RECORDS.c.id == bindparam("key_id"))
    .values(
        grid_id=bindparam("grid_id"),
        household_id=bindparam("household_id"),
        version=bindparam("version"),
        deleted=bindparam("deleted"),
        data=bindparam("data", type_=_RECORDS.c.data.type),
        updated_at=bindparam("updated_at", type_=_RECORDS.c.updated_at.type),
    )
)


def lock_versions(session: Session) -> int:
    """Take the counter row lock without reserving a version: reads made after it see every
    record a concurrent writer committed (that writer held the lock until its commit).
    Returns the last version handed out."""
    return _bump(session, 0)


def set_last_version(session: Session, value: int) -> None:
    """Move the counter to `value` (a push that allocated its versions itself, with the lock
    of `lock_versions` held since it read the counter)."""
    session.execute(update(SyncCounter).where(SyncCounter.id == 1).values(value=value))


def write_batch(
    session: Session,
    records: list[tuple[StoredRecord, bool]],
    history: list[HistoryRow],
    *,
    author: str | None,
    client_id: str | None,
    now: datetime,
) -> None:
    """Write a push's records (final state, `True` = new) and history rows in bulk: one
    multi-row INSERT per table for new rows, one executemany UPDATE by primary key for the
    existing records (pipelined by psycopg on PostgreSQL). The versions are the caller's,
    allocated under the counter lock; the record and its history row share one data dict."""
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for rec, created in records:
        row = {
            "entity": rec.entity,
            "id": rec.id,
            "grid_id": rec.grid_id,
            "household_id": rec.household_id,
            "version": rec.version,
            "deleted": rec.deleted,
            "data": rec.data,
            "updated_at": now,
        }
        if created:
            row["created_at"] = now
            inserts.append(row)
        else:
            row["key_entity"], row["key_id"] = row.pop("entity"), row.pop("id")
            updates.append(row)
    # Core statements on the tables (no ORM bulk bookkeeping per row): executemany, which
    # SQLAlchemy sends as multi-row INSERTs ("insertmanyvalues") and psycopg pipelines.
    if inserts:
        session.execute(insert(_RECORDS), inserts)
    if updates:
        session.execute(_UPDATE_RECORD, updates)
    if history:
        session.execute(
            insert(_HISTORY),
            [
                {
                    "entity": h.entity,
                    "record_id": h.record_id,
                    "version": h.version,
                    "data": h.data,
                    "deleted": h.deleted,
                    "changed_fields": list(h.changed_fields),
                    "author": author,
                    "client_id": client_id,
                    "mutation_id": h.mutation_id,
                    "hlc": h.hlc,
                    "created_at": now,
                }
                for h in history
            ],
        )


def move_household(
    session: Session, household_id: str, old_grid: str, new_grid: str | None, now: datetime
) -> None:
    """A household a push moved to another grid (written already): its members and visits
    follow, re-stamped, and the users who lose it get `removed` entries."""
    household = session.get(Record, ("household", household_id))
    if household is None:
        return
    children = _move_children(session, household_id, new_grid, now)
    _note_scope_loss(session, [household, *children], old_grid, new_grid, now)


def next_versions(session: Session, count: int = 1) -> int:
    """Reserve `count` consecutive versions; returns the first."""
    return _bump(session, count) - count + 1


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
    """Write a new version of one record (current state + history entry): the console's,
    the review's and the seed's writes (a push writes in bulk, `write_batch`)."""
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
    row: dict[str, Any] = {
        "entity": entity,
        "record_id": record_id,
        "version": version,
        "data": data,
        "deleted": deleted,
        "changed_fields": list(changed),
        "author": author,
        "client_id": client_id,
        "mutation_id": mutation_id,
        "hlc": hlc,
        "created_at": now,
    }
    session.add(RecordVersion(**row))
    session.flush()
    if entity == "household" and old_grid is not None and old_grid != grid_id:
        children = _move_children(session, record_id, grid_id, now)
        _note_scope_loss(session, [rec, *children], old_grid, grid_id, now)
    return rec


def _move_children(
    session: Session, household_id: str, grid_id: str | None, now: datetime
) -> list[Record]:
    """A household moved grid: its members and visits follow (re-stamped, no new history)."""
    children = list(
        session.scalars(
            select(Record).where(Record.household_id == household_id).order_by(Record.id)
        )
    )
    if not children:
        return []
    first = next_versions(session, len(children))
    for offset, child in enumerate(children):
        child.grid_id = grid_id
        child.version = first + offset
        child.updated_at = now
    session.flush()
    return children


def _users_losing(session: Session, old_grid_id: str, new_grid_id: str | None) -> list[str]:
    """Users who see `old_grid_id` but not `new_grid_id`: the old grid's worker (unless they
    also hold the new grid) and the supervisors of its township (unless the new grid is in the
    same township). Admins see everything."""
    old = session.get(Grid, old_grid_id)
    if old is None:
        return []
    new = session.get(Grid, new_grid_id) if new_grid_id else None
    users: list[str] = []
    if old.worker_id and (new is None or new.worker_id != old.worker_id):
        users.append(old.worker_id)
    if new is None or new.township != old.township:
        users.extend(
            session.scalars(
                select(User.id).where(User.role == SUPERVISOR, User.township == old.township)
            )
        )
    return users


def _note_scope_loss(
    session: Session,
    records: list[Record],
    old_grid_id: str,
    new_grid_id: str | None,
    now: datetime,
) -> None:
    """A household (with its members and visits) left a grid: the users who no longer see it
    get `removed` entries on their next pull, as for a whole-grid reassignment, so the old
    grid's phones drop it (their unsynced edits of it are parked, never lost)."""
    add_removals(session, _users_losing(session, old_grid_id, new_grid_id), records, now)


def add_removals(
    session: Session, user_ids: list[str], records: list[Record], now: datetime
) -> None:
    """One `removed` entry per user and record, each with its own version (pulled in order)."""
    if not user_ids or not records:
        return
    version = next_versions(session, len(user_ids) * len(records))
    for user_id in user_ids:
        for rec in records:
            session.add(
                Removal(
                    version=version,
                    user_id=user_id,
                    entity=rec.entity,
                    record_id=rec.id,
                    created_at=now,
                )
            )
            version += 1


def restamp(session: Session, rec: Record, now: datetime) -> None:
    """Give a record a fresh version without a history entry (its data did not change)."""
    rec.version = next_versions(session)
    rec.updated_at = now
    session.flush()
