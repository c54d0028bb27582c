"""Global versions and record writes shared by push, resolve, review and reassignment.

`next_versions` is the counter-row `UPDATE ... RETURNING` of docs/protocol-notes.md: the row
lock it takes is held until the transaction commits, so transactions that write versions
commit in version order and a pulled cursor never skips a later-committed smaller version.

A push writes up to 500 versions in one transaction. Rather than one counter `UPDATE` per
record, `plan_versions` reserves the batch's expected count in one `UPDATE` (taking the same
row lock, held until commit, before the push reads any record), `next_versions` hands out
from that block (reserving more, contiguously, if it runs out), and `release_versions`
returns the unused tail before commit. Nobody else can move the counter
while the lock is held, so the committed counter and versions are exactly those the
one-by-one `UPDATE`s would have given: consecutive, no gaps, in commit order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from shared_schema.sync.decide import HistoryRow, StoredRecord
from sync_server.models import Grid, Record, RecordVersion, Removal, SyncCounter, User
from sync_server.services.principal import SUPERVISOR

_BLOCK_KEY = "tianye_version_block"

# (entity, id) -> the record, or None when known not to exist; lets a push that prefetched its
# records skip the per-record primary-key SELECTs.
KnownRecords = dict[tuple[str, str], Record | None]


@dataclass
class _Block:
    """Versions reserved by this transaction: `next`..`end` are still free."""

    next: int = 0
    end: int = -1


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


def plan_versions(session: Session, expected: int) -> None:
    """Reserve `expected` versions now (nothing when 0), handed out by `next_versions`.

    Every record writer takes the counter row lock, so once this returns, no other
    transaction writes a record before this one commits: reads made after it are current.
    """
    block = _Block()
    if expected > 0:
        block.end = _bump(session, expected)
        block.next = block.end - expected + 1
    session.info[_BLOCK_KEY] = block


def next_versions(session: Session, count: int = 1) -> int:
    """Reserve `count` consecutive versions; returns the first."""
    block: _Block | None = session.info.get(_BLOCK_KEY)
    if block is None:
        return _bump(session, count) - count + 1
    free = block.end - block.next + 1
    if free < count:  # extend: the lock is held, so the new versions follow `end` directly
        more = count - max(free, 0)
        block.end = _bump(session, more)
        block.next = block.end - count + 1
    first = block.next
    block.next += count
    return first


def release_versions(session: Session) -> None:
    """Give back the reserved but unused versions (call before commit, inside the transaction)."""
    block: _Block | None = session.info.pop(_BLOCK_KEY, None)
    if block is None or block.end < block.next:
        return
    session.execute(update(SyncCounter).where(SyncCounter.id == 1).values(value=block.next - 1))


def find_record(
    session: Session, entity: str, record_id: str, known: KnownRecords | None = None
) -> Record | None:
    """A record by key, from `known` when it holds the key, else from the session."""
    if known is not None and (entity, record_id) in known:
        return known[(entity, record_id)]
    return session.get(Record, (entity, record_id))


def grid_of_household(
    session: Session, household_id: str | None, known: KnownRecords | None = None
) -> str | None:
    """The grid of a household record (None when unknown)."""
    if not household_id:
        return None
    rec = find_record(session, "household", household_id, known)
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
    known: KnownRecords | None = None,
    flush: bool = True,
    history: list[dict[str, Any]] | None = None,
) -> Record:
    """Write a new version of a record (current state + history entry).

    `known` (a push's prefetched records) is consulted and kept up to date; `flush=False`
    leaves the INSERT/UPDATE to the next flush (a push flushes once, at commit); `history`
    collects the history row for one bulk INSERT instead of adding an ORM object (the caller
    inserts it before anything reads `record_versions`).
    """
    version = next_versions(session)
    rec = find_record(session, entity, record_id, known)
    if entity == "household":
        grid_id, household_id = data.get("grid_id"), None
    else:
        household_id = data.get("household_id")
        grid_id = grid_of_household(session, household_id, known)
    if rec is None:
        rec = Record(entity=entity, id=record_id, created_at=now)
        session.add(rec)
        if known is not None:
            known[(entity, record_id)] = rec
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
    if history is not None:
        history.append(row)
    else:
        session.add(RecordVersion(**row))
    if flush:
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


def restamp(session: Session, rec: Record, now: datetime, *, flush: bool = True) -> None:
    """Give a record a fresh version without a history entry (its data did not change)."""
    rec.version = next_versions(session)
    rec.updated_at = now
    if flush:
        session.flush()
