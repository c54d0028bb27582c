"""Listing conflicts in scope and resolving one (the chosen value becomes a new version)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared_schema.schemas.bounds import local_today
from shared_schema.sync import DELETED_FIELD, STATUS_NOOP, Deleted, resolve_conflict
from sync_server.errors import ServiceError
from sync_server.extensions import Database
from sync_server.messages import message
from sync_server.models import ConflictRow, Record, RecordVersion
from sync_server.services import config as config_service
from sync_server.services.households import HOUSEHOLD_NO, number_holders
from sync_server.services.principal import (
    ADMIN,
    SUPERVISOR,
    Principal,
    require_grid,
    require_role,
    scope_grid_query,
)
from sync_server.services.record_checks import validate_record
from sync_server.services.versions import restamp, write_record


def conflict_dict(row: ConflictRow) -> dict[str, Any]:
    """The wire form of a conflict."""
    return {
        "id": row.id,
        "entity": row.entity,
        "record_id": row.record_id,
        "field": row.field,
        "base_value": row.base_value,
        "server_value": row.server_value,
        "client_value": row.client_value,
        "client_data": row.client_data,
        "author": row.author,
        "client_id": row.client_id,
        "mutation_id": row.mutation_id,
        "created_at": row.created_at,
        "status": row.status,
        "resolved_by": row.resolved_by,
        "resolved_at": row.resolved_at,
        "resolved_value": row.resolved_value,
    }


def list_conflicts(
    db: Database, principal: Principal, *, status: str = "open", limit: int = 1000
) -> list[dict[str, Any]]:
    """Conflicts of records in the caller's scope, oldest first (`status`: open/resolved/all)."""
    with db.read() as s:
        query = select(ConflictRow).join(
            Record, (Record.entity == ConflictRow.entity) & (Record.id == ConflictRow.record_id)
        )
        grids = scope_grid_query(principal)
        if grids is not None:
            query = query.where(Record.grid_id.in_(grids.scalar_subquery()))
        if status != "all":
            query = query.where(ConflictRow.status == status)
        rows = s.scalars(query.order_by(ConflictRow.created_at, ConflictRow.id).limit(limit))
        return [conflict_dict(r) for r in rows]


def _load(session: Session, principal: Principal, conflict_id: str) -> tuple[ConflictRow, Record]:
    row = session.get(ConflictRow, conflict_id, with_for_update=True)
    if row is None:
        raise ServiceError(404, "not_found")
    rec = session.get(Record, (row.entity, row.record_id))
    if rec is None:
        raise ServiceError(404, "not_found")
    require_grid(session, principal, rec.grid_id)
    return row, rec


def _last_entry(session: Session, rec: Record) -> RecordVersion | None:
    return session.scalar(
        select(RecordVersion)
        .where(RecordVersion.entity == rec.entity, RecordVersion.record_id == rec.id)
        .order_by(RecordVersion.version.desc())
        .limit(1)
    )


def _restore_household(
    session: Session, child: Record, principal: Principal, now: datetime
) -> None:
    """Un-delete the deleted household of `child` (a new version) and the other children its
    delete took along (the caller restores `child` with its conflict's data)."""
    household_id = child.household_id
    hh = session.get(Record, ("household", household_id)) if household_id else None
    if hh is None or not hh.deleted:
        return
    tomb = _last_entry(session, hh)
    _undelete(session, hh, principal, now)
    _restore_children(session, hh, tomb, principal, now, skip=child)


def _restore_children(
    session: Session,
    hh: Record,
    tomb: RecordVersion | None,
    principal: Principal,
    now: datetime,
    *,
    skip: Record | None = None,
) -> None:
    """Un-delete the members and visits deleted by the same action as the household (`tomb`,
    its delete): their tombstones came from the same device with the same HLC reading (the
    phone deletes a household's children together with it, stamped once). The HLC is only a
    grouping key here, never a tie-breaker. Children deleted otherwise stay deleted; `skip`
    is the record the caller restores with its conflict's data."""
    if tomb is None or not tomb.deleted or tomb.client_id is None or tomb.hlc is None:
        return
    children = session.scalars(
        select(Record)
        .where(
            Record.household_id == hh.id,
            Record.entity != "household",
            Record.deleted.is_(True),
        )
        .order_by(Record.version)
    )
    for child in list(children):
        if child is skip:
            continue
        entry = _last_entry(session, child)
        if entry is None or not entry.deleted:
            continue
        if (entry.client_id, entry.hlc) == (tomb.client_id, tomb.hlc):
            _undelete(session, child, principal, now)


def _undelete(session: Session, rec: Record, principal: Principal, now: datetime) -> None:
    write_record(
        session,
        entity=rec.entity,
        record_id=rec.id,
        data=dict(rec.data),
        deleted=False,
        changed=[DELETED_FIELD],
        author=principal.username,
        now=now,
    )


def resolve(
    db: Database, principal: Principal, conflict_id: str, value: Any, *, lang: str, now: datetime
) -> dict[str, Any]:
    """Write the chosen value as a new version and close the conflict (supervisor/admin)."""
    require_role(principal, SUPERVISOR, ADMIN)
    with db.write() as s:
        row, rec = _load(s, principal, conflict_id)
        if row.status != "open":
            raise ServiceError(409, "conflict_closed")
        current: dict[str, Any] | Deleted = (
            Deleted(dict(rec.data)) if rec.deleted else dict(rec.data)
        )
        try:
            outcome = resolve_conflict(current, row.field, value, row.client_data)
        except ValueError as exc:
            raise ServiceError(
                422, "bad_resolution", {"value": [str(exc)]}, reason=str(exc)
            ) from None
        if rec.entity == "household" and row.field == HOUSEHOLD_NO and not rec.deleted:
            # a number clash (or an edit conflict on the number) ends on a free number
            number = value if isinstance(value, str) else None
            if number is not None and number_holders(s, str(rec.grid_id), number, excluding=rec.id):
                raise ServiceError(
                    422, "validation", {"value": [message("household_no_taken", lang)]}
                )
        if outcome.status != STATUS_NOOP:
            if outcome.merged is not None and not outcome.deleted:
                errors = validate_record(
                    rec.entity,
                    outcome.merged,
                    lang=lang,
                    as_of=now.date(),
                    today=local_today(now),
                    configs=config_service.config_set(s),  # the visit's own version
                )
                if errors:
                    raise ServiceError(
                        422, "validation", {f"value.{k}": v for k, v in errors.items()}
                    )
            restoring = row.field == DELETED_FIELD and not outcome.deleted and rec.deleted
            tomb = _last_entry(s, rec) if restoring and rec.entity == "household" else None
            if restoring and rec.entity != "household":
                # A member or visit of a deleted household (issue 6): the household comes
                # back first, with the children its delete took along, then this record.
                _restore_household(s, rec, principal, now)
            data = outcome.merged if outcome.merged is not None else dict(rec.data)
            restored = rec
            rec = write_record(
                s,
                entity=rec.entity,
                record_id=rec.id,
                data=data,
                deleted=outcome.deleted,
                changed=list(outcome.changed),
                author=principal.username,
                now=now,
            )
            if tomb is not None:  # a household restored: so are the children it took along
                _restore_children(s, restored, tomb, principal, now)
        else:
            restamp(s, rec, now)  # the open conflict disappears from every device's next pull
        row.status = "resolved"
        row.resolved_by = principal.username
        row.resolved_at = now
        row.resolved_value = value
        row.resolved_version = rec.version
        s.flush()
        return conflict_dict(row) | {"version": rec.version}
